// The running-state causal linear attention against the plain-torch cumsum form: outputs, normaliser
// and the gradients of q, k and v, at Taylor feature sizes E = 1 + f + f². The chunked form (what
// tensors off the CPU run) against the same reference, on the CPU for several chunks and on
// ZOOLAB_TEST_DEVICE (tests/support/test_device.h).

#include <tuple>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/causal_linear_attention.h"
#include "tests/support/test_device.h"

namespace zoolab::kernels {
namespace {

// (L, E, hd)
class CausalLinearAttentionTest : public ::testing::TestWithParam<std::tuple<int64_t, int64_t, int64_t>> {};

// Feature-mapped inputs are positive-ish in practice (Taylor: a leading 1, then x and x x ᵀ terms);
// an offset keeps the normaliser away from zero so relative comparisons are meaningful.
torch::Tensor features(const std::vector<int64_t>& shape) {
  return (torch::randn(shape, torch::kDouble) * 0.3 + 0.5).requires_grad_(true);
}

TEST_P(CausalLinearAttentionTest, MatchesTheReference) {
  const auto [len, features_size, head_dim] = GetParam();
  torch::manual_seed(len * 131 + features_size * 7 + head_dim);
  const int64_t batch = 2, heads = 3;
  auto q = features({batch, heads, len, features_size});
  auto k = features({batch, heads, len, features_size});
  auto v = torch::randn({batch, heads, len, head_dim}, torch::dtype(torch::kDouble).requires_grad(true));
  const double eps = 1e-12;

  auto y = causal_linear_attention(q, k, v, eps);
  auto reference = causal_linear_attention_reference(q, k, v, eps);
  ASSERT_EQ(y.sizes(), reference.sizes());
  EXPECT_TRUE(torch::allclose(y, reference, 1e-10, 1e-12)) << (y - reference).abs().max().item<double>();

  const auto weights = torch::randn_like(y);
  auto grads = torch::autograd::grad({(y * weights).sum()}, {q, k, v});
  auto grads_ref = torch::autograd::grad({(reference * weights).sum()}, {q, k, v});
  const char* names[] = {"q", "k", "v"};
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(torch::allclose(grads[i], grads_ref[i], 1e-9, 1e-11))
        << names[i] << " max diff " << (grads[i] - grads_ref[i]).abs().max().item<double>();
  }
}

TEST_P(CausalLinearAttentionTest, ReturnsTheNormaliserWithItsGradient) {
  const auto [len, features_size, head_dim] = GetParam();
  torch::manual_seed(len + features_size + head_dim);
  auto q = features({2, 1, len, features_size});
  auto k = features({2, 1, len, features_size});
  auto v = torch::randn({2, 1, len, head_dim}, torch::dtype(torch::kDouble).requires_grad(true));
  const double eps = 1e-6;
  const auto [y, normaliser] = causal_linear_attention_with_normaliser(q, k, v, eps);
  const auto normaliser_ref = (q * k.cumsum(2)).sum(-1) + eps;  // (B, H, L)
  EXPECT_TRUE(torch::allclose(normaliser, normaliser_ref, 1e-12, 1e-12));
  // A loss through both outputs: the normaliser's gradient adds to the one it gets through y.
  const auto y_ref = causal_linear_attention_reference(q, k, v, eps);
  const auto wy = torch::randn_like(y), wn = torch::randn_like(normaliser);
  auto grads = torch::autograd::grad({(y * wy).sum() + (normaliser * wn).sum()}, {q, k, v});
  auto grads_ref = torch::autograd::grad({(y_ref * wy).sum() + (normaliser_ref * wn).sum()}, {q, k, v});
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(torch::allclose(grads[i], grads_ref[i], 1e-9, 1e-11)) << i;
  }
}

// L = 1, 7, 33, 130; E = 21 (f = 4) and 73 (f = 8); hd 8 and 16.
INSTANTIATE_TEST_SUITE_P(Sizes, CausalLinearAttentionTest,
                         ::testing::Values(std::make_tuple(1, 21, 8), std::make_tuple(7, 21, 16),
                                           std::make_tuple(33, 73, 8), std::make_tuple(130, 73, 16),
                                           std::make_tuple(130, 21, 8), std::make_tuple(7, 73, 16)));

// y and normaliser of `form` against the reference's, and the gradients of a loss through both, to rtol
// (relative to the largest value, in double).
template <typename Form>
void expect_form_matches_reference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                   Form&& form, double rtol) {
  const double eps = 1e-6;
  torch::Tensor y, normaliser;
  std::tie(y, normaliser) = form(q, k, v, eps);
  ASSERT_EQ(y.device(), torch::Device(torch::kCPU));
  const auto qd = q.to(torch::kDouble), kd = k.to(torch::kDouble), vd = v.to(torch::kDouble);
  const auto y_ref = causal_linear_attention_reference(qd, kd, vd, eps);
  const auto normaliser_ref = (qd * kd.cumsum(2)).sum(-1) + eps;  // (B, H, L)
  ASSERT_EQ(y.sizes(), y_ref.sizes());
  ASSERT_EQ(normaliser.sizes(), normaliser_ref.sizes());
  const auto relative = [](const torch::Tensor& a, const torch::Tensor& b) {
    return ((a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max() / (b.abs().max() + 1e-300))
        .item<double>();
  };
  EXPECT_LT(relative(y, y_ref), rtol) << "y";
  EXPECT_LT(relative(normaliser, normaliser_ref), rtol) << "normaliser";
  const auto wy = torch::randn_like(y_ref), wn = torch::randn_like(normaliser_ref);
  const auto grads = torch::autograd::grad(
      {(y * wy.to(y.scalar_type())).sum() + (normaliser * wn.to(y.scalar_type())).sum()}, {q, k, v});
  const auto grads_ref = torch::autograd::grad({(y_ref * wy).sum() + (normaliser_ref * wn).sum()}, {q, k, v});
  const char* names[] = {"q", "k", "v"};
  for (int i = 0; i < 3; ++i) {
    EXPECT_LT(relative(grads[i], grads_ref[i]), 10 * rtol) << "grad " << names[i];
  }
}

torch::Tensor features_of(const std::vector<int64_t>& shape, torch::Dtype dtype) {
  return (torch::randn(shape, torch::kDouble) * 0.3 + 0.5).to(dtype).requires_grad_(true);
}

// (L, chunk)
class CausalLinearAttentionChunked : public ::testing::TestWithParam<std::tuple<int64_t, int64_t>> {};

TEST_P(CausalLinearAttentionChunked, MatchesTheReferenceInDoubleAndFloat) {
  const auto [len, chunk] = GetParam();
  const auto chunked = [chunk = chunk](const auto&... args) {
    return causal_linear_attention_chunked(args..., chunk);
  };
  for (const auto dtype : {torch::kDouble, torch::kFloat}) {
    torch::manual_seed(len * 31 + chunk);
    const auto q = features_of({2, 3, len, 21}, dtype), k = features_of({2, 3, len, 21}, dtype);
    const auto v = torch::randn({2, 3, len, 8}, torch::kDouble).to(dtype).requires_grad_(true);
    expect_form_matches_reference(q, k, v, chunked, dtype == torch::kDouble ? 1e-11 : 1e-5);
  }
}

// Lengths below, at and past a chunk and not multiples of it; chunks of 1, 5 and the default.
INSTANTIATE_TEST_SUITE_P(LengthsAndChunks, CausalLinearAttentionChunked,
                         ::testing::Combine(::testing::Values<int64_t>(1, 7, 33, 130),
                                            ::testing::Values<int64_t>(1, 5, kCausalLinearAttentionChunk)));

TEST(CausalLinearAttention, RunsOnTheTestDeviceAgainstTheReferenceOnTheCpu) {
  // The dispatcher on the test device: the chunked form off the CPU, the CPU kernel on it.
  const auto on_device = [](const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                            double eps) {
    using test_support::on_test_device;
    const auto [y, normaliser] =
        causal_linear_attention_with_normaliser(on_test_device(q), on_test_device(k), on_test_device(v), eps);
    return std::make_pair(y.cpu(), normaliser.cpu());
  };
  for (const auto dtype : {torch::kDouble, torch::kFloat}) {
    torch::manual_seed(8);
    const auto q = features_of({2, 3, 150, 73}, dtype), k = features_of({2, 3, 150, 73}, dtype);
    const auto v = torch::randn({2, 3, 150, 16}, torch::kDouble).to(dtype).requires_grad_(true);
    expect_form_matches_reference(q, k, v, on_device, dtype == torch::kDouble ? 1e-11 : 1e-5);
  }
}

TEST(CausalLinearAttention, FloatAgreesWithDouble) {
  torch::manual_seed(5);
  auto q = torch::rand({3, 2, 64, 21}), k = torch::rand({3, 2, 64, 21}), v = torch::randn({3, 2, 64, 16});
  const auto y = causal_linear_attention(q, k, v, 1e-12);
  const auto y_double = causal_linear_attention_reference(q.to(torch::kDouble), k.to(torch::kDouble),
                                                          v.to(torch::kDouble), 1e-12);
  EXPECT_EQ(y.scalar_type(), torch::kFloat);
  EXPECT_TRUE(torch::allclose(y.to(torch::kDouble), y_double, 1e-4, 1e-5));
}

TEST(CausalLinearAttention, TakesStridedInputs) {
  // Based hands over v as a transposed view of its projection.
  torch::manual_seed(6);
  auto q = torch::rand({2, 9, 3, 21}, torch::kDouble).transpose(1, 2);
  auto k = torch::rand({2, 9, 3, 21}, torch::kDouble).transpose(1, 2);
  auto v = torch::randn({2, 9, 3, 8}, torch::kDouble).transpose(1, 2);
  EXPECT_TRUE(torch::allclose(causal_linear_attention(q, k, v, 1e-12),
                              causal_linear_attention_reference(q, k, v, 1e-12), 1e-10, 1e-12));
}

TEST(CausalLinearAttention, RejectsMismatchedShapes) {
  EXPECT_THROW(causal_linear_attention(torch::rand({2, 1, 5, 21}), torch::rand({2, 1, 5, 20}),
                                       torch::rand({2, 1, 5, 8}), 1e-12),
               c10::Error);
  EXPECT_THROW(causal_linear_attention(torch::rand({2, 1, 5, 21}), torch::rand({2, 1, 5, 21}),
                                       torch::rand({2, 1, 6, 8}), 1e-12),
               c10::Error);
  EXPECT_THROW(causal_linear_attention(torch::rand({1, 5, 21}), torch::rand({1, 5, 21}),
                                       torch::rand({1, 5, 8}), 1e-12),
               c10::Error);
  EXPECT_THROW(causal_linear_attention(torch::rand({2, 1, 5, 21}), torch::rand({2, 1, 5, 21}, torch::kDouble),
                                       torch::rand({2, 1, 5, 8}), 1e-12),
               c10::Error);
}

}  // namespace
}  // namespace zoolab::kernels
