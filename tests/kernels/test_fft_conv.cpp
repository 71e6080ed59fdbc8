// The long convolution, both paths (Toeplitz product, FFT custom autograd function), against its
// direct-sum reference and against the same FFTs differentiated by autograd, values and gradients; and
// the path tensors off the CPU take (the FFT at every length) on ZOOLAB_TEST_DEVICE
// (tests/support/test_device.h) against the CPU.

#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/fft_conv.h"
#include "tests/support/test_device.h"

namespace zoolab::kernels {
namespace {

torch::Tensor leaf(torch::IntArrayRef sizes) {
  return torch::randn(sizes, torch::dtype(torch::kDouble)).requires_grad_(true);
}

std::string path_name(ConvPath path) {
  return path == ConvPath::kToeplitz ? "Toeplitz" : path == ConvPath::kFft ? "Fft" : "Auto";
}

// y against y_ref (same shape, values to 1e-9) and the gradients of a random projection of both with
// respect to u and k; returns the gradients of y.
std::vector<torch::Tensor> expect_same_values_and_gradients(const torch::Tensor& y,
                                                            const torch::Tensor& y_ref,
                                                            const torch::Tensor& u, const torch::Tensor& k) {
  EXPECT_EQ(y.sizes(), u.sizes());
  EXPECT_TRUE(torch::allclose(y, y_ref, 1e-9, 1e-9));
  const auto weights = torch::randn_like(y);
  auto grads = torch::autograd::grad({(y * weights).sum()}, {u, k});
  const auto grads_ref = torch::autograd::grad({(y_ref * weights).sum()}, {u, k});
  EXPECT_EQ(grads[1].sizes(), k.sizes());
  EXPECT_TRUE(torch::allclose(grads[0], grads_ref[0], 1e-9, 1e-9));
  EXPECT_TRUE(torch::allclose(grads[1], grads_ref[1], 1e-9, 1e-9));
  return grads;
}

class FftConv : public ::testing::TestWithParam<std::tuple<int64_t, ConvPath>> {};

TEST_P(FftConv, MatchesTheDirectSumForwardAndBackward) {
  const auto [seq_len, path] = GetParam();
  torch::manual_seed(seq_len);
  auto u = leaf({3, 5, seq_len});
  auto k = leaf({5, seq_len + 3});
  const auto grads =
      expect_same_values_and_gradients(causal_fft_conv(u, k, path), causal_conv_reference(u, k), u, k);
  // The taps past L do not enter the causal convolution.
  EXPECT_EQ(grads[1].narrow(1, seq_len, 3).abs().max().item<double>(), 0.0);
}

INSTANTIATE_TEST_SUITE_P(Lengths, FftConv,
                         ::testing::Combine(::testing::Values(1, 2, 7, 16, 33, 64, 130),
                                            ::testing::Values(ConvPath::kToeplitz, ConvPath::kFft,
                                                              ConvPath::kAuto)),
                         [](const auto& info) {
                           return "L" + std::to_string(std::get<0>(info.param)) +
                                  path_name(std::get<1>(info.param));
                         });

// Zoology's whole-filter convolution: filters shorter than L, between L and 2L (wrapped taps), exactly
// 2L and longer than 2L (trimmed taps, zero gradient), on odd and even lengths.
struct Shape {
  int64_t seq_len, filter_len;
};

class ZoologyFftConv : public ::testing::TestWithParam<std::tuple<Shape, ConvPath>> {};

TEST_P(ZoologyFftConv, MatchesAutogradThroughTheFfts) {
  const auto [shape, path] = GetParam();
  const auto [seq_len, filter_len] = shape;
  torch::manual_seed(seq_len * 100 + filter_len);
  auto u = leaf({2, 4, seq_len});
  auto k = leaf({4, filter_len});
  expect_same_values_and_gradients(zoology_fft_conv(u, k, path), fft_conv_reference(u, k), u, k);
}

INSTANTIATE_TEST_SUITE_P(Filters, ZoologyFftConv,
                         ::testing::Combine(::testing::Values(Shape{9, 4}, Shape{9, 9}, Shape{9, 13},
                                                              Shape{9, 18}, Shape{9, 25}, Shape{16, 16},
                                                              Shape{16, 40}, Shape{1, 3}),
                                            ::testing::Values(ConvPath::kToeplitz, ConvPath::kFft)),
                         [](const auto& info) {
                           const Shape shape = std::get<0>(info.param);
                           return "L" + std::to_string(shape.seq_len) + "K" +
                                  std::to_string(shape.filter_len) + path_name(std::get<1>(info.param));
                         });

TEST(FftConvTest, TakesTheFftAtEveryLengthOffTheCpu) {
  // A meta tensor (shape only) stands for any device but the CPU.
  const auto off_cpu = torch::empty({1, 1, 8}, torch::TensorOptions().device(torch::kMeta));
  EXPECT_EQ(device_conv_path(off_cpu, ConvPath::kAuto), ConvPath::kFft);
  EXPECT_EQ(device_conv_path(off_cpu, ConvPath::kToeplitz), ConvPath::kToeplitz);
  EXPECT_EQ(device_conv_path(torch::empty({1, 1, 8}), ConvPath::kAuto), ConvPath::kAuto);
}

TEST(FftConvTest, RunsOnTheTestDeviceAgainstTheDirectSumOnTheCpu) {
  using test_support::on_test_device;
  for (const auto dtype : {torch::kDouble, torch::kFloat}) {
    for (const int64_t seq_len : {7, 64, 300}) {
      torch::manual_seed(seq_len);
      const auto u = torch::randn({3, 5, seq_len}, torch::kDouble).to(dtype).requires_grad_(true);
      const auto k = torch::randn({5, seq_len + 3}, torch::kDouble).to(dtype).requires_grad_(true);
      const auto y = causal_fft_conv(on_test_device(u), on_test_device(k)).cpu();
      const auto ud = u.to(torch::kDouble), kd = k.to(torch::kDouble);
      const auto y_ref = causal_conv_reference(ud, kd);
      const double tol = dtype == torch::kDouble ? 1e-9 : 1e-4;
      EXPECT_TRUE(torch::allclose(y.to(torch::kDouble), y_ref, tol, tol)) << "L " << seq_len;
      const auto weights = torch::randn_like(y_ref);
      const auto grads = torch::autograd::grad({(y * weights.to(dtype)).sum()}, {u, k});
      const auto grads_ref = torch::autograd::grad({(y_ref * weights).sum()}, {u, k});
      for (int i = 0; i < 2; ++i) {
        EXPECT_TRUE(torch::allclose(grads[i].to(torch::kDouble), grads_ref[i].to(torch::kDouble), tol, tol))
            << "L " << seq_len << " grad " << i;
      }
      // Zoology's whole-filter form: its own FFT reference, taken on the CPU.
      const auto z = zoology_fft_conv(on_test_device(u), on_test_device(k)).cpu();
      EXPECT_TRUE(torch::allclose(z.to(torch::kDouble), fft_conv_reference(ud, kd), tol, tol))
          << "L " << seq_len;
    }
  }
}

TEST(FftConvTest, EqualsTheCausalConvolutionWhenTheFilterHasLTaps) {
  torch::manual_seed(3);
  auto u = torch::randn({2, 3, 21});
  auto k = torch::randn({3, 21});
  EXPECT_TRUE(
      torch::allclose(zoology_fft_conv(u, k, ConvPath::kToeplitz), causal_conv_reference(u, k), 1e-4, 1e-4));
  EXPECT_TRUE(
      torch::allclose(zoology_fft_conv(u, k, ConvPath::kFft), causal_conv_reference(u, k), 1e-4, 1e-4));
}

TEST(FftConvTest, BothPathsAgreeInFloat) {
  torch::manual_seed(5);
  auto u = torch::randn({4, 8, 64});
  auto k = torch::randn({8, 64}) * 0.1;
  auto toeplitz = causal_fft_conv(u, k, ConvPath::kToeplitz);
  auto fft = causal_fft_conv(u, k, ConvPath::kFft);
  EXPECT_TRUE(torch::allclose(toeplitz, fft, 1e-4, 1e-5)) << (toeplitz - fft).abs().max().item<float>();
}

TEST(FftConvTest, GivesOnlyTheGradientsAskedFor) {
  torch::manual_seed(4);
  auto u = leaf({2, 3, 10});
  auto k = torch::randn({3, 10}, torch::kDouble);  // a fixed filter
  auto y = causal_fft_conv(u, k, ConvPath::kFft);
  auto weights = torch::randn_like(y);
  auto grad_u = torch::autograd::grad({(y * weights).sum()}, {u})[0];
  auto grad_u_ref = torch::autograd::grad({(causal_conv_reference(u, k) * weights).sum()}, {u})[0];
  EXPECT_TRUE(torch::allclose(grad_u, grad_u_ref, 1e-9, 1e-9));

  auto fixed_u = torch::randn({2, 3, 10}, torch::kDouble);
  auto filter = leaf({3, 10});
  auto grad_k = torch::autograd::grad({(causal_fft_conv(fixed_u, filter, ConvPath::kFft) * weights).sum()},
                                      {filter})[0];
  auto grad_k_ref =
      torch::autograd::grad({(causal_conv_reference(fixed_u, filter) * weights).sum()}, {filter})[0];
  EXPECT_TRUE(torch::allclose(grad_k, grad_k_ref, 1e-9, 1e-9));
}

TEST(FftConvTest, TakesTheInputsDtype) {
  auto u = torch::randn({1, 2, 8});
  auto k = torch::randn({2, 8}, torch::kDouble);
  EXPECT_EQ(causal_fft_conv(u, k).scalar_type(), torch::kFloat);
}

TEST(FftConvTest, IsCausal) {
  auto u = torch::randn({1, 2, 20});
  auto k = torch::randn({2, 20});
  auto changed = u.clone();
  changed.index_put_({0, 0, 12}, 100.0);
  auto y = causal_fft_conv(u, k), y2 = causal_fft_conv(changed, k);
  EXPECT_TRUE(torch::allclose(y.narrow(2, 0, 12), y2.narrow(2, 0, 12), 1e-4, 1e-4));
  EXPECT_FALSE(torch::allclose(y.narrow(2, 12, 8), y2.narrow(2, 12, 8)));
}

TEST(FftConvTest, RejectsAShortFilterAndBadShapes) {
  EXPECT_THROW(causal_fft_conv(torch::randn({1, 2, 10}), torch::randn({2, 9})), c10::Error);
  EXPECT_THROW(zoology_fft_conv(torch::randn({1, 2, 10}), torch::randn({3, 10})), c10::Error);
  EXPECT_THROW(zoology_fft_conv(torch::randn({2, 10}), torch::randn({2, 10})), c10::Error);
}

}  // namespace
}  // namespace zoolab::kernels
