// Attention at a few query rows (kernels/attention_rows.h) against the full fused core
// (kernels/attention_core.h) read at those rows: outputs, and the gradients of the queries, keys and
// values, with and without dropout (the same seed: the rows' masks must be the full core's).

#include <cmath>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/attention_core.h"
#include "kernels/attention_rows.h"

namespace zoolab::kernels {
namespace {

struct RowsCase {
  int64_t batch, seq_len, d_model, heads;
  double p;
  std::vector<int64_t> positions;  // flat b·L + i, increasing
};

void expect_rows_match_full_core(const RowsCase& c, torch::ScalarType dtype) {
  torch::manual_seed(static_cast<uint64_t>(c.batch * 17 + c.seq_len));
  const double tolerance = dtype == torch::kDouble ? 1e-12 : 2e-5;
  const int64_t d = c.d_model;
  const double scale = 1.0 / std::sqrt(static_cast<double>(d / c.heads));
  const uint64_t seed = 0x5eed;
  const auto positions = torch::tensor(c.positions, torch::kLong);
  const std::string label = "B " + std::to_string(c.batch) + " L " + std::to_string(c.seq_len) + " D " +
                            std::to_string(d) + " H " + std::to_string(c.heads) + " p " + std::to_string(c.p);

  // Full: the (B, L, 3·D) projection through the whole core, read at the rows.
  auto qkv = torch::randn({c.batch, c.seq_len, 3 * d}, torch::dtype(dtype)).requires_grad_(true);
  const auto full = causal_attention(qkv, c.heads, scale, c.p, seed).view({-1, d}).index_select(0, positions);

  // Rows: the same queries at the rows, the same keys and values everywhere.
  auto q =
      qkv.detach().view({-1, 3 * d}).index_select(0, positions).narrow(1, 0, d).clone().requires_grad_(true);
  auto kv = qkv.detach().narrow(2, d, 2 * d).clone().requires_grad_(true);
  const auto rows = causal_attention_rows(q, kv, positions, c.heads, scale, c.p, seed);  // (N, D)
  ASSERT_EQ(rows.sizes(), full.sizes()) << label;
  EXPECT_LT((rows - full).abs().max().item<double>(), tolerance) << "forward " << label;

  const auto weights = torch::randn_like(full);
  (full * weights).sum().backward();
  (rows * weights).sum().backward();
  const auto grad = qkv.grad();  // (B, L, 3·D)
  const auto grad_q_full = grad.view({-1, 3 * d}).index_select(0, positions).narrow(1, 0, d);
  EXPECT_LT((q.grad() - grad_q_full).abs().max().item<double>(), 10 * tolerance) << "dq " << label;
  EXPECT_LT((kv.grad() - grad.narrow(2, d, 2 * d)).abs().max().item<double>(), 10 * tolerance)
      << "dkv " << label;
}

TEST(CausalAttentionRows, MatchesTheFullCoreAtItsRows) {
  for (const auto dtype : {torch::kFloat, torch::kDouble}) {
    for (const double p : {0.0, 0.3}) {
      // MQAR-like rows late in each sequence, a row at position 0, an example with no rows, every row of
      // one example, several heads, and sequences shorter and longer than the full core's causal split.
      expect_rows_match_full_core({3, 16, 8, 1, p, {9, 11, 15, 16, 40, 41, 47}}, dtype);
      expect_rows_match_full_core({2, 7, 12, 3, p, {0, 1, 2, 3, 4, 5, 6, 13}}, dtype);
      expect_rows_match_full_core({4, 64, 64, 1, p, {20, 33, 63, 64 + 10, 64 + 50, 3 * 64 + 62}}, dtype);
      expect_rows_match_full_core({2, 37, 10, 2, p, {36, 37}}, dtype);
    }
  }
}

TEST(CausalAttentionRows, RefusesPositionsThatDoNotIncreaseOrFit) {
  const auto q = torch::zeros({2, 4});
  const auto kv = torch::zeros({2, 3, 8});
  const auto call = [&](std::vector<int64_t> positions) {
    return causal_attention_rows(q, kv, torch::tensor(positions, torch::kLong), 1, 1.0, 0.0, 0);
  };
  EXPECT_NO_THROW(call({1, 5}));
  EXPECT_THROW(call({5, 1}), c10::Error);  // decreasing
  EXPECT_THROW(call({2, 2}), c10::Error);  // repeated
  EXPECT_THROW(call({1, 6}), c10::Error);  // past B·L = 6
  EXPECT_THROW(call({-1, 2}), c10::Error);
  EXPECT_THROW(causal_attention_rows(q, torch::zeros({2, 3, 6}), torch::tensor({1, 2}), 1, 1.0, 0.0, 0),
               c10::Error);  // kv's D is not q's
}

}  // namespace
}  // namespace zoolab::kernels
