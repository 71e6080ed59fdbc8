// RWKV-7's generalised delta rule (kernels/rwkv7_recurrence.h): the chunked form against the
// step-by-step reference, output and every gradient, in double (tight) and float (loose), over chunk
// sizes that divide the length, do not, exceed it, and split into sub-chunks; and both against fla's
// plain-PyTorch DPLR reference (fla/ops/generalized_delta_rule/dplr/naive.py) through the fixture made by
// tests/kernels/fixtures/make_rwkv7_fixtures.py.

#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "kernels/rwkv7_recurrence.h"

namespace zoolab::kernels {
namespace {

struct Rwkv7Inputs {
  torch::Tensor r, w_log, k, v, a, b;  // (B, H, L, K) but v: (B, H, L, V)
  std::vector<torch::Tensor> all() const { return {r, w_log, k, v, a, b}; }
};

const char* const kRwkv7Names[] = {"r", "w_log", "k", "v", "a", "b"};

// Inputs shaped as RWKV-7 makes them (Zoology's zoology/mixers/rwkv7.py): log decays in
// [decay_floor, 0), a = -kk and b = kk ⊙ σ(·) with kk of unit norm, so each transition is a contraction.
Rwkv7Inputs rwkv7_inputs(int64_t len, double decay_floor, torch::Dtype dtype, int64_t kdim = 8,
                         int64_t vdim = 6) {
  torch::manual_seed(len * 13 + kdim);
  const int64_t batch = 2, heads = 3;
  const auto opts = torch::dtype(torch::kDouble);
  const auto kk = torch::nn::functional::normalize(torch::randn({batch, heads, len, kdim}, opts),
                                                   torch::nn::functional::NormalizeFuncOptions().dim(-1));
  Rwkv7Inputs in{torch::randn({batch, heads, len, kdim}, opts),
                 decay_floor * torch::sigmoid(torch::randn({batch, heads, len, kdim}, opts)),
                 torch::randn({batch, heads, len, kdim}, opts),
                 torch::randn({batch, heads, len, vdim}, opts),
                 -kk,
                 kk * torch::sigmoid(torch::randn({batch, heads, len, kdim}, opts))};
  for (auto* t : {&in.r, &in.w_log, &in.k, &in.v, &in.a, &in.b}) {
    *t = t->to(dtype).detach().requires_grad_(true);
  }
  return in;
}

void rwkv7_expect_close(const torch::Tensor& actual, const torch::Tensor& expected, double rtol,
                        const std::string& what) {
  ASSERT_EQ(actual.sizes(), expected.sizes()) << what;
  ASSERT_TRUE(torch::isfinite(actual).all().item<bool>()) << what;
  const double scale = std::max(1e-12, expected.abs().max().item<double>());
  EXPECT_LT((actual - expected).abs().max().item<double>() / scale, rtol) << what;
}

// Output and the gradients of sum(o ⊙ weights) with respect to every input.
std::vector<torch::Tensor> rwkv7_run(const Rwkv7Inputs& in, const torch::Tensor& weights, bool reference,
                                     int64_t chunk, double scale = 0.5) {
  const auto o = reference ? rwkv7_recurrence_reference(in.r, in.w_log, in.k, in.v, in.a, in.b, scale)
                           : rwkv7_recurrence(in.r, in.w_log, in.k, in.v, in.a, in.b, scale, chunk);
  auto grads = torch::autograd::grad({(o * weights).sum()}, in.all());
  grads.insert(grads.begin(), o);
  return grads;
}

class Rwkv7Chunked : public ::testing::TestWithParam<std::tuple<int64_t, int64_t, double>> {};

TEST_P(Rwkv7Chunked, MatchesTheStepByStepReferenceForwardAndAllGradientsInDouble) {
  const auto [len, chunk, decay_floor] = GetParam();
  const auto in = rwkv7_inputs(len, decay_floor, torch::kDouble);
  const auto weights = torch::randn_like(in.v);
  const auto ours = rwkv7_run(in, weights, false, chunk);
  const auto ref = rwkv7_run(in, weights, true, chunk);
  rwkv7_expect_close(ours[0], ref[0], 1e-10, "output");
  for (size_t i = 1; i < ours.size(); ++i) {
    rwkv7_expect_close(ours[i], ref[i], 1e-9, std::string("grad ") + kRwkv7Names[i - 1]);
  }
}

TEST_P(Rwkv7Chunked, FloatFollowsDouble) {
  const auto [len, chunk, decay_floor] = GetParam();
  const auto in = rwkv7_inputs(len, decay_floor, torch::kFloat);
  Rwkv7Inputs in64;
  auto* dst = &in64.r;
  for (const auto& t : in.all()) {
    *dst++ = t.detach().to(torch::kDouble).requires_grad_(true);
  }
  const auto weights = torch::randn_like(in.v);
  const auto ours = rwkv7_run(in, weights, false, chunk);
  const auto ref = rwkv7_run(in64, weights.to(torch::kDouble), true, chunk);
  rwkv7_expect_close(ours[0].to(torch::kDouble), ref[0], 1e-4, "output");
  for (size_t i = 1; i < ours.size(); ++i) {
    rwkv7_expect_close(ours[i].to(torch::kDouble), ref[i], 1e-3, std::string("grad ") + kRwkv7Names[i - 1]);
  }
}

// (L, chunk, decay floor): L a multiple of the chunk, not, shorter than it; chunks of 64 and 32 split in
// sub-chunks of 16; odd chunks; RWKV-7's decay range (-e^{-0.5}) and strong decays (cumulative decays
// far below the float range inside one chunk).
INSTANTIATE_TEST_SUITE_P(Lengths, Rwkv7Chunked,
                         ::testing::Values(std::make_tuple(64, 64, -0.6065), std::make_tuple(37, 16, -0.6065),
                                           std::make_tuple(10, 64, -0.6065),
                                           std::make_tuple(100, 32, -0.6065),
                                           std::make_tuple(130, 64, -0.6065), std::make_tuple(23, 5, -0.6065),
                                           std::make_tuple(1, 4, -0.6065), std::make_tuple(70, 64, -30.0),
                                           std::make_tuple(41, 8, -30.0)));

TEST(Rwkv7Recurrence, RefusesMismatchedShapesAndChunkSizes) {
  const auto in = rwkv7_inputs(5, -0.6, torch::kDouble);
  EXPECT_THROW(rwkv7_recurrence(in.r, in.w_log.narrow(3, 0, 4), in.k, in.v, in.a, in.b, 1.0),
               std::invalid_argument);
  EXPECT_THROW(rwkv7_recurrence(in.r, in.w_log, in.k, in.v.narrow(2, 0, 4), in.a, in.b, 1.0),
               std::invalid_argument);
  EXPECT_THROW(rwkv7_recurrence(in.r, in.w_log, in.k, in.v, in.a, in.b, 1.0, 0), std::invalid_argument);
}

// The recurrence is linear in v: the L × L identity as v gives the weights W with o = W v (what the
// rwkv7 mixer captures), for every chunking.
TEST(Rwkv7Recurrence, IdentityValuesGiveTheMixingWeights) {
  const auto in = rwkv7_inputs(13, -0.6065, torch::kDouble);
  torch::NoGradGuard no_grad;
  const auto identity = torch::eye(13, torch::kDouble).expand({2, 3, 13, 13});
  for (const int64_t chunk : {4, 64}) {
    const auto weights = rwkv7_recurrence(in.r, in.w_log, in.k, identity, in.a, in.b, 0.5, chunk);
    const auto o = rwkv7_recurrence_reference(in.r, in.w_log, in.k, in.v, in.a, in.b, 0.5);
    rwkv7_expect_close(torch::matmul(weights, in.v), o, 1e-10, "W v, chunk " + std::to_string(chunk));
  }
}

// Gradients asked for only some inputs (the rest constants), in RWKV-7's decay range (the factored form
// with its hand-written backward) and under decays strong enough that chunks of 64 take the
// sub-chunked form: each against the reference's autograd, in double.
TEST(Rwkv7Recurrence, PartialGradientsMatchTheReferenceInBothForms) {
  for (const double floor : {-0.6065, -30.0}) {
    const auto in = rwkv7_inputs(150, floor, torch::kDouble, 5, 7);
    const auto weights = torch::randn_like(in.v);
    const std::vector<torch::Tensor> wanted{in.w_log, in.b};
    const auto o = rwkv7_recurrence(in.r, in.w_log, in.k, in.v.detach(), in.a.detach(), in.b, 0.5, 64);
    const auto o_ref =
        rwkv7_recurrence_reference(in.r, in.w_log, in.k, in.v.detach(), in.a.detach(), in.b, 0.5);
    const auto grads = torch::autograd::grad({(o * weights).sum()}, wanted);
    const auto grads_ref = torch::autograd::grad({(o_ref * weights).sum()}, wanted);
    const std::string what = "floor " + std::to_string(floor);
    rwkv7_expect_close(o, o_ref, 1e-10, what + " output");
    rwkv7_expect_close(grads[0], grads_ref[0], 1e-9, what + " grad w_log");
    rwkv7_expect_close(grads[1], grads_ref[1], 1e-9, what + " grad b");
  }
}

torch::Tensor rwkv7_fixture_tensor(const nlohmann::json& entry) {
  const auto shape = entry.at("shape").get<std::vector<int64_t>>();
  return torch::tensor(entry.at("values").get<std::vector<double>>(), torch::kDouble).view(shape);
}

// fla's naive DPLR recurrence (K × V state, q scaled by K^-1/2 inside) on RWKV-7-shaped inputs: both of
// ours, at chunk sizes that split the sequence in several ways, give its output and gradients.
TEST(Rwkv7Recurrence, MatchesFlasNaiveDplrReference) {
  std::ifstream file(std::string(ZOOLAB_SOURCE_DIR) + "/tests/kernels/fixtures/rwkv7_recurrence.json");
  ASSERT_TRUE(file.good()) << "missing fixture tests/kernels/fixtures/rwkv7_recurrence.json";
  const auto fixture = nlohmann::json::parse(file);
  ASSERT_FALSE(fixture.at("cases").empty());
  for (const auto& [label, c] : fixture.at("cases").items()) {
    Rwkv7Inputs in;
    auto* dst = &in.r;
    for (const char* name : kRwkv7Names) {
      *dst++ = rwkv7_fixture_tensor(c.at("inputs").at(name)).requires_grad_(true);
    }
    const auto weights = rwkv7_fixture_tensor(c.at("weights"));
    const double scale = c.at("scale").get<double>();
    for (const int64_t chunk : {0, 4, 16, 64}) {  // 0: the reference
      const std::string what = label + (chunk ? " chunk " + std::to_string(chunk) : " reference");
      const auto ours = rwkv7_run(in, weights, chunk == 0, chunk, scale);
      rwkv7_expect_close(ours[0], rwkv7_fixture_tensor(c.at("output")), 1e-9, what + " output");
      for (size_t i = 1; i < ours.size(); ++i) {
        rwkv7_expect_close(ours[i], rwkv7_fixture_tensor(c.at("grads").at(kRwkv7Names[i - 1])), 1e-8,
                           what + " grad " + kRwkv7Names[i - 1]);
      }
    }
  }
}

}  // namespace
}  // namespace zoolab::kernels
