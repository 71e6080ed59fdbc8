// The fused causal attention core (kernels/attention_core.h) against its plain-torch reference:
// forward and the qkv gradient, float32 and float64, odd sizes and several heads; with dropout the
// reference is given the same counter mask, so matching gradients also show that the backward
// recomputes the forward's mask.

#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/attention_core.h"

namespace zoolab::kernels {
namespace {

struct Case {
  int64_t batch, seq_len, d_model, heads;
  double p;
};

void expect_matches_reference(const Case& c, torch::ScalarType dtype, uint64_t seed) {
  torch::manual_seed(static_cast<uint64_t>(c.batch * 131 + c.seq_len));
  const double tolerance = dtype == torch::kDouble ? 1e-10 : 2e-5;
  auto qkv = torch::randn({c.batch, c.seq_len, 3 * c.d_model}, torch::dtype(dtype)).requires_grad_(true);
  auto qkv_ref = qkv.detach().clone().requires_grad_(true);
  const double scale = 1.0 / std::sqrt(static_cast<double>(c.d_model / c.heads));
  const auto keep =
      c.p > 0.0 ? causal_attention_keep_mask(seed, c.batch * c.heads, c.seq_len, c.p) : torch::Tensor();
  auto out = causal_attention(qkv, c.heads, scale, c.p, seed);
  auto out_ref = causal_attention_reference(qkv_ref, c.heads, scale, c.p, keep);
  ASSERT_EQ(out.sizes(), out_ref.sizes());
  EXPECT_LT((out - out_ref).abs().max().item<double>(), tolerance)
      << "forward B " << c.batch << " L " << c.seq_len << " D " << c.d_model << " H " << c.heads << " p "
      << c.p;
  const auto weights = torch::randn_like(out_ref);
  (out * weights).sum().backward();
  (out_ref * weights).sum().backward();
  EXPECT_LT((qkv.grad() - qkv_ref.grad()).abs().max().item<double>(), 10 * tolerance)
      << "dqkv B " << c.batch << " L " << c.seq_len << " D " << c.d_model << " H " << c.heads << " p " << c.p;
}

TEST(CausalAttention, FusedPathRunsOnCpuFloats) {
  EXPECT_TRUE(causal_attention_is_fused(torch::zeros({1, 1, 3})));
  EXPECT_TRUE(causal_attention_is_fused(torch::zeros({1, 1, 3}, torch::kDouble)));
  EXPECT_FALSE(causal_attention_is_fused(torch::zeros({1, 1, 3}, torch::kHalf)));
}

TEST(CausalAttention, MatchesReferenceWithoutDropout) {
  for (const auto dtype : {torch::kFloat, torch::kDouble}) {
    for (const Case& c :
         {Case{3, 7, 5, 1, 0.0}, Case{2, 13, 12, 4, 0.0}, Case{4, 64, 64, 1, 0.0}, Case{1, 1, 6, 2, 0.0},
          Case{5, 33, 18, 3, 0.0}, Case{2, 37, 10, 2, 0.0}, Case{2, 32, 8, 1, 0.0}}) {
      expect_matches_reference(c, dtype, 0);
    }
  }
}

TEST(CausalAttention, MatchesReferenceWithTheSameDropoutMask) {
  for (const auto dtype : {torch::kFloat, torch::kDouble}) {
    for (const Case& c :
         {Case{3, 7, 5, 1, 0.1}, Case{2, 13, 12, 4, 0.5}, Case{4, 64, 64, 1, 0.1}, Case{5, 33, 18, 3, 0.9}}) {
      expect_matches_reference(c, dtype, 12345);
      expect_matches_reference(c, dtype, 0xDEADBEEFCAFEull);
    }
  }
}

TEST(CausalAttention, DropoutIsReproducibleFromTheSeedAndKeepsOneMinusP) {
  torch::manual_seed(3);
  const auto qkv = torch::randn({8, 32, 3 * 16});
  const auto a = causal_attention(qkv, 2, 0.25, 0.3, 77);
  EXPECT_TRUE(torch::equal(a, causal_attention(qkv, 2, 0.25, 0.3, 77)));
  EXPECT_FALSE(torch::equal(a, causal_attention(qkv, 2, 0.25, 0.3, 78)));
  // The kept fraction over 16 × 256 × 256 counters: 1 − p within 5 standard deviations.
  const double p = 0.1;
  const auto keep = causal_attention_keep_mask(99, 16, 256, p);
  const double n = static_cast<double>(keep.numel());
  const double kept = keep.sum().item<double>() / n;
  EXPECT_NEAR(kept, 1.0 - p, 5.0 * std::sqrt(p * (1.0 - p) / n));
  // Neighbouring counters are uncorrelated: P(keep j and keep j + 1) ≈ (1 − p)².
  const auto flat = keep.view(-1).to(torch::kDouble);
  const double both =
      (flat.narrow(0, 0, flat.numel() - 1) * flat.narrow(0, 1, flat.numel() - 1)).mean().item<double>();
  EXPECT_NEAR(both, (1.0 - p) * (1.0 - p), 5.0 * std::sqrt(p * (1.0 - p) / n) * 2.0);
}

TEST(CausalAttention, DropoutPreservesTheExpectation) {
  // Averaged over seeds, dropout's output converges on the output without dropout.
  torch::manual_seed(4);
  const auto qkv = torch::randn({2, 9, 3 * 4}, torch::kDouble);
  const auto clean = causal_attention(qkv, 1, 0.5, 0.0, 0);
  auto mean = torch::zeros_like(clean);
  const int draws = 2000;
  for (int s = 0; s < draws; ++s) {
    mean += causal_attention(qkv, 1, 0.5, 0.2, 1000 + s);
  }
  mean /= draws;
  EXPECT_LT((mean - clean).abs().max().item<double>(), 0.1);
}

TEST(CausalAttention, RejectsBadShapes) {
  EXPECT_THROW(causal_attention(torch::zeros({2, 3, 7}), 1, 1.0, 0.0, 0), c10::Error);
  EXPECT_THROW(causal_attention(torch::zeros({2, 3, 12}), 3, 1.0, 0.0, 0), c10::Error);
  EXPECT_THROW(causal_attention(torch::zeros({2, 3, 12}), 1, 1.0, 1.0, 0), c10::Error);
}

}  // namespace
}  // namespace zoolab::kernels
