// kernels/head_logits.h against torch::mm: every tail of the 12-row tile and of the 32-entry panel, D = 64
// and an odd D, and each row's bits independent of the rows computed with it.

#include <string>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/head_logits.h"

namespace zoolab::kernels {
namespace {

torch::Tensor logits_of(const torch::Tensor& h, const torch::Tensor& weight) {
  const PackedHeadWeight packed(weight.data_ptr<float>(), weight.size(0), weight.size(1));
  auto out = torch::full({h.size(0), weight.size(0)}, NAN);  // (N, V): every element must be written
  head_logits(h.data_ptr<float>(), h.size(0), packed, out.data_ptr<float>());
  return out;
}

TEST(HeadLogitsTest, MatchesTheMatrixProduct) {
  if (!head_logits_available()) {
    GTEST_SKIP() << "no AVX-512 on this CPU: evaluation uses BLAS";
  }
  torch::manual_seed(5);
  for (const int64_t dim : {64, 3}) {
    for (const int64_t vocab : {8192, 37, 16, 1}) {
      for (const int64_t rows : {1, 11, 12, 13, 30}) {
        const auto h = torch::randn({rows, dim});
        const auto weight = torch::randn({vocab, dim});
        const auto out = logits_of(h, weight);
        const std::string what =
            "D=" + std::to_string(dim) + " V=" + std::to_string(vocab) + " rows=" + std::to_string(rows);
        EXPECT_TRUE(torch::allclose(out, torch::mm(h, weight.t()), 1e-5, 1e-5)) << what;
      }
    }
  }
}

TEST(HeadLogitsTest, EachRowGetsTheSameBitsWhateverRowsItIsComputedWith) {
  if (!head_logits_available()) {
    GTEST_SKIP() << "no AVX-512 on this CPU: evaluation uses BLAS";
  }
  torch::manual_seed(6);
  const auto h = torch::randn({29, 64});
  const auto weight = torch::randn({100, 64});
  const auto whole = logits_of(h, weight);
  for (const int64_t first : {0, 5, 17}) {
    for (const int64_t count : {1, 7, 12}) {
      EXPECT_TRUE(torch::equal(logits_of(h.narrow(0, first, count).contiguous(), weight),
                               whole.narrow(0, first, count)))
          << first << " " << count;
    }
  }
}

TEST(HeadLogitsTest, RejectsAnEmptyWeight) {
  const float w = 0.0f;
  EXPECT_THROW(PackedHeadWeight(&w, 0, 64), std::invalid_argument);
}

}  // namespace
}  // namespace zoolab::kernels
