// The fused AdamW step (engine/train/adamw_step.h) against optimizer.step(): from the same weights and
// gradients, the same weights and moments after several steps, float32 and float64, odd sizes, with
// and without weight decay, across a learning-rate change.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/train/adamw_step.h"

namespace zoolab {
namespace {

std::vector<torch::Tensor> parameters(torch::ScalarType dtype) {
  torch::manual_seed(2);
  std::vector<torch::Tensor> params;
  for (const auto& shape : std::vector<std::vector<int64_t>>{{8193, 3}, {7}, {65, 33}, {1}}) {
    params.push_back(torch::randn(shape, torch::dtype(dtype)).requires_grad_(true));
  }
  return params;
}

std::vector<torch::Tensor> copies(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> out;
  for (const auto& p : params) {
    out.push_back(p.detach().clone().requires_grad_(true));
  }
  return out;
}

void expect_steps_match(torch::ScalarType dtype, double weight_decay) {
  auto ours = parameters(dtype);
  auto theirs = copies(ours);
  const auto options =
      torch::optim::AdamWOptions(2e-2).betas({0.9, 0.999}).eps(1e-8).weight_decay(weight_decay);
  torch::optim::AdamW fused(ours, options), reference(theirs, options);
  const double tolerance = dtype == torch::kDouble ? 1e-12 : 2e-6;
  for (int step = 0; step < 6; ++step) {
    if (step == 3) {
      for (auto* optimizer : {&fused, &reference}) {
        for (auto& group : optimizer->param_groups()) {
          static_cast<torch::optim::AdamWOptions&>(group.options()).lr(5e-3);
        }
      }
    }
    for (size_t i = 0; i < ours.size(); ++i) {
      auto grad = torch::randn_like(ours[i]) * (step + 1);
      ours[i].mutable_grad() = grad.clone();
      theirs[i].mutable_grad() = grad.clone();
    }
    adamw_step(fused);
    adamw_step_reference(reference);
    for (size_t i = 0; i < ours.size(); ++i) {
      const double scale = std::max(1.0, theirs[i].abs().max().item<double>());
      EXPECT_LT((ours[i] - theirs[i]).abs().max().item<double>() / scale, tolerance)
          << "step " << step << " parameter " << i << " weight decay " << weight_decay;
    }
  }
}

TEST(AdamWStep, MatchesOptimizerStepInFloat32AndFloat64) {
  for (const auto dtype : {torch::kFloat, torch::kDouble}) {
    expect_steps_match(dtype, 0.1);
    expect_steps_match(dtype, 0.0);
  }
}

TEST(AdamWStep, SkipsParametersWithoutGradients) {
  auto p = torch::ones({5}, torch::requires_grad());
  auto q = torch::ones({3}, torch::requires_grad());
  torch::optim::AdamW optimizer({p, q}, torch::optim::AdamWOptions(0.1).weight_decay(0.0));
  for (int step = 0; step < 3; ++step) {
    p.mutable_grad() = torch::ones({5});
    adamw_step(optimizer);
  }
  EXPECT_TRUE(torch::equal(q, torch::ones({3})));
  EXPECT_LT(p.max().item<double>(), 1.0);
}

}  // namespace
}  // namespace zoolab
