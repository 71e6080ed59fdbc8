// The (gated) delta rule: the chunked kernel against the step-by-step reference (output and the
// gradients of q, k, v, beta, g) in double over several (L, chunk) incl. L not a multiple of the chunk
// and L shorter than it, float against double, a gate strong enough to underflow, and both against
// flash-linear-attention's own naive recurrences through a committed fixture
// (tests/kernels/fixtures/make_delta_rule_fixtures.py).

#include <gtest/gtest.h>

#include <fstream>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "kernels/delta_rule.h"

namespace zoolab::kernels {
namespace {

struct DeltaInputs {
  torch::Tensor q, k, v, beta,
      g;  // (B, H, L, K), (B, H, L, K), (B, H, L, V), (B, H, L), (B, H, L) or undefined

  std::vector<torch::Tensor> leaves() const {
    std::vector<torch::Tensor> out{q, k, v, beta};
    if (g.defined()) {
      out.push_back(g);
    }
    return out;
  }
};

// K = 5, V = 3 (K ≠ V, neither a power of two). Keys are L2-normalised, as DeltaNet feeds them, and β
// in (0, 2) covers allow_neg_eigval's range. gate_scale: g uniform in (-gate_scale, 0).
DeltaInputs delta_make_inputs(int64_t len, bool gated, double gate_scale = 0.5,
                              torch::Dtype dtype = torch::kDouble, int64_t batch = 2, int64_t heads = 3) {
  torch::manual_seed(len * 13 + (gated ? 1 : 0));
  const auto d = torch::kDouble;
  DeltaInputs in;
  in.q = torch::randn({batch, heads, len, 5}, d);
  in.k = torch::nn::functional::normalize(torch::randn({batch, heads, len, 5}, d),
                                          torch::nn::functional::NormalizeFuncOptions().dim(-1));
  in.v = torch::randn({batch, heads, len, 3}, d);
  in.beta = torch::rand({batch, heads, len}, d) * 2;
  if (gated) {
    in.g = -torch::rand({batch, heads, len}, d) * gate_scale;
  }
  for (auto* t : {&in.q, &in.k, &in.v, &in.beta, &in.g}) {
    if (t->defined()) {
      *t = t->to(dtype).requires_grad_(true);
    }
  }
  return in;
}

void delta_expect_close(const torch::Tensor& actual, const torch::Tensor& expected, double rtol,
                        const std::string& what) {
  ASSERT_EQ(actual.sizes(), expected.sizes()) << what;
  ASSERT_TRUE(torch::isfinite(actual).all().item<bool>()) << what;
  const double scale = std::max(1e-12, expected.abs().max().item<double>());
  EXPECT_LT((actual.to(torch::kDouble) - expected.to(torch::kDouble)).abs().max().item<double>() / scale,
            rtol)
      << what;
}

const char* const kDeltaNames[] = {"q", "k", "v", "beta", "g"};

// Chunked and reference output and every gradient of sum(o · w), compared at rtol.
void delta_compare(const DeltaInputs& in, int64_t chunk, double rtol) {
  const double scale = 0.45;
  const auto o = gated_delta_rule(in.q, in.k, in.v, in.beta, in.g, scale, chunk);
  const auto o_ref = gated_delta_rule_reference(in.q, in.k, in.v, in.beta, in.g, scale);
  delta_expect_close(o, o_ref, rtol, "output");
  const auto w = torch::randn_like(o);
  const auto grads = torch::autograd::grad({(o * w).sum()}, in.leaves());
  const auto grads_ref = torch::autograd::grad({(o_ref * w).sum()}, in.leaves());
  for (size_t i = 0; i < grads.size(); ++i) {
    delta_expect_close(grads[i], grads_ref[i], rtol, std::string("grad ") + kDeltaNames[i]);
  }
}

struct DeltaCase {
  int64_t len, chunk;
  bool gated;
};

// (L, chunk): one position; L < chunk; several chunks with a partial last one; exact multiples; the
// default chunk of 64 over several chunks with a remainder. Each plain and gated.
std::vector<DeltaCase> delta_cases() {
  std::vector<DeltaCase> cases;
  for (const auto& [len, chunk] : std::vector<std::pair<int64_t, int64_t>>{
           {1, 64}, {10, 64}, {23, 4}, {24, 8}, {37, 16}, {64, 64}, {150, 64}}) {
    cases.push_back({len, chunk, false});
    cases.push_back({len, chunk, true});
  }
  return cases;
}

void PrintTo(const DeltaCase& c, std::ostream* out) {
  *out << "L " << c.len << ", chunk " << c.chunk << (c.gated ? ", gated" : ", plain");
}

class DeltaRule : public ::testing::TestWithParam<DeltaCase> {};

TEST_P(DeltaRule, ChunkedMatchesTheRecurrenceForwardAndEveryGradient) {
  const auto c = GetParam();
  delta_compare(delta_make_inputs(c.len, c.gated), c.chunk, 1e-9);
}

INSTANTIATE_TEST_SUITE_P(Sizes, DeltaRule, ::testing::ValuesIn(delta_cases()),
                         [](const ::testing::TestParamInfo<DeltaCase>& info) {
                           return "L" + std::to_string(info.param.len) + "_C" +
                                  std::to_string(info.param.chunk) + (info.param.gated ? "_gated" : "_plain");
                         });

TEST(DeltaRuleFloat, StaysCloseToTheDoubleReference) {
  for (const bool gated : {false, true}) {
    const auto in = delta_make_inputs(100, gated, 0.5, torch::kFloat);
    const auto in_double = delta_make_inputs(100, gated, 0.5, torch::kDouble);
    const auto o = gated_delta_rule(in.q, in.k, in.v, in.beta, in.g, 0.45);
    EXPECT_EQ(o.scalar_type(), torch::kFloat);
    const auto o_ref =
        gated_delta_rule_reference(in_double.q, in_double.k, in_double.v, in_double.beta, in_double.g, 0.45);
    delta_expect_close(o, o_ref, 1e-4, gated ? "gated float output" : "float output");
    const auto grads = torch::autograd::grad({o.sum()}, in.leaves());
    const auto grads_ref = torch::autograd::grad({o_ref.sum()}, in_double.leaves());
    for (size_t i = 0; i < grads.size(); ++i) {
      delta_expect_close(grads[i], grads_ref[i], 1e-3, std::string("float grad ") + kDeltaNames[i]);
    }
  }
}

// A gate of up to -60 a step: the cumulative log decay reaches thousands within a chunk, e^{G} underflows
// to 0 in float. Nothing may divide by it: the output and gradients stay finite and equal the recurrence.
TEST(DeltaRuleGate, StrongDecayUnderflowsWithoutNaN) {
  const auto in = delta_make_inputs(70, true, 60.0, torch::kFloat);
  const auto in_double = delta_make_inputs(70, true, 60.0, torch::kDouble);
  const auto o = gated_delta_rule(in.q, in.k, in.v, in.beta, in.g, 0.45, 64);
  const auto o_ref =
      gated_delta_rule_reference(in_double.q, in_double.k, in_double.v, in_double.beta, in_double.g, 0.45);
  delta_expect_close(o, o_ref, 1e-4, "output");
  const auto grads = torch::autograd::grad({o.sum()}, in.leaves());
  const auto grads_ref = torch::autograd::grad({o_ref.sum()}, in_double.leaves());
  for (size_t i = 0; i < grads.size(); ++i) {
    delta_expect_close(grads[i], grads_ref[i], 1e-3, std::string("grad ") + kDeltaNames[i]);
  }
}

TEST(DeltaRuleGate, ZeroGateIsThePlainDeltaRule) {
  const auto in = delta_make_inputs(30, false);
  const auto plain = gated_delta_rule(in.q, in.k, in.v, in.beta, {}, 0.45, 8);
  const auto zero_gate = gated_delta_rule(in.q, in.k, in.v, in.beta, torch::zeros_like(in.beta), 0.45, 8);
  delta_expect_close(zero_gate, plain, 1e-12, "output");
}

// The inspector's weights: applied to v they give the output, and they are causal.
TEST(DeltaRuleWeights, ReproduceTheOutputAndAreCausal) {
  for (const bool gated : {false, true}) {
    const auto in = delta_make_inputs(45, gated);
    const auto weights = gated_delta_rule_weights(in.q, in.k, in.beta, in.g, 0.45, 16);  // (B, H, L, L)
    ASSERT_EQ(weights.sizes(), torch::IntArrayRef({2, 3, 45, 45}));
    EXPECT_EQ(weights.triu(1).abs().max().item<double>(), 0.0);
    delta_expect_close(torch::matmul(weights, in.v),
                       gated_delta_rule_reference(in.q, in.k, in.v, in.beta, in.g, 0.45), 1e-10,
                       gated ? "gated weights · v" : "weights · v");
  }
}

TEST(DeltaRuleChecks, RefusesMismatchedShapesAndChunks) {
  const auto in = delta_make_inputs(8, true);
  EXPECT_THROW(gated_delta_rule(in.q, in.k.narrow(3, 0, 4), in.v, in.beta, in.g, 1.0), c10::Error);
  EXPECT_THROW(gated_delta_rule(in.q, in.k, in.v.narrow(2, 0, 7), in.beta, in.g, 1.0), c10::Error);
  EXPECT_THROW(gated_delta_rule(in.q, in.k, in.v, in.beta.unsqueeze(-1), in.g, 1.0), c10::Error);
  EXPECT_THROW(gated_delta_rule(in.q, in.k, in.v, in.beta, in.g.narrow(2, 0, 3), 1.0), c10::Error);
  EXPECT_THROW(gated_delta_rule(in.q, in.k, in.v, in.beta, in.g, 1.0, 0), c10::Error);
  EXPECT_THROW(gated_delta_rule_reference(in.q, in.k, in.v, in.beta.to(torch::kFloat), in.g, 1.0),
               c10::Error);
}

// flash-linear-attention's naive recurrences (float32) on the fixture's inputs: fla's convention (S is K×V,
// o_t = S_tᵀ q_t · scale, the gate before the delta update) is ours.
nlohmann::json delta_fixture() {
  const std::string path = std::string(ZOOLAB_SOURCE_DIR) + "/tests/kernels/fixtures/delta_rule.json";
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("missing fixture " + path);
  }
  return nlohmann::json::parse(in);
}

torch::Tensor delta_tensor(const nlohmann::json& entry) {
  return torch::tensor(entry.at("values").get<std::vector<double>>(), torch::kDouble)
      .view(entry.at("shape").get<std::vector<int64_t>>());
}

TEST(DeltaRuleFla, MatchesFlasNaiveRecurrences) {
  const auto fixture = delta_fixture();
  ASSERT_EQ(fixture.at("cases").size(), 2u);
  for (const auto& [name, c] : fixture.at("cases").items()) {
    const bool gated = c.at("gated").get<bool>();
    DeltaInputs in;
    in.q = delta_tensor(c.at("q")).requires_grad_(true);
    in.k = delta_tensor(c.at("k")).requires_grad_(true);
    in.v = delta_tensor(c.at("v")).requires_grad_(true);
    in.beta = delta_tensor(c.at("beta")).requires_grad_(true);
    if (gated) {
      in.g = delta_tensor(c.at("g")).requires_grad_(true);
    }
    const double scale = c.at("scale").get<double>();
    const auto w = delta_tensor(c.at("weights"));
    for (const int64_t chunk : {0, 4, 64}) {  // 0: the step-by-step reference
      const auto o = chunk == 0 ? gated_delta_rule_reference(in.q, in.k, in.v, in.beta, in.g, scale)
                                : gated_delta_rule(in.q, in.k, in.v, in.beta, in.g, scale, chunk);
      const std::string label = name + " chunk " + std::to_string(chunk);
      delta_expect_close(o, delta_tensor(c.at("o")), 1e-5, label + " output");
      const auto grads = torch::autograd::grad({(o * w).sum()}, in.leaves());
      for (size_t i = 0; i < grads.size(); ++i) {
        delta_expect_close(grads[i], delta_tensor(c.at(std::string("grad_") + kDeltaNames[i])), 1e-4,
                           label + " grad " + kDeltaNames[i]);
      }
    }
  }
}

}  // namespace
}  // namespace zoolab::kernels
