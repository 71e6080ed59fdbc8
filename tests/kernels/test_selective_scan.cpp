// The selective scan's fast CPU path against the plain-torch reference (a loop over L, as
// mamba_ssm's selective_scan_ref): output and the gradient of every input, in double, for odd
// lengths and every combination of the optional pieces (D skip, z gate, delta bias, softplus). The
// chunked form (what tensors off the CPU run) against the same reference, on the CPU for several chunks
// and on ZOOLAB_TEST_DEVICE (tests/support/test_device.h).

#include <functional>
#include <tuple>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/selective_scan.h"
#include "tests/support/test_device.h"

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

// The form under test: the dispatcher (the CPU kernel for CPU tensors) unless told otherwise.
using ScanForm = std::function<torch::Tensor(const ScanInputs&, bool)>;

torch::Tensor dispatched(const ScanInputs& in, bool softplus) {
  return selective_scan(in.u, in.delta, in.A, in.B, in.C, in.D, in.z, in.bias, softplus);
}

void expect_matches_reference(const ScanInputs& in, bool softplus, double rtol, double atol,
                              const ScanForm& form = dispatched) {
  auto out = form(in, softplus);
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

ScanForm chunked(int64_t chunk) {
  return [chunk](const ScanInputs& in, bool softplus) {
    return selective_scan_chunked(in.u, in.delta, in.A, in.B, in.C, in.D, in.z, in.bias, softplus, chunk);
  };
}

// (L, chunk, every optional piece or none, softplus)
class SelectiveScanChunked : public ::testing::TestWithParam<std::tuple<int64_t, int64_t, bool, bool>> {};

TEST_P(SelectiveScanChunked, MatchesTheReferenceInDouble) {
  const auto [len, chunk, options, softplus] = GetParam();
  torch::manual_seed(len * 64 + chunk * 4 + options * 2 + softplus);
  const auto in = make_inputs(3, 5, 4, len, options, options, options, softplus, torch::kDouble);
  expect_matches_reference(in, softplus, 1e-9, 1e-11, chunked(chunk));
}

// Lengths below, at and past a chunk and not multiples of it; chunks of 1, 5 and the default.
INSTANTIATE_TEST_SUITE_P(LengthsAndChunks, SelectiveScanChunked,
                         ::testing::Combine(::testing::Values<int64_t>(1, 7, 33, 130),
                                            ::testing::Values<int64_t>(1, 5, kSelectiveScanChunk),
                                            ::testing::Bool(), ::testing::Bool()));

TEST(SelectiveScan, ChunkedMatchesTheReferenceInFloatAtMambaSizes) {
  torch::manual_seed(14);
  const auto in = make_inputs(2, 32, 16, 71, true, true, true, true, torch::kFloat);
  expect_matches_reference(in, true, 1e-4, 1e-5, chunked(kSelectiveScanChunk));
}

TEST(SelectiveScan, ChunkedKeepsStrongDecaysFinite) {
  // |Δ·A| up to ~200 a step: a chunk's cumulative decay reaches e^-3000, far below what float or double
  // represent, so only differences taken before the exp (never e^{-cs} alone) stay finite.
  for (const auto dtype : {torch::kDouble, torch::kFloat}) {
    torch::manual_seed(15);
    auto in = make_inputs(2, 6, 4, 45, true, true, true, true, dtype);
    {
      torch::NoGradGuard no_grad;
      in.A.mul_(40.0);
      in.delta.add_(2.0);
    }
    const bool is_double = dtype == torch::kDouble;
    expect_matches_reference(in, true, is_double ? 1e-9 : 1e-4, is_double ? 1e-11 : 1e-5,
                             chunked(kSelectiveScanChunk));
  }
}

TEST(SelectiveScan, RunsOnTheTestDeviceAgainstTheReferenceOnTheCpu) {
  // The dispatcher on the test device: the chunked form off the CPU, the CPU kernel on it.
  const ScanForm on_device = [](const ScanInputs& in, bool softplus) {
    using test_support::on_test_device;
    return selective_scan(on_test_device(in.u), on_test_device(in.delta), on_test_device(in.A),
                          on_test_device(in.B), on_test_device(in.C), on_test_device(in.D),
                          on_test_device(in.z), on_test_device(in.bias), softplus)
        .cpu();
  };
  torch::manual_seed(16);
  expect_matches_reference(make_inputs(3, 5, 4, 77, true, true, true, true, torch::kDouble), true, 1e-9,
                           1e-11, on_device);
  expect_matches_reference(make_inputs(2, 32, 16, 77, true, true, true, true, torch::kFloat), true, 1e-4,
                           1e-5, on_device);
}

TEST(SelectiveScan, ChunkedShortensItsChunkToThePairwiseBudget) {
  // Figure 2's Mamba at L 512 (batch 128, 128 channels, 16 states) in float: 4 GiB holds a chunk of 8.
  EXPECT_EQ(selective_scan_chunk_length(128, 128, 512, 16, 4, kSelectiveScanChunk), 8);
  EXPECT_EQ(selective_scan_chunk_length(128, 128, 512, 16, 8, kSelectiveScanChunk), 4);
  // Small problems keep the chunk asked for, cut to the sequence; huge ones still get 1.
  EXPECT_EQ(selective_scan_chunk_length(2, 32, 64, 16, 4, kSelectiveScanChunk), kSelectiveScanChunk);
  EXPECT_EQ(selective_scan_chunk_length(2, 32, 7, 16, 4, kSelectiveScanChunk), 7);
  EXPECT_EQ(selective_scan_chunk_length(1024, 4096, 8192, 16, 4, kSelectiveScanChunk), 1);
  EXPECT_THROW(selective_scan_chunk_length(2, 3, 4, 5, 4, 0), c10::Error);
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
