#include "engine/train/text_step.h"

#include <algorithm>
#include <limits>

#include <torch/torch.h>

#include "engine/train/adamw_step.h"
#include "kernels/linear_cross_entropy.h"

namespace zoolab {
namespace {

// The final hidden states (after ln_f) at every position: (B·L, D). logits = hidden · head_weight()ᵀ.
torch::Tensor all_hidden(LanguageModel& model, const torch::Tensor& inputs) {
  auto residual = model->backbone(inputs);                                        // (B, L, D)
  return model->backbone->final_norm(residual).reshape({-1, residual.size(-1)});  // (B·L, D)
}

// Forward and backward of one batch; returns the loss (this rank's share with `share`).
double text_forward_backward(LanguageModel& model, const TextBatch& batch, const StepShare* share) {
  // Every position is a prediction: the linear cross-entropy kernel never materialises the (B·L, V)
  // logits (kernels/linear_cross_entropy.h), which at B·L = 2048 and V = 4096 are 32 MiB per step.
  auto loss = kernels::linear_cross_entropy(all_hidden(model, batch.inputs), model->head_weight(),
                                            batch.targets.reshape({-1}));
  auto auxiliary = model->auxiliary_loss();
  if (share != nullptr) {  // every row has the same number of positions: one scale for both
    loss = loss * share->loss_scale;
    if (auxiliary.defined()) {
      auxiliary = auxiliary * share->auxiliary_scale;
    }
  }
  if (auxiliary.defined()) {
    loss = loss + auxiliary;
  }
  loss.backward();
  return loss.item<double>();
}

}  // namespace

TextStepResult text_train_step(LanguageModel& model, torch::optim::AdamW& optimizer, const TextBatch& batch,
                               double gradient_clip, const StepShare* share) {
  model->train();
  optimizer.zero_grad();
  TextStepResult result;
  if (share == nullptr || batch.inputs.size(0) > 0) {
    result.loss = text_forward_backward(model, batch, share);
  }
  if (share != nullptr) {  // the global gradient, before it is measured and clipped
    share->reduce();
  }
  // With max_norm = infinity clip_grad_norm_ only measures (its scale factor is >= 1 and clamped to 1).
  const double max_norm = gradient_clip > 0 ? gradient_clip : std::numeric_limits<double>::infinity();
  result.grad_norm = torch::nn::utils::clip_grad_norm_(model->parameters(), max_norm);
  adamw_step(optimizer);  // engine/train/adamw_step.h
  return result;
}

std::vector<float> text_token_losses(LanguageModel& model, const TextBatch& batch) {
  torch::NoGradGuard no_grad;
  model->eval();
  const auto hidden = all_hidden(model, batch.inputs);  // (N, D), N = B·L
  const auto targets = batch.targets.reshape({-1});     // (N,)
  const auto weight_t = model->head_weight().t();       // (D, V)
  const int64_t rows = hidden.size(0);
  auto losses = torch::empty({rows}, hidden.options().dtype(torch::kFloat));  // (N,)
  // Blocks of rows bound the logits in memory (4096 × 50304 floats = 800 MiB at the paper's vocabulary).
  constexpr int64_t kBlockRows = 4096;
  for (int64_t start = 0; start < rows; start += kBlockRows) {
    const int64_t size = std::min(kBlockRows, rows - start);
    auto logits = torch::mm(hidden.narrow(0, start, size), weight_t).to(torch::kFloat);  // (b, V)
    auto target_logit = logits.gather(1, targets.narrow(0, start, size).unsqueeze(1)).squeeze(1);
    losses.narrow(0, start, size).copy_(torch::logsumexp(logits, 1) - target_logit);
  }
  const auto host = losses.to(torch::kCPU).contiguous();
  return std::vector<float>(host.data_ptr<float>(), host.data_ptr<float>() + host.numel());
}

}  // namespace zoolab
