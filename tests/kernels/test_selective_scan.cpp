// The selective scan's fast CPU path against the plain-torch reference (a loop over L, as
// mamba_ssm's selective_scan_ref): output and the gradient of every input, in double, for odd
// lengths and every combination of the optional pieces (D skip, z gate, delta bias, softplus).

#include <tuple>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/selective_scan.h"

namespace zoolab::kernels {
namespace {

struct ScanInputs {
  torch::Tensor u, delta, A, B, C, D, z, bias;
  std::vector<torch::Tensor> defined() const {
    std::vector<torch::Tensor> out;
    for (const auto& t : {u, delta, A, B, C, D, z, bias}) {
      if (t.defined()) {
        out.push_back(t);
      }
    }
    return out;
  }
};

// Values in Mamba's ranges: A = -exp(·) < 0, positive step sizes when softplus is off (a negative
// step would make exp(Δ·A) grow), unit-scale B, C, u, z.
ScanInputs make_inputs(int64_t batch, int64_t dim, int64_t nstate, int64_t len, bool with_d, bool with_z,
                       bool with_bias, bool softplus, torch::Dtype dtype) {
  const auto o = torch::dtype(dtype);
  ScanInputs in;
  in.u = torch::randn({batch, dim, len}, o);
  in.delta = softplus ? torch::randn({batch, dim, len}, o) : torch::rand({batch, dim, len}, o) * 0.5 + 0.01;
  in.A = -torch::exp(torch::randn({dim, nstate}, o) * 0.5);
  in.B = torch::randn({batch, nstate, len}, o);
  in.C = torch::randn({batch, nstate, len}, o);
  if (with_d) {
    in.D = torch::randn({dim}, o);
  }
  if (with_z) {
    in.z = torch::randn({batch, dim, len}, o);
  }
  if (with_bias) {
    in.bias = softplus ? torch::randn({dim}, o) * 0.5 : torch::rand({dim}, o) * 0.1;
  }
  for (auto* t : {&in.u, &in.delta, &in.A, &in.B, &in.C, &in.D, &in.z, &in.bias}) {
    if (t->defined()) {
      t->requires_grad_(true);
    }
  }
  return in;
}

void expect_matches_reference(const ScanInputs& in, bool softplus, double rtol, double atol) {
  auto out = selective_scan(in.u, in.delta, in.A, in.B, in.C, in.D, in.z, in.bias, softplus);
  auto ref = selective_scan_reference(in.u, in.delta, in.A, in.B, in.C, in.D, in.z, in.bias, softplus);
  ASSERT_EQ(out.sizes(), ref.sizes());
  EXPECT_TRUE(torch::allclose(out, ref, rtol, atol))
      << "max |diff| " << (out - ref).abs().max().item<double>();

  // A fixed random cotangent, so every output position matters differently.
  const auto cotangent = torch::randn_like(ref);
  const auto inputs = in.defined();
  auto grads = torch::autograd::grad({out}, inputs, {cotangent});
  auto grads_ref = torch::autograd::grad({ref}, inputs, {cotangent});
  const char* names[] = {"u", "delta", "A", "B", "C", "D", "z", "delta_bias"};
  size_t k = 0;
  size_t name = 0;
  for (const auto& t : {in.u, in.delta, in.A, in.B, in.C, in.D, in.z, in.bias}) {
    if (t.defined()) {
      ASSERT_EQ(grads[k].sizes(), t.sizes()) << names[name];
      EXPECT_TRUE(torch::allclose(grads[k], grads_ref[k], rtol, atol))
          << "gradient of " << names[name] << ": max |diff| "
          << (grads[k] - grads_ref[k]).abs().max().item<double>();
      ++k;
    }
    ++name;
  }
}

// (L, D skip, z gate, delta bias, softplus)
class SelectiveScanTest : public ::testing::TestWithParam<std::tuple<int64_t, bool, bool, bool, bool>> {};

TEST_P(SelectiveScanTest, MatchesTheReferenceInDouble) {
  const auto [len, with_d, with_z, with_bias, softplus] = GetParam();
  torch::manual_seed(len * 16 + with_d * 8 + with_z * 4 + with_bias * 2 + softplus);
  // Batch 3, 5 channels: the backward splits the channels into groups of unequal size.
  const auto in = make_inputs(3, 5, 4, len, with_d, with_z, with_bias, softplus, torch::kDouble);
  expect_matches_reference(in, softplus, 1e-9, 1e-11);
}

INSTANTIATE_TEST_SUITE_P(LengthsAndOptions, SelectiveScanTest,
                         ::testing::Combine(::testing::Values<int64_t>(1, 7, 33, 130), ::testing::Bool(),
                                            ::testing::Bool(), ::testing::Bool(), ::testing::Bool()));

TEST(SelectiveScan, MatchesTheReferenceInFloatAtMambaSizes) {
  torch::manual_seed(11);
  // Mamba's defaults at d_model 16: D_inner 32, N 16; step sizes as softplus(dt + bias) makes them.
  const auto in = make_inputs(2, 32, 16, 64, true, true, true, true, torch::kFloat);
  expect_matches_reference(in, true, 1e-4, 1e-5);
}

TEST(SelectiveScan, BatchOfOneUsesEveryChannelOnce) {
  torch::manual_seed(12);
  const auto in = make_inputs(1, 9, 3, 17, true, true, true, true, torch::kDouble);
  expect_matches_reference(in, true, 1e-9, 1e-11);
}

TEST(SelectiveScan, SoftplusIsLinearAboveItsThreshold) {
  torch::manual_seed(13);
  auto in = make_inputs(2, 3, 2, 5, true, false, true, true, torch::kDouble);
  {
    torch::NoGradGuard no_grad;
    in.delta.mul_(0.01).add_(25.0);  // softplus(x) = x above 20, as F.softplus
    in.A.mul_(0.01);
  }
  expect_matches_reference(in, true, 1e-9, 1e-11);
}

TEST(SelectiveScan, RejectsEachMismatchedInput) {
  const auto u = torch::randn({2, 4, 6});
  const auto A = -torch::rand({4, 3});
  const auto B = torch::randn({2, 3, 6});
  const torch::Tensor none;
  // The control call works.
  EXPECT_NO_THROW(selective_scan(u, u, A, B, B, torch::ones({4}), u, torch::zeros({4}), true));
  EXPECT_THROW(selective_scan(u.view({8, 6}), u, A, B, B, none, none, none, true), c10::Error);
  EXPECT_THROW(selective_scan(u, u.narrow(2, 0, 5), A, B, B, none, none, none, true), c10::Error);
  EXPECT_THROW(selective_scan(u, u, -torch::rand({5, 3}), B, B, none, none, none, true), c10::Error);
  EXPECT_THROW(selective_scan(u, u, A, torch::randn({2, 2, 6}), B, none, none, none, true), c10::Error);
  EXPECT_THROW(selective_scan(u, u, A, B, torch::randn({2, 3, 5}), none, none, none, true), c10::Error);
  EXPECT_THROW(selective_scan(u, u, A, B, B, torch::ones({3}), none, none, true), c10::Error);
  EXPECT_THROW(selective_scan(u, u, A, B, B, none, torch::randn({2, 4, 5}), none, true), c10::Error);
  EXPECT_THROW(selective_scan(u, u, A, B, B, none, none, torch::zeros({4, 1}), true), c10::Error);
  EXPECT_THROW(selective_scan(u.narrow(2, 0, 0), u.narrow(2, 0, 0), A, B.narrow(2, 0, 0), B.narrow(2, 0, 0),
                              none, none, none, true),
               c10::Error);
}

}  // namespace
}  // namespace zoolab::kernels
