// TTT-Linear's mini-batch inner loop: the dual form (batched matmuls per mini-batch) against the primal
// form token by token, output and every gradient, in double and float; lengths that are and are not a
// multiple of the mini-batch, shorter than it, and mini-batches of one token; causality within a
// mini-batch; the inner loss; and fla's fla/ops/ttt/naive.py through a committed fixture.

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "kernels/ttt_linear.h"

namespace zoolab::kernels {
namespace {

struct TttInputs {
  torch::Tensor q, k, v;             // (B, H, L, F)
  torch::Tensor eta_row, eta_col;    // (B, H, L)
  torch::Tensor w0, b0;              // (H, F, F) or (B, H, F, F); (H, F) or (B, H, F)
  torch::Tensor ln_weight, ln_bias;  // (H, F)

  std::vector<torch::Tensor> all() const { return {q, k, v, eta_row, eta_col, w0, b0, ln_weight, ln_bias}; }
};

const char* const kTttNames[] = {"q", "k", "v", "eta_row", "eta_col", "w0", "b0", "ln_weight", "ln_bias"};

// Learning rates around Zoology's (token_eta ≈ 1/(i+1), ttt_lr_eta ≈ σ(·)/F) but larger, so the inner
// steps change the state visibly; a per-batch state when `batched_state`.
TttInputs make_ttt_inputs(int64_t len, torch::Dtype dtype = torch::kDouble, bool batched_state = false,
                          int64_t batch = 2, int64_t heads = 3, int64_t f = 6) {
  torch::manual_seed(len * 13 + (batched_state ? 1 : 0));
  auto make = [&](torch::Tensor t) { return t.to(dtype).requires_grad_(true); };
  const auto state_batch = batched_state ? std::vector<int64_t>{batch} : std::vector<int64_t>{};
  auto with_batch = [&](std::vector<int64_t> shape) {
    shape.insert(shape.begin(), state_batch.begin(), state_batch.end());
    return shape;
  };
  return {make(torch::randn({batch, heads, len, f}, torch::kDouble)),
          make(torch::randn({batch, heads, len, f}, torch::kDouble) / std::sqrt(static_cast<double>(f))),
          make(torch::randn({batch, heads, len, f}, torch::kDouble)),
          make(0.2 + 0.8 * torch::rand({batch, heads, len}, torch::kDouble)),
          make(0.1 + 0.4 * torch::rand({batch, heads, len}, torch::kDouble)),
          make(0.3 * torch::randn(with_batch({heads, f, f}), torch::kDouble)),
          make(0.3 * torch::randn(with_batch({heads, f}), torch::kDouble)),
          make(1.0 + 0.3 * torch::randn({heads, f}, torch::kDouble)),
          make(0.3 * torch::randn({heads, f}, torch::kDouble))};
}

torch::Tensor run_dual(const TttInputs& in, int64_t chunk) {
  return ttt_linear(in.q, in.k, in.v, in.eta_row, in.eta_col, in.w0, in.b0, in.ln_weight, in.ln_bias, chunk);
}

torch::Tensor run_primal(const TttInputs& in, int64_t chunk) {
  return ttt_linear_reference(in.q, in.k, in.v, in.eta_row, in.eta_col, in.w0, in.b0, in.ln_weight,
                              in.ln_bias, chunk);
}

void expect_ttt_close(const torch::Tensor& actual, const torch::Tensor& expected, double rtol,
                      const std::string& what) {
  ASSERT_EQ(actual.sizes(), expected.sizes()) << what;
  const double scale = std::max(1e-12, expected.abs().max().item<double>());
  EXPECT_LT((actual - expected).abs().max().item<double>() / scale, rtol) << what;
}

// (L, mini-batch size, per-batch initial state)
class TttLinear : public ::testing::TestWithParam<std::tuple<int64_t, int64_t, bool>> {};

TEST_P(TttLinear, DualFormMatchesThePrimalFormAndItsGradients) {
  const auto [len, chunk, batched_state] = GetParam();
  const auto in = make_ttt_inputs(len, torch::kDouble, batched_state);
  const auto z = run_dual(in, chunk);
  const auto z_ref = run_primal(in, chunk);
  ASSERT_TRUE(torch::isfinite(z).all().item<bool>());
  expect_ttt_close(z, z_ref, 1e-11, "output");
  // The inner steps matter: against the untrained state the output differs.
  const auto frozen = torch::matmul(in.q, in.w0.dim() == 3 ? in.w0.unsqueeze(0) : in.w0) +
                      (in.b0.dim() == 2 ? in.b0.unsqueeze(0) : in.b0).unsqueeze(2);
  EXPECT_GT((z - frozen).abs().max().item<double>(), 1e-2);

  const auto weights = torch::randn_like(z);
  const auto grads = torch::autograd::grad({(z * weights).sum()}, in.all());
  const auto grads_ref = torch::autograd::grad({(z_ref * weights).sum()}, in.all());
  for (size_t i = 0; i < grads.size(); ++i) {
    ASSERT_TRUE(torch::isfinite(grads[i]).all().item<bool>()) << kTttNames[i];
    expect_ttt_close(grads[i], grads_ref[i], 1e-10, std::string("grad ") + kTttNames[i]);
  }
}

INSTANTIATE_TEST_SUITE_P(Lengths, TttLinear,
                         ::testing::Values(std::make_tuple(16, 16, false),  // one full mini-batch
                                           std::make_tuple(48, 16, false),  // three
                                           std::make_tuple(37, 16, false),  // two and a remainder of 5
                                           std::make_tuple(5, 16, false),   // shorter than one
                                           std::make_tuple(1, 4, false),    // a single token
                                           std::make_tuple(23, 8, true),    // per-batch initial state
                                           std::make_tuple(9, 1, false),    // one token per step
                                           std::make_tuple(30, 32, true)));

TEST(TttLinearTest, FloatMatchesDouble) {
  const auto in = make_ttt_inputs(70, torch::kFloat);
  const auto z = run_dual(in, 16);
  TttInputs in64;
  auto to64 = [](const torch::Tensor& t) { return t.detach().to(torch::kDouble); };
  in64 = {to64(in.q),  to64(in.k),  to64(in.v),         to64(in.eta_row), to64(in.eta_col),
          to64(in.w0), to64(in.b0), to64(in.ln_weight), to64(in.ln_bias)};
  expect_ttt_close(z.to(torch::kDouble), run_primal(in64, 16), 1e-5, "float output");
  expect_ttt_close(run_primal(in, 16).to(torch::kDouble), run_primal(in64, 16), 1e-5, "float reference");
  const auto weights = torch::randn_like(z);
  const auto grads = torch::autograd::grad({(z * weights).sum()}, in.all());
  const auto grads_ref = torch::autograd::grad({(run_primal(in, 16) * weights).sum()}, in.all());
  for (size_t i = 0; i < grads.size(); ++i) {
    expect_ttt_close(grads[i].to(torch::kDouble), grads_ref[i].to(torch::kDouble), 1e-4,
                     std::string("float grad ") + kTttNames[i]);
  }
}

TEST(TttLinearTest, IsCausalWithinAndAcrossMiniBatches) {
  // Changing token p (q, k, v and both learning rates) leaves every earlier output exactly as it was,
  // also the earlier tokens of p's own mini-batch, where the dual form mixes tokens through q kᵀ.
  const auto base = make_ttt_inputs(40, torch::kDouble);
  const auto z = run_dual(base, 16).detach();
  for (const int64_t p : {0, 5, 15, 16, 21, 39}) {
    TttInputs changed = base;
    auto bump = [&](const torch::Tensor& t) {
      auto copy = t.detach().clone();
      copy.select(2, p).add_(1.5);
      return copy;
    };
    changed.q = bump(base.q);
    changed.k = bump(base.k);
    changed.v = bump(base.v);
    changed.eta_row = bump(base.eta_row);
    changed.eta_col = bump(base.eta_col);
    const auto z2 = run_dual(changed, 16).detach();
    if (p > 0) {
      EXPECT_EQ((z2.narrow(2, 0, p) - z.narrow(2, 0, p)).abs().max().item<double>(), 0.0) << "p " << p;
    }
    EXPECT_GT((z2.select(2, p) - z.select(2, p)).abs().max().item<double>(), 1e-3) << "p " << p;
  }
}

TEST(TttLinearTest, InnerLossIsTheLossAtEachMiniBatchsStartingState) {
  const auto in = make_ttt_inputs(21, torch::kDouble);
  torch::Tensor loss;
  ttt_linear(in.q, in.k, in.v, in.eta_row, in.eta_col, in.w0, in.b0, in.ln_weight, in.ln_bias, 8, 1e-6,
             &loss);
  ASSERT_EQ(loss.sizes(), torch::IntArrayRef({2, 3, 3}));
  EXPECT_FALSE(loss.requires_grad());
  // Mini-batch 0 starts from (w0, b0): ½‖LN(k W₀ + b₀) - (v - k)‖² averaged over its 8 tokens.
  torch::NoGradGuard no_grad;
  const auto k = in.k.narrow(2, 0, 8), v = in.v.narrow(2, 0, 8);
  const auto z = torch::matmul(k, in.w0.unsqueeze(0)) + in.b0.unsqueeze(0).unsqueeze(2);
  const auto expected = 0.5 * (ttt_layer_norm(z, in.ln_weight, in.ln_bias) - (v - k)).pow(2).sum(-1).mean(-1);
  expect_ttt_close(loss.select(2, 0), expected, 1e-12, "first mini-batch's loss");
  // The last mini-batch has 5 real tokens: its mean leaves the 3 padding tokens out.
  EXPECT_TRUE((loss > 0).all().item<bool>());
  EXPECT_TRUE(torch::isfinite(loss).all().item<bool>());
}

TEST(TttLinearTest, RejectsBadShapesAndSizes) {
  const auto in = make_ttt_inputs(8, torch::kDouble);
  auto call = [&](TttInputs x, int64_t chunk = 4) { return run_dual(x, chunk); };
  EXPECT_THROW(call(in, 0), c10::Error);
  auto bad = in;
  bad.v = in.v.narrow(3, 0, 5);
  EXPECT_THROW(call(bad), c10::Error);
  bad = in;
  bad.eta_row = in.eta_row.narrow(2, 0, 7);
  EXPECT_THROW(call(bad), c10::Error);
  bad = in;
  bad.w0 = in.w0.narrow(1, 0, 5);
  EXPECT_THROW(call(bad), c10::Error);
  bad = in;
  bad.b0 = in.b0.unsqueeze(0);  // (1, H, F) with B = 2
  EXPECT_THROW(call(bad), c10::Error);
  bad = in;
  bad.ln_bias = in.ln_bias.narrow(0, 0, 2);
  EXPECT_THROW(call(bad), c10::Error);
  bad = in;
  bad.k = in.k.to(torch::kFloat);
  EXPECT_THROW(call(bad), c10::Error);
  EXPECT_THROW(ttt_linear_reference(in.q, in.k, in.v, in.eta_row, in.eta_col, in.w0, in.b0, in.ln_weight,
                                    in.ln_bias, 0),
               c10::Error);
}

torch::Tensor ttt_fixture_tensor(const nlohmann::json& entry) {
  const auto shape = entry.at("shape").get<std::vector<int64_t>>();
  return torch::tensor(entry.at("values").get<std::vector<double>>(), torch::kDouble).view(shape);
}

TEST(TttLinearTest, MatchesFlaNaiveReference) {
  // tests/kernels/fixtures/make_ttt_linear_fixture.py: fla's chunk_ttt_linear_ref, (B, T, H, D) layout,
  // q scaled by `scale`, per-token eta (our η_row, η_col ≡ 1), initial state and bias per batch row,
  // output o + LN(o) of the inner prediction o.
  const std::string path = std::string(ZOOLAB_SOURCE_DIR) + "/tests/kernels/fixtures/ttt_linear_fla.json";
  std::ifstream file(path);
  ASSERT_TRUE(file) << "missing fixture " << path;
  const auto fixture = nlohmann::json::parse(file);
  auto heads_first = [](const torch::Tensor& t) { return t.transpose(1, 2).contiguous(); };  // (B, H, T, ·)
  const auto q = heads_first(ttt_fixture_tensor(fixture.at("q"))) * fixture.at("scale").get<double>();
  const auto k = heads_first(ttt_fixture_tensor(fixture.at("k")));
  const auto v = heads_first(ttt_fixture_tensor(fixture.at("v")));
  const auto eta = heads_first(ttt_fixture_tensor(fixture.at("eta"))).squeeze(-1);  // (B, H, T)
  const auto ln_weight = ttt_fixture_tensor(fixture.at("w"));
  const auto ln_bias = ttt_fixture_tensor(fixture.at("b"));
  const auto w0 = ttt_fixture_tensor(fixture.at("initial_state"));                  // (B, H, D, D)
  const auto b0 = ttt_fixture_tensor(fixture.at("initial_state_bias")).squeeze(2);  // (B, H, D)
  const auto expected = heads_first(ttt_fixture_tensor(fixture.at("o")));
  const int64_t chunk = fixture.at("mini_batch_size").get<int64_t>();
  const double eps = fixture.at("eps").get<double>();
  ASSERT_NE(q.size(2) % chunk, 0) << "the fixture should exercise a remainder";
  for (const bool reference : {false, true}) {
    const auto z =
        reference ? ttt_linear_reference(q, k, v, eta, torch::ones_like(eta), w0, b0, ln_weight, ln_bias,
                                         chunk, eps)
                  : ttt_linear(q, k, v, eta, torch::ones_like(eta), w0, b0, ln_weight, ln_bias, chunk, eps);
    const auto o = z + ttt_layer_norm(z, ln_weight, ln_bias, eps);
    expect_ttt_close(o, expected, 2e-6, reference ? "primal vs fla" : "dual vs fla");  // fla ran in float32
  }
}

}  // namespace
}  // namespace zoolab::kernels
