// kernels/dual_product.h against two double-precision products: every tail of the 6-row register tile,
// of the 48-row and 512-column E tiles and of the 64-column register block, a strided E, one thread and
// several, and the same bits for the same threads.

#include <string>

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/dual_product.h"

namespace zoolab::kernels {
namespace {

struct Products {
  torch::Tensor ew, eth;
};

// e may be a column slice of a wider tensor (row stride > cols).
Products dual_of(const torch::Tensor& e, const torch::Tensor& w, const torch::Tensor& h) {
  Products out{torch::full({e.size(0), w.size(1)}, NAN), torch::full({e.size(1), w.size(1)}, NAN)};
  DualProductArgs args;
  args.e = e.data_ptr<float>();
  args.e_stride = e.stride(0);
  args.w = w.data_ptr<float>();
  args.h = h.data_ptr<float>();
  args.rows = e.size(0);
  args.cols = e.size(1);
  args.d = w.size(1);
  args.ew = out.ew.data_ptr<float>();
  args.eth = out.eth.data_ptr<float>();
  dual_product(args);
  return out;
}

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
          const auto got = dual_of(e, w, h);
          const auto e64 = e.to(torch::kDouble);
          const auto ew = torch::mm(e64, w.to(torch::kDouble));
          const auto eth = torch::mm(e64.t(), h.to(torch::kDouble));
          const std::string what = "threads=" + std::to_string(threads) + " rows=" + std::to_string(rows) +
                                   " cols=" + std::to_string(cols) + " d=" + std::to_string(d);
          // Float sums of up to 1,300 unit-variance products: a few 1e-6 relative to their scale.
          EXPECT_TRUE(torch::allclose(got.ew.to(torch::kDouble), ew, 1e-4, 1e-4)) << what;
          EXPECT_TRUE(torch::allclose(got.eth.to(torch::kDouble), eth, 1e-4, 1e-4)) << what;
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
  const auto e = torch::rand({300, 3000});
  const auto w = torch::randn({3000, 64});
  const auto h = torch::randn({300, 64});
  const auto first = dual_of(e, w, h), second = dual_of(e, w, h);
  EXPECT_TRUE(torch::equal(first.ew, second.ew));
  EXPECT_TRUE(torch::equal(first.eth, second.eth));
}

TEST(DualProductTest, RejectsEmptyOrInconsistentShapes) {
  if (!dual_product_available()) {
    GTEST_SKIP() << "no AVX-512 on this CPU";
  }
  const auto e = torch::rand({4, 8});
  const auto w = torch::randn({8, 2});
  const auto h = torch::randn({4, 2});
  auto ew = torch::empty({4, 2}), eth = torch::empty({8, 2});
  DualProductArgs args;
  args.e = e.data_ptr<float>();
  args.e_stride = 7;  // shorter than a row of E
  args.w = w.data_ptr<float>();
  args.h = h.data_ptr<float>();
  args.rows = 4;
  args.cols = 8;
  args.d = 2;
  args.ew = ew.data_ptr<float>();
  args.eth = eth.data_ptr<float>();
  EXPECT_THROW(dual_product(args), std::invalid_argument);
  args.e_stride = 8;
  args.d = 0;
  EXPECT_THROW(dual_product(args), std::invalid_argument);
}

}  // namespace
}  // namespace zoolab::kernels
