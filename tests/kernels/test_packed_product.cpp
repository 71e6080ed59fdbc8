// kernels/packed_product.h against torch::addmm / torch::mm: every tail of the 12-row tile and of the
// 32-column panel, K = 64 and an odd K, with and without a bias, and each row's bits independent of the
// rows computed with it.

#include <string>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/packed_product.h"

namespace zoolab::kernels {
namespace {

torch::Tensor product_of(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  const PackedWeight packed(weight.data_ptr<float>(), weight.size(0), weight.size(1));
  auto y = torch::full({x.size(0), weight.size(0)}, NAN);  // (N, out): every element must be written
  packed_product(x.data_ptr<float>(), x.size(0), packed, bias.defined() ? bias.data_ptr<float>() : nullptr,
                 y.data_ptr<float>());
  return y;
}

TEST(PackedProductTest, MatchesTheMatrixProduct) {
  if (!packed_product_available()) {
    GTEST_SKIP() << "no AVX-512 on this CPU: its callers use BLAS";
  }
  torch::manual_seed(5);
  for (const int64_t k : {64, 3}) {
    for (const int64_t out : {8192, 192, 37, 16, 1}) {
      for (const int64_t rows : {1, 11, 12, 13, 30}) {
        for (const bool with_bias : {false, true}) {
          const auto x = torch::randn({rows, k});
          const auto weight = torch::randn({out, k});
          const auto bias = with_bias ? torch::randn({out}) : torch::Tensor();
          const auto expected = with_bias ? torch::addmm(bias, x, weight.t()) : torch::mm(x, weight.t());
          const std::string what = "K=" + std::to_string(k) + " out=" + std::to_string(out) +
                                   " rows=" + std::to_string(rows) + " bias=" + std::to_string(with_bias);
          EXPECT_TRUE(torch::allclose(product_of(x, weight, bias), expected, 1e-5, 1e-5)) << what;
        }
      }
    }
  }
}

TEST(PackedProductTest, EachRowGetsTheSameBitsWhateverRowsItIsComputedWith) {
  if (!packed_product_available()) {
    GTEST_SKIP() << "no AVX-512 on this CPU: its callers use BLAS";
  }
  torch::manual_seed(6);
  const auto x = torch::randn({29, 64});
  const auto weight = torch::randn({100, 64});
  const auto bias = torch::randn({100});
  const auto whole = product_of(x, weight, bias);
  for (const int64_t first : {0, 5, 17}) {
    for (const int64_t count : {1, 7, 12}) {
      EXPECT_TRUE(torch::equal(product_of(x.narrow(0, first, count).contiguous(), weight, bias),
                               whole.narrow(0, first, count)))
          << first << " " << count;
    }
  }
}

TEST(PackedProductTest, RejectsAnEmptyWeight) {
  const float w = 0.0f;
  EXPECT_THROW(PackedWeight(&w, 0, 64), std::invalid_argument);
  EXPECT_THROW(PackedWeight(&w, 4, 0), std::invalid_argument);
}

}  // namespace
}  // namespace zoolab::kernels
