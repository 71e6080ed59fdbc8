#include "engine/train/train_step.h"

#include <cmath>

#include <torch/torch.h>

#include "engine/train/adamw_step.h"
#include "kernels/linear_cross_entropy.h"

namespace zoolab {

torch::Tensor labelled_logits(LanguageModel& model, const Batch& batch, bool all_positions) {
  if (all_positions) {
    auto logits = model->forward(batch.inputs);                                     // (B, L, V)
    return logits.reshape({-1, logits.size(-1)}).index_select(0, batch.positions);  // (N, V)
  }
  return model->forward_at(batch.inputs, batch.positions);  // (N, V)
}

StepLosses train_step(LanguageModel& model, torch::optim::AdamW& optimizer, const Batch& batch,
                      bool all_positions, const StepShare* share) {
  optimizer.zero_grad();
  if (share != nullptr && batch.positions.numel() == 0) {  // a rank with no labelled rows this step
    share->reduce();
    adamw_step(optimizer);
    return {};
  }
  torch::Tensor main_loss;
  if (all_positions) {
    // Exactly Zoology's: the head at every position, cross-entropy ignoring unlabelled ones.
    auto logits = model->forward(batch.inputs);  // (B, L, V)
    main_loss = torch::nn::functional::cross_entropy(
        logits.view({-1, logits.size(-1)}), batch.labels.view({-1}),
        torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100));
  } else {
    // The same loss without materialising the (N, V) logits (kernels/linear_cross_entropy.h).
    main_loss = kernels::linear_cross_entropy(model->hidden_at(batch.inputs, batch.positions),
                                              model->head_weight(), batch.targets);
  }
  auto auxiliary = model->auxiliary_loss();
  if (share != nullptr) {
    main_loss = main_loss * share->loss_scale;
    if (auxiliary.defined()) {
      auxiliary = auxiliary * share->auxiliary_scale;
    }
  }
  auto loss = main_loss;
  if (auxiliary.defined()) {
    loss = loss + auxiliary;
  }
  loss.backward();
  if (share != nullptr) {
    share->reduce();
  }
  adamw_step(optimizer);  // optimizer.step() as one fused loop per parameter (engine/train/adamw_step.h)
  StepLosses losses;
  losses.loss = loss.item<double>();
  losses.main_loss = auxiliary.defined() ? main_loss.item<double>() : losses.loss;
  losses.auxiliary_loss = auxiliary.defined() ? auxiliary.item<double>() : 0.0;
  return losses;
}

double cosine_learning_rate(double base, int64_t epoch, int64_t max_epochs) {
  return base * (1.0 + std::cos(M_PI * static_cast<double>(epoch) / static_cast<double>(max_epochs))) / 2.0;
}

void set_learning_rate(torch::optim::AdamW& optimizer, double learning_rate) {
  for (auto& group : optimizer.param_groups()) {
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(learning_rate);
  }
}

}  // namespace zoolab
