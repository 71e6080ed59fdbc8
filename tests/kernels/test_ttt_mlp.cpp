// TTT-MLP's mini-batch inner loop: the dual form against the primal form token by token, output and
// every gradient in double (lengths that are and are not a multiple of the mini-batch, shorter than
// it), partial gradients, float against double, causality within a mini-batch, and shape errors.

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/ttt_mlp.h"

namespace zoolab::kernels {
namespace {

struct TttMlpInputs {
  torch::Tensor q, k, v, eta_row, eta_col, w1, b1, w2, b2, ln_weight, ln_bias;

  std::vector<torch::Tensor> all() const {
    return {q, k, v, eta_row, eta_col, w1, b1, w2, b2, ln_weight, ln_bias};
  }
};

const char* const kTttMlpNames[] = {"q",  "k",  "v",  "eta_row",   "eta_col", "w1",
                                    "b1", "w2", "b2", "ln_weight", "ln_bias"};

// Hidden width E = 4F as in Zoology; weights large enough that the inner steps and the GELU's curvature
// both matter.
TttMlpInputs make_ttt_mlp_inputs(int64_t len, torch::Dtype dtype = torch::kDouble, int64_t batch = 2,
                                 int64_t heads = 2, int64_t f = 4) {
  torch::manual_seed(len * 17 + 3);
  const int64_t e = 4 * f;
  auto make = [&](const torch::Tensor& t) { return t.to(dtype).requires_grad_(true); };
  auto randn = [](std::vector<int64_t> shape) { return torch::randn(shape, torch::kDouble); };
  return {make(randn({batch, heads, len, f})),
          make(randn({batch, heads, len, f}) / std::sqrt(static_cast<double>(f))),
          make(randn({batch, heads, len, f})),
          make(0.2 + 0.8 * torch::rand({batch, heads, len}, torch::kDouble)),
          make(0.1 + 0.4 * torch::rand({batch, heads, len}, torch::kDouble)),
          make(0.5 * randn({heads, f, e})),
          make(0.3 * randn({heads, e})),
          make(0.5 * randn({heads, e, f})),
          make(0.3 * randn({heads, f})),
          make(1.0 + 0.3 * randn({heads, f})),
          make(0.3 * randn({heads, f}))};
}

torch::Tensor run_ttt_mlp(const TttMlpInputs& in, int64_t chunk, bool reference) {
  return reference ? ttt_mlp_reference(in.q, in.k, in.v, in.eta_row, in.eta_col, in.w1, in.b1, in.w2, in.b2,
                                       in.ln_weight, in.ln_bias, chunk)
                   : ttt_mlp(in.q, in.k, in.v, in.eta_row, in.eta_col, in.w1, in.b1, in.w2, in.b2,
                             in.ln_weight, in.ln_bias, chunk);
}

void expect_ttt_mlp_close(const torch::Tensor& actual, const torch::Tensor& expected, double rtol,
                          const std::string& what) {
  ASSERT_EQ(actual.sizes(), expected.sizes()) << what;
  const double scale = std::max(1e-12, expected.abs().max().item<double>());
  EXPECT_LT((actual - expected).abs().max().item<double>() / scale, rtol) << what;
}

class TttMlp : public ::testing::TestWithParam<std::tuple<int64_t, int64_t>> {};

TEST_P(TttMlp, DualFormMatchesThePrimalFormAndItsGradients) {
  const auto [len, chunk] = GetParam();
  const auto in = make_ttt_mlp_inputs(len);
  const auto z = run_ttt_mlp(in, chunk, false);
  const auto z_ref = run_ttt_mlp(in, chunk, true);
  ASSERT_TRUE(torch::isfinite(z).all().item<bool>());
  expect_ttt_mlp_close(z, z_ref, 1e-11, "output");
  const auto weights = torch::randn_like(z);
  const auto grads = torch::autograd::grad({(z * weights).sum()}, in.all());
  const auto grads_ref = torch::autograd::grad({(z_ref * weights).sum()}, in.all());
  for (size_t i = 0; i < grads.size(); ++i) {
    ASSERT_TRUE(torch::isfinite(grads[i]).all().item<bool>()) << kTttMlpNames[i];
    expect_ttt_mlp_close(grads[i], grads_ref[i], 1e-10, std::string("grad ") + kTttMlpNames[i]);
  }
}

INSTANTIATE_TEST_SUITE_P(Lengths, TttMlp,
                         ::testing::Values(std::make_tuple(16, 8), std::make_tuple(21, 8),
                                           std::make_tuple(5, 16), std::make_tuple(1, 4),
                                           std::make_tuple(7, 1)));

// The mini-batch loop's hand-written backward with only some inputs requiring gradients (the others
// get none, and those that do still match the primal form's): sequence inputs frozen, then parameters
// frozen.
TEST(TttMlpTest, PartialGradientsMatchThePrimalForm) {
  const std::vector<std::vector<size_t>> subsets = {{5, 6, 7, 8, 9, 10}, {0, 1, 2, 3, 4}, {1, 9}};
  for (const auto& subset : subsets) {
    auto in = make_ttt_mlp_inputs(21);
    auto all = in.all();
    std::vector<torch::Tensor> wanted;
    for (size_t i = 0; i < all.size(); ++i) {
      all[i].requires_grad_(std::find(subset.begin(), subset.end(), i) != subset.end());
    }
    for (const size_t i : subset) {
      wanted.push_back(all[i]);
    }
    const auto z = run_ttt_mlp(in, 8, false);
    const auto z_ref = run_ttt_mlp(in, 8, true);
    const auto weights = torch::randn_like(z);
    const auto grads = torch::autograd::grad({(z * weights).sum()}, wanted);
    const auto grads_ref = torch::autograd::grad({(z_ref * weights).sum()}, wanted);
    for (size_t j = 0; j < subset.size(); ++j) {
      expect_ttt_mlp_close(grads[j], grads_ref[j], 1e-10, std::string("grad ") + kTttMlpNames[subset[j]]);
    }
  }
}

TEST(TttMlpTest, FloatMatchesDouble) {
  const auto in = make_ttt_mlp_inputs(40, torch::kFloat);
  TttMlpInputs in64;
  auto to64 = [](const torch::Tensor& t) { return t.detach().to(torch::kDouble); };
  in64 = {to64(in.q),  to64(in.k),  to64(in.v),  to64(in.eta_row),   to64(in.eta_col), to64(in.w1),
          to64(in.b1), to64(in.w2), to64(in.b2), to64(in.ln_weight), to64(in.ln_bias)};
  expect_ttt_mlp_close(run_ttt_mlp(in, 16, false).to(torch::kDouble), run_ttt_mlp(in64, 16, true), 1e-5,
                       "float output");
}

TEST(TttMlpTest, IsCausalWithinAMiniBatch) {
  const auto base = make_ttt_mlp_inputs(12);
  const auto z = run_ttt_mlp(base, 8, false).detach();
  for (const int64_t p : {3, 9}) {
    TttMlpInputs changed = base;
    changed.k = base.k.detach().clone();
    changed.k.select(2, p).add_(1.0);
    changed.v = base.v.detach().clone();
    changed.v.select(2, p).add_(1.0);
    const auto z2 = run_ttt_mlp(changed, 8, false).detach();
    EXPECT_EQ((z2.narrow(2, 0, p) - z.narrow(2, 0, p)).abs().max().item<double>(), 0.0) << "p " << p;
    EXPECT_GT((z2.narrow(2, p, 12 - p) - z.narrow(2, p, 12 - p)).abs().max().item<double>(), 1e-4)
        << "p " << p;
  }
}

TEST(TttMlpTest, RejectsBadShapes) {
  const auto in = make_ttt_mlp_inputs(6);
  EXPECT_THROW(run_ttt_mlp(in, 0, false), c10::Error);
  auto bad = in;
  bad.w2 = in.w2.narrow(1, 0, 3);
  EXPECT_THROW(run_ttt_mlp(bad, 4, false), c10::Error);
  bad = in;
  bad.b1 = in.b1.narrow(1, 0, 3);
  EXPECT_THROW(run_ttt_mlp(bad, 4, true), c10::Error);
  bad = in;
  bad.ln_weight = in.ln_weight.to(torch::kFloat);
  EXPECT_THROW(run_ttt_mlp(bad, 4, false), c10::Error);
}

}  // namespace
}  // namespace zoolab::kernels
