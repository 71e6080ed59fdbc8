// The BLAS batched product against torch::bmm, on the strided layouts attention passes it.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/batched_matmul.h"

namespace zoolab::kernels {
namespace {

void expect_matches(const torch::Tensor& a, const torch::Tensor& b, double alpha) {
  auto a_ref = a.detach().clone().requires_grad_(true);
  auto b_ref = b.detach().clone().requires_grad_(true);
  auto a_in = a.detach().clone().requires_grad_(true);
  auto b_in = b.detach().clone().requires_grad_(true);
  // The views below keep the original strides (transposes and slices), as attention's do.
  auto y = batched_matmul(a_in.transpose(1, 2).transpose(1, 2), b_in, alpha);
  auto y_ref = batched_matmul_reference(a_ref, b_ref, alpha);
  ASSERT_EQ(y.sizes(), y_ref.sizes());
  EXPECT_TRUE(torch::allclose(y, y_ref, 1e-4, 1e-5));
  auto weights = torch::randn_like(y_ref);
  (y * weights).sum().backward();
  (y_ref * weights).sum().backward();
  EXPECT_TRUE(torch::allclose(a_in.grad(), a_ref.grad(), 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(b_in.grad(), b_ref.grad(), 1e-4, 1e-5));
}

TEST(BatchedMatmul, MatchesBmmOnContiguousInputs) {
  torch::manual_seed(0);
  expect_matches(torch::randn({9, 5, 7}), torch::randn({9, 7, 3}), 1.0);
  expect_matches(torch::randn({16, 64, 64}), torch::randn({16, 64, 64}), 0.125);
  expect_matches(torch::randn({4, 1, 1}), torch::randn({4, 1, 1}), 2.0);
}

TEST(BatchedMatmul, ReadsStridedAndTransposedViews) {
  torch::manual_seed(1);
  // q and kᵀ as attention makes them: thirds of a fused projection, one of them transposed.
  auto qkv = torch::randn({6, 13, 3 * 8}, torch::requires_grad());
  auto parts = qkv.chunk(3, -1);
  auto y = batched_matmul(parts[0], parts[1].transpose(1, 2), 0.5);
  auto y_ref = torch::bmm(parts[0], parts[1].transpose(1, 2)) * 0.5;
  EXPECT_TRUE(torch::allclose(y, y_ref, 1e-4, 1e-5));
  auto grad = torch::autograd::grad({y.pow(2).sum()}, {qkv})[0];
  auto grad_ref = torch::autograd::grad({y_ref.pow(2).sum()}, {qkv})[0];
  EXPECT_TRUE(torch::allclose(grad, grad_ref, 1e-4, 1e-5));
  // A non-unit stride in both matrix dimensions is copied first.
  auto wide = torch::randn({4, 10, 12});
  auto odd = wide.slice(1, 0, 10, 2).slice(2, 0, 12, 2);  // (4, 5, 6), strides (120, 24, 2)
  auto other = torch::randn({4, 6, 3});
  EXPECT_TRUE(torch::allclose(batched_matmul(odd, other), torch::bmm(odd, other), 1e-4, 1e-5));
}

TEST(BatchedMatmul, FallsBackForOtherTypes) {
  auto a = torch::randn({3, 4, 5}, torch::kDouble), b = torch::randn({3, 5, 2}, torch::kDouble);
  EXPECT_TRUE(torch::allclose(batched_matmul(a, b), torch::bmm(a, b)));
  EXPECT_THROW(batched_matmul(torch::randn({3, 4, 5}), torch::randn({2, 5, 2})), c10::Error);
}

}  // namespace
}  // namespace zoolab::kernels
