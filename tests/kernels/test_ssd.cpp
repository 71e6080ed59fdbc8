// Mamba-2's SSD scan (kernels/ssd.h): the chunked form against the step-by-step recurrence, forward and
// the gradient of every input, in double (tight) and float (loose), at lengths that are multiples of the
// chunk, not multiples, and shorter than it, with and without groups; the explicit weights against both;
// and both against mamba_ssm's and fla's references through a fixture
// (tests/kernels/fixtures/make_ssd_fixture.py).

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "kernels/ssd.h"

namespace zoolab::kernels {
namespace {

struct SsdInputs {
  torch::Tensor x, dt, A, B, C;
  std::vector<torch::Tensor> all() const { return {x, dt, A, B, C}; }
};

const char* const kSsdNames[] = {"x", "dt", "A", "B", "C"};

// Mamba-2's ranges: dt = softplus(·) > 0, A = -exp(A_log) with A in [1, 16] (Zoology's A_init_range).
SsdInputs make_ssd_inputs(int64_t batch, int64_t heads, int64_t groups, int64_t len, int64_t hdim,
                          int64_t nstate, torch::Dtype dtype) {
  const auto o = torch::dtype(dtype);
  SsdInputs in;
  in.x = torch::randn({batch, heads, len, hdim}, o);
  in.dt = torch::softplus(torch::randn({batch, heads, len}, o) - 1.0);
  in.A = -torch::empty({heads}, o).uniform_(1.0, 16.0);
  in.B = torch::randn({batch, groups, len, nstate}, o);
  in.C = torch::randn({batch, groups, len, nstate}, o);
  for (auto* t : {&in.x, &in.dt, &in.A, &in.B, &in.C}) {
    t->requires_grad_(true);
  }
  return in;
}

void expect_close(const torch::Tensor& got, const torch::Tensor& want, double rtol, double atol,
                  const std::string& what) {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  EXPECT_TRUE(torch::allclose(got, want, rtol, atol))
      << what << ": max |diff| " << (got - want).abs().max().item<double>();
}

void expect_chunked_matches_reference(const SsdInputs& in, int64_t chunk, double rtol, double atol) {
  const auto out = ssd_scan(in.x, in.dt, in.A, in.B, in.C, chunk);
  const auto ref = ssd_scan_reference(in.x, in.dt, in.A, in.B, in.C);
  expect_close(out, ref, rtol, atol, "output");
  // A fixed random cotangent, so every output position matters differently.
  const auto cotangent = torch::randn_like(ref);
  const auto grads = torch::autograd::grad({out}, in.all(), {cotangent});
  const auto grads_ref = torch::autograd::grad({ref}, in.all(), {cotangent});
  for (size_t i = 0; i < grads.size(); ++i) {
    expect_close(grads[i], grads_ref[i], rtol, atol, std::string("gradient of ") + kSsdNames[i]);
  }
}

struct SsdCase {
  int64_t len, chunk, heads, groups;
};

class SsdChunked : public ::testing::TestWithParam<SsdCase> {};

TEST_P(SsdChunked, MatchesTheRecurrenceInDouble) {
  const auto c = GetParam();
  torch::manual_seed(7);
  expect_chunked_matches_reference(make_ssd_inputs(2, c.heads, c.groups, c.len, 3, 5, torch::kDouble),
                                   c.chunk, 1e-9, 1e-10);
}

TEST_P(SsdChunked, MatchesTheRecurrenceInFloat) {
  const auto c = GetParam();
  torch::manual_seed(8);
  expect_chunked_matches_reference(make_ssd_inputs(2, c.heads, c.groups, c.len, 4, 6, torch::kFloat), c.chunk,
                                   1e-3, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Lengths, SsdChunked,
                         ::testing::Values(SsdCase{16, 4, 2, 1},    // a multiple of the chunk
                                           SsdCase{23, 8, 4, 2},    // not a multiple; two heads a group
                                           SsdCase{5, 16, 3, 3},    // shorter than the chunk
                                           SsdCase{37, 1, 2, 2},    // one position a chunk
                                           SsdCase{70, 64, 4, 1},   // the default chunk, a ragged tail
                                           SsdCase{33, 33, 1, 1}),  // one chunk exactly
                         [](const ::testing::TestParamInfo<SsdCase>& info) {
                           const auto& c = info.param;
                           return "L" + std::to_string(c.len) + "_T" + std::to_string(c.chunk) + "_H" +
                                  std::to_string(c.heads) + "_G" + std::to_string(c.groups);
                         });

TEST(SsdChunked, StrongDecayStaysFinite) {
  // A = -16 and dt ≈ 5: a chunk's cumulative log decay reaches thousands. A form that divides by the
  // cumulative decay would give inf/NaN; the masked segsum must not.
  torch::manual_seed(9);
  auto in = make_ssd_inputs(1, 2, 1, 40, 3, 4, torch::kFloat);
  in.dt = (torch::rand({1, 2, 40}) * 5.0 + 2.0).requires_grad_(true);
  in.A = torch::full({2}, -16.0).requires_grad_(true);
  expect_chunked_matches_reference(in, 16, 1e-3, 1e-4);
}

TEST(SsdWeights, ApplyToXGiveTheScan) {
  torch::manual_seed(10);
  const auto in = make_ssd_inputs(2, 4, 2, 13, 3, 5, torch::kDouble);
  const auto weights = ssd_weights(in.dt, in.A, in.B, in.C);  // (B, H, L, L)
  ASSERT_EQ(weights.sizes(), (std::vector<int64_t>{2, 4, 13, 13}));
  EXPECT_EQ(weights.triu(1).abs().max().item<double>(), 0.0) << "weights above the diagonal";
  expect_close(torch::matmul(weights, in.x), ssd_scan_reference(in.x, in.dt, in.A, in.B, in.C), 1e-9, 1e-10,
               "weights · x");
}

TEST(SsdScan, RefusesBadShapes) {
  const auto in = make_ssd_inputs(1, 3, 1, 6, 2, 2, torch::kFloat);
  EXPECT_THROW(ssd_scan(in.x, in.dt, in.A, in.B, in.C, 0), std::invalid_argument);
  EXPECT_THROW(ssd_scan(in.x, in.dt.narrow(2, 0, 5), in.A, in.B, in.C), std::invalid_argument);
  EXPECT_THROW(ssd_scan(in.x, in.dt, in.A.narrow(0, 0, 2), in.B, in.C), std::invalid_argument);
  // Three heads cannot share two groups.
  const auto B2 = torch::randn({1, 2, 6, 2});
  EXPECT_THROW(ssd_scan(in.x, in.dt, in.A, B2, B2), std::invalid_argument);
  try {
    ssd_scan_reference(in.x, in.dt, in.A, B2, B2);
    ADD_FAILURE() << "accepted 3 heads over 2 groups";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("groups"), std::string::npos) << e.what();
  }
}

torch::Tensor ssd_fixture_tensor(const nlohmann::json& entry) {
  const auto shape = entry.at("shape").get<std::vector<int64_t>>();
  return torch::tensor(entry.at("values").get<std::vector<double>>(), torch::kDouble).view(shape);
}

// mamba_ssm's ssd_chunk_scan_combined_ref and fla's naive_recurrent_simple_gla (both round to float32
// inside, hence the tolerance), at chunk sizes other than the reference's own.
TEST(SsdFixture, MatchesMambaSsmAndFla) {
  const std::string path = std::string(ZOOLAB_SOURCE_DIR) + "/tests/kernels/fixtures/ssd_reference.json";
  std::ifstream file(path);
  ASSERT_TRUE(file) << "missing fixture " << path;
  const auto fixture = nlohmann::json::parse(file);
  ASSERT_EQ(fixture.at("cases").size(), 2u);
  for (const auto& c : fixture.at("cases")) {
    const std::string reference = c.at("reference");
    SsdInputs in;
    std::vector<torch::Tensor*> slots = {&in.x, &in.dt, &in.A, &in.B, &in.C};
    for (size_t i = 0; i < slots.size(); ++i) {
      *slots[i] = ssd_fixture_tensor(c.at("inputs").at(kSsdNames[i])).requires_grad_(true);
    }
    const auto want = ssd_fixture_tensor(c.at("y"));
    const auto cotangent = ssd_fixture_tensor(c.at("cotangent"));
    for (const int64_t chunk : {5, 8, 64}) {
      const auto y = ssd_scan(in.x, in.dt, in.A, in.B, in.C, chunk);
      expect_close(y, want, 1e-5, 1e-5, reference + ", chunk " + std::to_string(chunk));
      const auto grads = torch::autograd::grad({y}, in.all(), {cotangent});
      for (size_t i = 0; i < grads.size(); ++i) {
        expect_close(grads[i], ssd_fixture_tensor(c.at("grads").at(kSsdNames[i])), 1e-5, 1e-5,
                     reference + ", gradient of " + kSsdNames[i]);
      }
    }
    expect_close(ssd_scan_reference(in.x, in.dt, in.A, in.B, in.C), want, 1e-5, 1e-5,
                 reference + ", recurrence");
  }
}

}  // namespace
}  // namespace zoolab::kernels
