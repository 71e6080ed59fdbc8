#include "engine/train/train_step.h"

#include <cmath>

#include <torch/torch.h>

#include "engine/train/adamw_step.h"
#include "engine/train/row_shards.h"
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
  // The cross-entropy of some rows' labelled positions.
  const RowsLoss main_loss_of = [&](const Batch& rows) -> torch::Tensor {
    if (all_positions) {
      // Exactly Zoology's: the head at every position, cross-entropy ignoring unlabelled ones.
      auto logits = model->forward(rows.inputs);  // (B, L, V)
      return torch::nn::functional::cross_entropy(
          logits.view({-1, logits.size(-1)}), rows.labels.view({-1}),
          torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100));
    }
    // The same loss without materialising the (N, V) logits (kernels/linear_cross_entropy.h).
    return kernels::linear_cross_entropy(model->hidden_at(rows.inputs, rows.positions), model->head_weight(),
                                         rows.targets);
  };
  torch::Tensor loss, main_loss, auxiliary;
  if (const int64_t shards = row_shards(model, batch); shards > 1) {
    // Row-shardable models have no auxiliary loss (models/mixer.h); the backward is done per shard.
    loss = main_loss =
        sharded_backward(model, batch, shards, main_loss_of, share != nullptr ? share->loss_scale : 1.0);
  } else {
    main_loss = main_loss_of(batch);
    auxiliary = model->auxiliary_loss();
    if (share != nullptr) {
      main_loss = main_loss * share->loss_scale;
      if (auxiliary.defined()) {
        auxiliary = auxiliary * share->auxiliary_scale;
      }
    }
    loss = auxiliary.defined() ? main_loss + auxiliary : main_loss;
    loss.backward();
  }
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
