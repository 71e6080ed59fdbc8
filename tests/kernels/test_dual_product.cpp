// kernels/dual_product.h against two double-precision products: every tail of the 6-row register tile,
// of the 48-row and 512-column E tiles and of the 64-column register block, a strided E, one thread and
// two (column blocks or row blocks over them), and the same bits for the same threads.

#include <string>
#include <utility>

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/dual_product.h"

namespace zoolab::kernels {
namespace {

class ThreadsScope {
 public:
  explicit ThreadsScope(int threads) : saved_(at::get_num_threads()) { at::set_num_threads(threads); }
  ~ThreadsScope() { at::set_num_threads(saved_); }

 private:
  int saved_;
};

TEST(DualProductTest, MatchesBothMatrixProducts) {
  if (!dual_product_available()) {
    GTEST_SKIP() << "no AVX-512 on this CPU: its callers use BLAS";
  }
  torch::manual_seed(3);
  for (const int threads : {1, 2}) {
    const ThreadsScope scope(threads);
    for (const int64_t rows : {1, 5, 6, 7, 47, 48, 49, 301}) {
      for (const int64_t cols : {1, 13, 511, 512, 1300}) {
        for (const int64_t d : {64, 3, 16, 17, 100, 128}) {
          const auto wide = torch::randn({rows, cols + 5});
          const auto e = wide.narrow(1, 2, cols);  // (rows, cols), row stride cols + 5
          const auto w = torch::randn({cols, d});
          const auto h = torch::randn({rows, d});
          const auto [got_ew, got_eth] = dual_product(e, w, h);
          const auto e64 = e.to(torch::kDouble);
          const auto ew = torch::mm(e64, w.to(torch::kDouble));
          const auto eth = torch::mm(e64.t(), h.to(torch::kDouble));
          const std::string what = "threads=" + std::to_string(threads) + " rows=" + std::to_string(rows) +
                                   " cols=" + std::to_string(cols) + " d=" + std::to_string(d);
          // Float sums of up to 1,300 unit-variance products: a few 1e-6 relative to their scale.
          EXPECT_TRUE(torch::allclose(got_ew.to(torch::kDouble), ew, 1e-4, 1e-4)) << what;
          EXPECT_TRUE(torch::allclose(got_eth.to(torch::kDouble), eth, 1e-4, 1e-4)) << what;
        }
      }
    }
  }
}

TEST(DualProductTest, GivesTheSameBitsForTheSameThreads) {
  if (!dual_product_available()) {
    GTEST_SKIP() << "no AVX-512 on this CPU";
  }
  const ThreadsScope scope(2);
  torch::manual_seed(4);
  // A wide E (column blocks over the threads) and a narrow one (row blocks).
  for (const auto& [rows, cols] : {std::pair<int64_t, int64_t>{300, 3000}, {3000, 100}}) {
    const auto e = torch::rand({rows, cols});
    const auto w = torch::randn({cols, 64});
    const auto h = torch::randn({rows, 64});
    const auto first = dual_product(e, w, h), second = dual_product(e, w, h);
    EXPECT_TRUE(torch::equal(first.first, second.first)) << rows << "x" << cols;
    EXPECT_TRUE(torch::equal(first.second, second.second)) << rows << "x" << cols;
  }
}

TEST(DualProductTest, RejectsWrongShapesTypesAndStrides) {
  if (!dual_product_available()) {
    GTEST_SKIP() << "no AVX-512 on this CPU";
  }
  const auto e = torch::rand({4, 8});
  const auto w = torch::randn({8, 2});
  const auto h = torch::randn({4, 2});
  EXPECT_NO_THROW(dual_product(e, w, h));
  EXPECT_THROW(dual_product(e, torch::randn({7, 2}), h), c10::Error);  // W's rows ≠ cols
  EXPECT_THROW(dual_product(e, w, torch::randn({4, 3})), c10::Error);  // H's width ≠ W's
  EXPECT_THROW(dual_product(e.t(), torch::randn({4, 2}), torch::randn({8, 2})),
               c10::Error);  // E's columns strided
  EXPECT_THROW(dual_product(e.to(torch::kDouble), w, h), c10::Error);
  EXPECT_THROW(dual_product(torch::rand({0, 8}), w, torch::randn({0, 2})), c10::Error);
}

}  // namespace
}  // namespace zoolab::kernels
