// Gated linear attention: the chunked form (inter-chunk state, sub-chunks factorised across, pairwise
// within) against the step-by-step recurrence, output and the gradients of q, k, v and g, in double
// (tight) and float (loose), over lengths that are and are not multiples of the chunk and shorter than
// it; strong decays (g ≈ -5 per step) where a factorisation through the cumulative decay overflows; and
// against fla's own naive recurrence (fla/ops/gla/naive.py) through a committed fixture.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "kernels/gated_linear_attention.h"

namespace zoolab::kernels {
namespace {

struct GlaInputs {
  torch::Tensor q, k, v, g;  // (B, H, L, K) ×3 (g: log forget gate), v: (B, H, L, V)
};

// B 2, H 3, K 5, V 7 (distinct, so a transposed dimension cannot pass). Gates as the mixer makes them,
// logsigmoid(x) / 16, unless strong: about -5 per step.
GlaInputs gla_inputs(int64_t len, bool strong, torch::Dtype dtype = torch::kDouble) {
  torch::manual_seed(len * 13 + (strong ? 1 : 0));
  const int64_t B = 2, H = 3, K = 5, V = 7;
  auto make = [&](const torch::Tensor& x) { return x.to(dtype).requires_grad_(true); };
  const auto logits = torch::randn({B, H, len, K}, torch::kDouble);
  const auto g = strong ? -5.0 + 0.5 * logits : torch::log_sigmoid(logits) / 16.0;
  return {make(torch::randn({B, H, len, K}, torch::kDouble)),
          make(torch::randn({B, H, len, K}, torch::kDouble)),
          make(torch::randn({B, H, len, V}, torch::kDouble)), make(g)};
}

std::vector<torch::Tensor> gla_all(const GlaInputs& in) {
  return {in.q, in.k, in.v, in.g};
}

void gla_expect_close(const torch::Tensor& actual, const torch::Tensor& expected, double rtol,
                      const std::string& what) {
  ASSERT_EQ(actual.sizes(), expected.sizes()) << what;
  ASSERT_TRUE(torch::isfinite(actual).all().item<bool>()) << what;
  const double scale = std::max(1e-12, expected.abs().max().item<double>());
  EXPECT_LT((actual.to(torch::kDouble) - expected.to(torch::kDouble)).abs().max().item<double>() / scale,
            rtol)
      << what;
}

// Output and the four gradients of sum(o · w) of `actual` against `expected` (both run on the same inputs).
template <typename Actual, typename Expected>
void gla_compare(const GlaInputs& in, Actual&& actual, Expected&& expected, double rtol) {
  const auto o = actual(in);
  const auto o_ref = expected(in);
  gla_expect_close(o, o_ref, rtol, "output");
  const auto weights = torch::randn_like(o_ref);
  const auto grads = torch::autograd::grad({(o * weights).sum()}, gla_all(in));
  const auto grads_ref = torch::autograd::grad({(o_ref * weights).sum()}, gla_all(in));
  const char* names[] = {"q", "k", "v", "g"};
  for (size_t i = 0; i < grads.size(); ++i) {
    gla_expect_close(grads[i], grads_ref[i], rtol, std::string("grad ") + names[i]);
  }
}

class GatedLinearAttention : public ::testing::TestWithParam<std::tuple<int64_t, int64_t, bool>> {};

TEST_P(GatedLinearAttention, ChunkedMatchesTheRecurrenceInDouble) {
  const auto [len, chunk, strong] = GetParam();
  const double scale = 0.4;
  gla_compare(
      gla_inputs(len, strong),
      [&](const GlaInputs& in) { return gated_linear_attention(in.q, in.k, in.v, in.g, scale, chunk); },
      [&](const GlaInputs& in) { return gated_linear_attention_reference(in.q, in.k, in.v, in.g, scale); },
      1e-10);
}

TEST_P(GatedLinearAttention, ChunkedInFloatMatchesTheRecurrenceInDouble) {
  const auto [len, chunk, strong] = GetParam();
  const double scale = 0.4;
  const auto in = gla_inputs(len, strong, torch::kFloat);
  const auto o = gated_linear_attention(in.q, in.k, in.v, in.g, scale, chunk);
  const auto d = [](const torch::Tensor& x) { return x.detach().to(torch::kDouble).requires_grad_(true); };
  const GlaInputs in_double{d(in.q), d(in.k), d(in.v), d(in.g)};
  const auto o_ref =
      gated_linear_attention_reference(in_double.q, in_double.k, in_double.v, in_double.g, scale);
  EXPECT_EQ(o.scalar_type(), torch::kFloat);
  gla_expect_close(o, o_ref, 1e-4, "output");
  const auto weights = torch::randn_like(o_ref);
  const auto grads = torch::autograd::grad({(o * weights.to(torch::kFloat)).sum()}, gla_all(in));
  const auto grads_ref = torch::autograd::grad({(o_ref * weights).sum()}, gla_all(in_double));
  const char* names[] = {"q", "k", "v", "g"};
  for (size_t i = 0; i < grads.size(); ++i) {
    gla_expect_close(grads[i], grads_ref[i], 1e-4, std::string("grad ") + names[i]);
  }
}

// (L, chunk, strong): L a multiple of the chunk, not one, shorter than a sub-chunk and than a chunk;
// chunks of one sub-chunk, of several, and below a sub-chunk.
INSTANTIATE_TEST_SUITE_P(Lengths, GatedLinearAttention,
                         ::testing::Values(std::make_tuple(1, 64, false), std::make_tuple(7, 64, false),
                                           std::make_tuple(40, 64, false), std::make_tuple(64, 64, false),
                                           std::make_tuple(100, 64, false), std::make_tuple(50, 16, false),
                                           std::make_tuple(70, 32, false), std::make_tuple(29, 8, false),
                                           std::make_tuple(150, 64, true), std::make_tuple(45, 32, true),
                                           std::make_tuple(23, 4, true)));

// The hand-written backward at more shapes: chunk sizes whose sub-chunks are the chunk itself (1, 12) or
// several per chunk (48: 6 sub-chunks of 8), with only some inputs requiring gradients, and strided
// inputs (heads split off the channels, as the mixer passes them).
TEST(GatedLinearAttentionBackward, MatchesTheRecurrenceForOddChunksAndPartialGradients) {
  for (const int64_t chunk : {1, 12, 48}) {
    const auto in = gla_inputs(61, false);
    const auto q = in.q.detach();  // no gradient wanted for q
    gla_compare(
        in,
        [&](const GlaInputs& x) {
          return gated_linear_attention(q, x.k, x.v, x.g, 0.7, chunk) + 0 * x.q.sum();
        },
        [&](const GlaInputs& x) {
          return gated_linear_attention_reference(q, x.k, x.v, x.g, 0.7) + 0 * x.q.sum();
        },
        1e-10);
  }
  // (B, L, H·K) channels viewed as heads: (B, H, L, K) with L not the second-innermost stride.
  torch::manual_seed(3);
  const int64_t B = 2, L = 77, H = 3, K = 5, V = 4;
  auto channels = [&](int64_t dim) {
    return torch::randn({B, L, H * dim}, torch::kDouble).requires_grad_(true);
  };
  const auto qc = channels(K), kc = channels(K), vc = channels(V);
  const auto gc = (torch::log_sigmoid(torch::randn({B, L, H * K}, torch::kDouble)) / 8).requires_grad_(true);
  auto heads = [&](const torch::Tensor& x, int64_t dim) { return x.view({B, L, H, dim}).transpose(1, 2); };
  const auto o = gated_linear_attention(heads(qc, K), heads(kc, K), heads(vc, V), heads(gc, K), 0.3, 32);
  const auto o_ref =
      gated_linear_attention_reference(heads(qc, K), heads(kc, K), heads(vc, V), heads(gc, K), 0.3);
  gla_expect_close(o, o_ref, 1e-10, "strided output");
  const auto weights = torch::randn_like(o_ref);
  const auto grads = torch::autograd::grad({(o * weights).sum()}, {qc, kc, vc, gc});
  const auto grads_ref = torch::autograd::grad({(o_ref * weights).sum()}, {qc, kc, vc, gc});
  for (size_t i = 0; i < grads.size(); ++i) {
    gla_expect_close(grads[i], grads_ref[i], 1e-10, "strided grad " + std::to_string(i));
  }
}

// The batched products split over the intra-op threads on CPU: one thread and two give the same result.
TEST(GatedLinearAttentionBackward, SameOnOneThreadAndTwo) {
  const auto in = gla_inputs(130, true, torch::kFloat);
  const int threads = torch::get_num_threads();
  auto run = [&](int n) {
    torch::set_num_threads(n);
    const auto o = gated_linear_attention(in.q, in.k, in.v, in.g, 0.5, 64);
    auto grads = torch::autograd::grad({(o * o).sum()}, gla_all(in));
    grads.push_back(o.detach());
    return grads;
  };
  const auto one = run(1), two = run(2);
  {
    // The worker threads run in the caller's modes: under inference mode they write inference tensors.
    const c10::InferenceMode inference;
    const auto o = gated_linear_attention(in.q, in.k, in.v, in.g, 0.5, 64);
    gla_expect_close(o, one.back(), 1e-6, "inference mode");
  }
  torch::set_num_threads(threads);
  for (size_t i = 0; i < one.size(); ++i) {
    gla_expect_close(two[i], one[i], 1e-6, "threads " + std::to_string(i));
  }
}

// The reason for the secondary chunking: with g ≈ -5 the cumulative decay over a chunk of 64 is e^-320,
// so the first-level factorisation (q ⊙ e^G)(k ⊙ e^-G)ᵀ gives 0 · inf in float. The chunked kernel stays
// finite and equals the recurrence (checked in float against double above; here the blow-up itself).
TEST(GatedLinearAttentionStrongDecay, NaiveFactorisationOverflowsWhereTheKernelDoesNot) {
  const auto in = gla_inputs(64, /*strong=*/true, torch::kFloat);
  const auto G = in.g.detach().cumsum(2);
  const auto naive =
      torch::matmul(in.q.detach() * torch::exp(G), (in.k.detach() * torch::exp(-G)).transpose(-1, -2));
  EXPECT_FALSE(torch::isfinite(naive).all().item<bool>());
  const auto o = gated_linear_attention(in.q, in.k, in.v, in.g, 0.5, 64);
  EXPECT_TRUE(torch::isfinite(o).all().item<bool>());
  const auto grads = torch::autograd::grad({o.sum()}, gla_all(in));
  for (const auto& grad : grads) {
    EXPECT_TRUE(torch::isfinite(grad).all().item<bool>());
  }
}

// The mixer's captured weights (models/mixers/gla.cpp): the output is linear in v, so running the kernel
// with v the L × L identity gives W with o = W v.
TEST(GatedLinearAttentionWeights, IdentityValuesGiveTheMatrixAppliedToV) {
  const auto in = gla_inputs(37, false);
  const auto identity = torch::eye(37, torch::kDouble).expand({2, 3, 37, 37});
  const auto weights = gated_linear_attention(in.q, in.k, identity, in.g, 0.3, 16);  // (B, H, L, L)
  EXPECT_EQ(weights.triu(1).abs().max().item<double>(), 0.0);
  gla_expect_close(torch::matmul(weights, in.v),
                   gated_linear_attention_reference(in.q, in.k, in.v, in.g, 0.3), 1e-10, "W v");
}

TEST(GatedLinearAttentionShapes, RefusesMismatchedInputsAndChunks) {
  const auto in = gla_inputs(8, false);
  EXPECT_THROW(gated_linear_attention(in.q, in.k, in.v.narrow(2, 0, 4), in.g, 1.0), std::exception);
  EXPECT_THROW(gated_linear_attention(in.q, in.k, in.v, in.g.narrow(3, 0, 2), 1.0), std::exception);
  EXPECT_THROW(gated_linear_attention(in.q, in.k, in.v, in.g, 1.0, 24), std::exception);
  EXPECT_THROW(gated_linear_attention(in.q, in.k, in.v, in.g, 1.0, 0), std::exception);
  const auto empty = gated_linear_attention(in.q.narrow(2, 0, 0), in.k.narrow(2, 0, 0), in.v.narrow(2, 0, 0),
                                            in.g.narrow(2, 0, 0), 1.0);
  EXPECT_EQ(empty.sizes(), (std::vector<int64_t>{2, 3, 0, 7}));
}

// fla's naive_recurrent_gla (fla/ops/gla/naive.py) on the fixture's inputs: made by
// tests/kernels/fixtures/make_gla_fixtures.py; the reference computed in float32.
torch::Tensor gla_fixture_tensor(const nlohmann::json& entry) {
  const auto shape = entry.at("shape").get<std::vector<int64_t>>();
  return torch::tensor(entry.at("values").get<std::vector<double>>(), torch::kDouble).view(shape);
}

TEST(GatedLinearAttentionFixture, MatchesFlaNaiveRecurrence) {
  const std::string path = std::string(ZOOLAB_SOURCE_DIR) + "/tests/kernels/fixtures/gla_naive.json";
  std::ifstream file(path);
  ASSERT_TRUE(file) << "missing fixture " << path;
  const auto fixture = nlohmann::json::parse(file);
  ASSERT_GE(fixture.at("cases").size(), 3u);
  for (const auto& c : fixture.at("cases")) {
    const std::string name = c.at("name");
    auto input = [&](const char* key) { return gla_fixture_tensor(c.at(key)).requires_grad_(true); };
    const GlaInputs in{input("q"), input("k"), input("v"), input("g")};
    for (const int64_t chunk : {16, 64}) {
      const auto o = gated_linear_attention(in.q, in.k, in.v, in.g, c.at("scale").get<double>(), chunk);
      gla_expect_close(o, gla_fixture_tensor(c.at("o")), 1e-5, name + " output");
      const auto grads =
          torch::autograd::grad({(o * gla_fixture_tensor(c.at("weights"))).sum()}, gla_all(in));
      const char* keys[] = {"dq", "dk", "dv", "dg"};
      for (size_t i = 0; i < grads.size(); ++i) {
        gla_expect_close(grads[i], gla_fixture_tensor(c.at(keys[i])), 1e-5, name + " " + keys[i]);
      }
    }
  }
}

}  // namespace
}  // namespace zoolab::kernels
