// RWKV v4's WKV recurrence: the fast CPU kernel against the step-by-step reference and against the
// explicit O(T²) weights, output and all four gradients, in double; large |k| exercises the running
// maximum that keeps the exponentials finite. The chunked form (what tensors off the CPU run) against
// the reference too, on the CPU and on ZOOLAB_TEST_DEVICE (tests/support/test_device.h).

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/wkv.h"
#include "tests/support/test_device.h"

namespace zoolab::kernels {
namespace {

struct Inputs {
  torch::Tensor time_decay, time_first, k, v;  // (C,), (C,), (B, T, C), (B, T, C)
};

// C = 19: one full channel block of 16 and a partial one.
Inputs make_inputs(int64_t len, double key_scale, torch::Dtype dtype = torch::kDouble, int64_t batch = 3,
                   int64_t channels = 19) {
  torch::manual_seed(len * 7 + static_cast<int64_t>(key_scale));
  const auto options = torch::dtype(dtype).requires_grad(true);
  return {(torch::randn({channels}, torch::kDouble) * 2.0).to(dtype).requires_grad_(true),
          torch::randn({channels}, options),
          (torch::randn({batch, len, channels}, torch::kDouble) * key_scale).to(dtype).requires_grad_(true),
          torch::randn({batch, len, channels}, options)};
}

std::vector<torch::Tensor> all(const Inputs& in) {
  return {in.time_decay, in.time_first, in.k, in.v};
}

void expect_close(const torch::Tensor& actual, const torch::Tensor& expected, double rtol,
                  const std::string& what) {
  ASSERT_EQ(actual.sizes(), expected.sizes()) << what;
  const double scale = std::max(1e-12, expected.abs().max().item<double>());
  EXPECT_LT((actual - expected).abs().max().item<double>() / scale, rtol) << what;
}

class Wkv : public ::testing::TestWithParam<std::tuple<int64_t, double>> {};

TEST_P(Wkv, MatchesTheReferenceForwardAndAllGradients) {
  const auto [len, key_scale] = GetParam();
  const auto in = make_inputs(len, key_scale);
  const auto y = wkv(in.time_decay, in.time_first, in.k, in.v);
  const auto y_ref = wkv_reference(in.time_decay, in.time_first, in.k, in.v);
  ASSERT_TRUE(torch::isfinite(y).all().item<bool>());
  expect_close(y, y_ref, 1e-10, "output");

  const auto weights = torch::randn_like(y);
  const auto grads = torch::autograd::grad({(y * weights).sum()}, all(in));
  // With T = 1 the reference never reaches time_decay (its only use is the state update after the
  // last token): an unused input, whose gradient is zero.
  const auto grads_ref = torch::autograd::grad({(y_ref * weights).sum()}, all(in), {}, false, false,
                                               /*allow_unused=*/true);
  const char* names[] = {"time_decay", "time_first", "k", "v"};
  for (size_t i = 0; i < grads.size(); ++i) {
    ASSERT_TRUE(torch::isfinite(grads[i]).all().item<bool>()) << names[i];
    const auto expected = grads_ref[i].defined() ? grads_ref[i] : torch::zeros_like(grads[i]);
    expect_close(grads[i], expected, 1e-9, std::string("grad ") + names[i]);
  }
}

// The explicit weights (softmax over i ≤ t of (t-1-i)·w + k_i, and u + k_t at i = t) give the same
// output and gradients: an independent check of both the kernel and the reference's detached max.
class WkvExplicit : public ::testing::TestWithParam<std::tuple<int64_t, double>> {};

TEST_P(WkvExplicit, MatchesTheExplicitWeightedAverage) {
  const auto [len, key_scale] = GetParam();
  const auto in = make_inputs(len, key_scale);
  const auto y = wkv(in.time_decay, in.time_first, in.k, in.v);
  const auto attention = wkv_weights(in.time_decay, in.time_first, in.k);  // (B, C, T, T)
  const auto y_explicit =
      torch::matmul(attention, in.v.permute({0, 2, 1}).unsqueeze(-1)).squeeze(-1).permute({0, 2, 1});
  expect_close(y, y_explicit, 1e-10, "output");
  EXPECT_TRUE(torch::allclose(attention.sum(-1), torch::ones({1}, torch::kDouble)));
  EXPECT_EQ(attention.triu(1).abs().max().item<double>(), 0.0);

  const auto weights = torch::randn_like(y);
  const auto grads = torch::autograd::grad({(y * weights).sum()}, all(in));
  const auto grads_explicit = torch::autograd::grad({(y_explicit * weights).sum()}, all(in));
  for (size_t i = 0; i < grads.size(); ++i) {
    expect_close(grads[i], grads_explicit[i], 1e-9, "grad " + std::to_string(i));
  }
}

// key_scale 300: e^{k} alone overflows double (|k| > 709), so only the running maximum keeps it finite.
INSTANTIATE_TEST_SUITE_P(Sizes, Wkv,
                         ::testing::Combine(::testing::Values(1, 7, 33, 130), ::testing::Values(1.0, 300.0)));
// The explicit form is O(T²): short sequences suffice.
INSTANTIATE_TEST_SUITE_P(Sizes, WkvExplicit,
                         ::testing::Combine(::testing::Values(1, 7, 33), ::testing::Values(1.0, 300.0)));

// The gradients of a random projection of y with respect to all four inputs; an input y does not reach
// (time_decay when T = 1) gets zeros.
std::vector<torch::Tensor> gradients(const torch::Tensor& y, const Inputs& in, const torch::Tensor& weights) {
  auto grads = torch::autograd::grad({(y * weights).sum()}, all(in), {}, false, false, /*allow_unused=*/true);
  const auto inputs = all(in);
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!grads[i].defined()) {
      grads[i] = torch::zeros_like(inputs[i]);
    }
  }
  return grads;
}

// y = form(inputs) against the reference in double on the CPU: output and every gradient, to rtol.
template <typename Form>
void expect_form_matches_reference(const Inputs& in, Form&& form, double rtol) {
  const torch::Tensor y = form(in.time_decay, in.time_first, in.k, in.v);
  ASSERT_EQ(y.device(), torch::Device(torch::kCPU));
  ASSERT_TRUE(torch::isfinite(y).all().item<bool>());
  const Inputs as_double{in.time_decay.to(torch::kDouble), in.time_first.to(torch::kDouble),
                         in.k.to(torch::kDouble), in.v.to(torch::kDouble)};
  const auto y_ref = wkv_reference(as_double.time_decay, as_double.time_first, as_double.k, as_double.v);
  expect_close(y.to(torch::kDouble), y_ref, rtol, "output");
  const auto weights = torch::randn_like(y_ref);
  const auto grads = gradients(y, in, weights.to(y.scalar_type()));
  const auto grads_ref = gradients(y_ref, in, weights);
  const char* names[] = {"time_decay", "time_first", "k", "v"};
  for (size_t i = 0; i < grads.size(); ++i) {
    ASSERT_TRUE(torch::isfinite(grads[i]).all().item<bool>()) << names[i];
    expect_close(grads[i].to(torch::kDouble), grads_ref[i].to(torch::kDouble), 10 * rtol,
                 std::string("grad ") + names[i]);
  }
}

// Inputs whose decays are shifted by decay_shift in time_decay: +6 makes w = -exp(time_decay) reach
// -10⁵ (a token is forgotten within a step, so whole chunks of pairwise weights underflow), -6 makes
// w ≈ 0 (nothing is forgotten over the sequence).
Inputs with_decay_shift(int64_t len, double key_scale, double decay_shift, torch::Dtype dtype) {
  auto in = make_inputs(len, key_scale, dtype);
  torch::NoGradGuard no_grad;
  in.time_decay.add_(decay_shift);
  return in;
}

// (T, chunk, key scale, decay shift)
class WkvChunked : public ::testing::TestWithParam<std::tuple<int64_t, int64_t, double, double>> {};

TEST_P(WkvChunked, MatchesTheReferenceInDoubleAndFloat) {
  const auto [len, chunk, key_scale, decay_shift] = GetParam();
  const auto chunked = [chunk = chunk](const auto&... args) { return wkv_chunked(args..., chunk); };
  expect_form_matches_reference(with_decay_shift(len, key_scale, decay_shift, torch::kDouble), chunked,
                                1e-10);
  // Float against the double reference: |k| up to ~150 at key scale 50 overflows e^k in float.
  const double float_scale = std::min(key_scale, 50.0);
  expect_form_matches_reference(with_decay_shift(len, float_scale, decay_shift, torch::kFloat), chunked,
                                2e-4);
}

// Lengths below, at and past a chunk, not multiples of it; chunks of 1 (every step its own chunk), 5 and
// the default.
INSTANTIATE_TEST_SUITE_P(Sizes, WkvChunked,
                         ::testing::Combine(::testing::Values(1, 7, 33, 130),
                                            ::testing::Values(1, 5, kWkvChunk), ::testing::Values(1.0, 300.0),
                                            ::testing::Values(0.0, 6.0, -6.0)));

TEST(WkvChunkedTest, RunsOnTheTestDeviceAgainstTheReferenceOnTheCpu) {
  // The dispatcher on the test device: the chunked form off the CPU, the CPU kernel on it.
  const auto on_device = [](const torch::Tensor& td, const torch::Tensor& tf, const torch::Tensor& k,
                            const torch::Tensor& v) {
    using test_support::on_test_device;
    return wkv(on_test_device(td), on_test_device(tf), on_test_device(k), on_test_device(v)).cpu();
  };
  for (const double decay_shift : {0.0, 6.0}) {
    expect_form_matches_reference(with_decay_shift(77, 300.0, decay_shift, torch::kDouble), on_device, 1e-10);
    expect_form_matches_reference(with_decay_shift(77, 30.0, decay_shift, torch::kFloat), on_device, 2e-4);
  }
}

TEST(WkvChunkedTest, RejectsAChunkBelowOne) {
  const auto in = make_inputs(4, 1.0);
  EXPECT_THROW(wkv_chunked(in.time_decay, in.time_first, in.k, in.v, 0), c10::Error);
}

TEST(WkvTest, FloatKernelStaysFiniteAndClose) {
  // |k| up to ~250 in float: e^{k} overflows float at 88.
  const auto in = make_inputs(64, 50.0, torch::kFloat);
  const auto y = wkv(in.time_decay, in.time_first, in.k, in.v);
  const auto y_ref = wkv_reference(in.time_decay.to(torch::kDouble), in.time_first.to(torch::kDouble),
                                   in.k.to(torch::kDouble), in.v.to(torch::kDouble));
  ASSERT_TRUE(torch::isfinite(y).all().item<bool>());
  expect_close(y.to(torch::kDouble), y_ref, 1e-5, "float output");
  const auto grads = torch::autograd::grad({y.sum()}, all(in));
  for (const auto& g : grads) {
    EXPECT_TRUE(torch::isfinite(g).all().item<bool>());
  }
}

TEST(WkvTest, FirstOutputIsTheFirstValue) {
  // With one token the weighted average has one term.
  const auto in = make_inputs(5, 1.0);
  const auto y = wkv(in.time_decay, in.time_first, in.k, in.v);
  EXPECT_TRUE(torch::allclose(y.select(1, 0), in.v.select(1, 0)));
}

TEST(WkvTest, RejectsBadShapes) {
  const auto c = torch::zeros({4});
  EXPECT_THROW(wkv(c, c, torch::zeros({2, 3}), torch::zeros({2, 3})), c10::Error);
  EXPECT_THROW(wkv(c, c, torch::zeros({2, 3, 4}), torch::zeros({2, 3, 5})), c10::Error);
  EXPECT_THROW(wkv(torch::zeros({5}), c, torch::zeros({2, 3, 4}), torch::zeros({2, 3, 4})), c10::Error);
  EXPECT_THROW(wkv(c, torch::zeros({4, 1}), torch::zeros({2, 3, 4}), torch::zeros({2, 3, 4})), c10::Error);
  EXPECT_THROW(wkv(c, c, torch::zeros({2, 3, 4}), torch::zeros({2, 3, 4}, torch::kDouble)), c10::Error);
}

}  // namespace
}  // namespace zoolab::kernels
