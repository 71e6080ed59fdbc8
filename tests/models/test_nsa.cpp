// Native sparse attention (models/mixers/nsa.h) beyond the generic contract: Zoology's parameter names,
// any sequence length (a prefix gives the same outputs as the whole), the selected-block branch against
// plain causal attention when every block is selected, the window's exact width, the captured selection,
// Zoology's state_size, and the refused settings.

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/mixers/nsa.h"
#include "models/mixers/nsa_branches.h"
#include "models/registry.h"

namespace zoolab {
namespace {

constexpr int64_t kNsaDim = 16;

MixerPtr build_nsa(const nlohmann::json& kwargs, uint64_t seed = 3) {
  torch::manual_seed(seed);
  auto mixer = build_mixer(MixerKind::Sequence, "nsa", kwargs, MixerContext{kNsaDim, 0, 2, 64});
  mixer->to(torch::kDouble);
  mixer->eval();
  return mixer;
}

// The strategy gate starts with zero weights; random ones make every branch matter to the output.
void randomise_gate(const MixerPtr& mixer) {
  torch::NoGradGuard no_grad;
  for (auto& item : mixer->named_parameters()) {
    if (item.key().rfind("to_strategy_combine", 0) == 0 || item.key() == "compress_mem_kv" ||
        item.key().find("intrablock") != std::string::npos) {
      item.value().normal_(0.0, 0.5);
    }
  }
}

TEST(Nsa, HasZoologysParameterNamesAndShapes) {
  auto mixer = build_nsa({{"kv_heads", 1}});
  std::vector<std::string> names;
  for (const auto& item : mixer->named_parameters()) {
    names.push_back(item.key() + " " + c10::str(item.value().sizes()));
  }
  std::sort(names.begin(), names.end());
  // d_model 16, 2 heads of 8, 1 key/value head, blocks of 8 (MLP 64 -> 64 -> 8), one memory slot.
  const std::vector<std::string> expected = {"combine_heads.weight [16, 16]",
                                             "compress_mem_kv [2, 1, 1, 8]",
                                             "k_compress.1.bias [64]",
                                             "k_compress.1.weight [64, 64]",
                                             "k_compress.3.bias [8]",
                                             "k_compress.3.weight [8, 64]",
                                             "k_intrablock_positions [1, 8, 8]",
                                             "norm.weight [16]",
                                             "rotary_emb.freqs [4]",
                                             "to_qkv.weight [32, 16]",
                                             "to_strategy_combine.0.bias [6]",
                                             "to_strategy_combine.0.weight [6, 16]",
                                             "v_compress.1.bias [64]",
                                             "v_compress.1.weight [64, 64]",
                                             "v_compress.3.bias [8]",
                                             "v_compress.3.weight [8, 64]",
                                             "v_intrablock_positions [1, 8, 8]"};
  EXPECT_EQ(names, expected);
  EXPECT_FALSE(mixer->named_parameters()["rotary_emb.freqs"].requires_grad());
  // Without the norm there is no norm.weight (Zoology's nn.Identity).
  EXPECT_EQ(build_nsa({{"norm", false}})->named_parameters().find("norm.weight"), nullptr);
}

// Every length works, including lengths shorter than a block or a window and lengths that are not
// multiples of either; and because the mixer is causal a prefix gives the whole sequence's first outputs.
TEST(Nsa, GivesAPrefixTheSameOutputsAtEveryLength) {
  const std::vector<nlohmann::json> settings = {
      nlohmann::json::object(),
      {{"num_selected_blocks", 2}, {"sliding_window_size", 5}},
      {{"num_heads", 4},
       {"kv_heads", 2},
       {"query_heads_share_selected_kv", false},
       {"compress_block_size", 4},
       {"selection_block_size", 4},
       {"num_selected_blocks", 3},
       {"num_compressed_mem_kv", 2}},
      {{"num_selected_blocks", 0}, {"norm", false}},
  };
  for (const auto& kwargs : settings) {
    auto mixer = build_nsa(kwargs);
    randomise_gate(mixer);
    torch::NoGradGuard no_grad;
    const auto u = torch::randn({2, 41, kNsaDim}, torch::kDouble);
    const auto whole = mixer->forward(u);
    for (int64_t len : {1, 5, 7, 8, 9, 16, 17, 24, 33, 40}) {
      const auto part = mixer->forward(u.narrow(1, 0, len));
      EXPECT_LT((part - whole.narrow(1, 0, len)).abs().max().item<double>(), 1e-10)
          << kwargs.dump() << " at L " << len;
    }
  }
}

// With more selected blocks than there are, each query attends finely to every earlier position: the
// same as Zoology's fallback for num_selected_blocks 0, plain causal attention.
TEST(Nsa, SelectingEveryBlockEqualsCausalAttention) {
  for (const nlohmann::json& extra :
       {nlohmann::json::object(), nlohmann::json{{"num_heads", 4}, {"kv_heads", 1}},
        nlohmann::json{{"num_heads", 4}, {"kv_heads", 2}, {"query_heads_share_selected_kv", false}}}) {
    auto all = extra, none = extra;
    all["num_selected_blocks"] = 64;
    none["num_selected_blocks"] = 0;
    auto selecting = build_nsa(all, 5);
    auto dense = build_nsa(none, 6);
    randomise_gate(selecting);
    {
      torch::NoGradGuard no_grad;
      auto theirs = selecting->named_parameters();
      for (auto& item : dense->named_parameters()) {
        item.value().copy_(theirs[item.key()]);
      }
    }
    torch::NoGradGuard no_grad;
    const auto u = torch::randn({2, 29, kNsaDim}, torch::kDouble);
    EXPECT_LT((selecting->forward(u) - dense->forward(u)).abs().max().item<double>(), 1e-10) << extra.dump();
  }
}

// The fine branch's two forms (gathered rows per query, or scores against every position masked to the
// selected blocks) give the same outputs, gradients and weights, with shared and per-head selection.
TEST(Nsa, FineBranchFormsAgree) {
  struct Shape {
    int64_t heads, kv_heads;
    bool share;
  };
  constexpr int64_t kLen = 29, kBlock = 4, kDim = 6;
  for (const auto& shape : {Shape{2, 2, true}, Shape{4, 2, true}, Shape{4, 2, false}, Shape{3, 1, false}}) {
    torch::manual_seed(11);
    const auto opts = torch::TensorOptions().dtype(torch::kDouble);
    const auto q = torch::randn({2, shape.heads, kLen, kDim}, opts);
    const auto k = torch::randn({2, shape.kv_heads, kLen, kDim}, opts);
    const auto v = torch::randn({2, shape.kv_heads, kLen, kDim}, opts);
    const auto ck = torch::randn({2, shape.kv_heads, 1 + kLen / kBlock, kDim}, opts);
    torch::Tensor scores;
    nsa::compressed_attention(q, ck, ck, kBlock, 1, &scores, false);
    const auto selection =
        nsa::select_blocks(scores.narrow(3, 1, kLen / kBlock), shape.kv_heads, shape.share, 3);
    std::vector<torch::Tensor> outputs, weights, grads;
    for (auto form : {nsa::FineForm::Gathered, nsa::FineForm::Masked}) {
      auto qq = q.clone().requires_grad_(true), kk = k.clone().requires_grad_(true),
           vv = v.clone().requires_grad_(true);
      const auto result = nsa::selected_block_attention(qq, kk, vv, selection, kBlock, true, form);
      (result.out * torch::cos(torch::arange(result.out.numel(), opts)).view_as(result.out)).sum().backward();
      outputs.push_back(result.out.detach());
      weights.push_back(result.weights);
      grads.push_back(torch::cat({qq.grad().flatten(), kk.grad().flatten(), vv.grad().flatten()}));
    }
    const std::string label = std::to_string(shape.heads) + "/" + std::to_string(shape.kv_heads);
    EXPECT_LT((outputs[0] - outputs[1]).abs().max().item<double>(), 1e-12) << label;
    EXPECT_LT((weights[0] - weights[1]).abs().max().item<double>(), 1e-12) << label;
    EXPECT_LT((grads[0] - grads[1]).abs().max().item<double>(), 1e-12) << label;
  }
}

TEST(Nsa, SlidingWindowSeesItsWidthPlusOnePositionsOrBothWaysWithoutCausal) {
  constexpr int64_t kLen = 30, kWindow = 5;
  const auto i = torch::arange(kLen).unsqueeze(1), j = torch::arange(kLen).unsqueeze(0);
  for (bool causal : {true, false}) {
    auto mixer = build_nsa({{"sliding_window_size", kWindow}, {"causal", causal}});
    mixer->set_capture(true);
    torch::NoGradGuard no_grad;
    mixer->forward(torch::randn({2, kLen, kNsaDim}, torch::kDouble));
    const auto weights = mixer->captured().at("sliding_attention");  // (B, H, L, L)
    ASSERT_EQ(weights.sizes(), torch::IntArrayRef({2, 2, kLen, kLen}));
    const auto band = causal ? (i - j).ge(0).logical_and((i - j).le(kWindow)) : (i - j).abs().le(kWindow);
    EXPECT_TRUE(torch::equal(weights.gt(0), band.expand_as(weights))) << "causal " << causal;
  }
}

TEST(Nsa, CapturesTheSelectedBlocksOfEachQuery) {
  constexpr int64_t kLen = 40, kBlock = 8, kSelected = 2;
  auto mixer = build_nsa({{"num_selected_blocks", kSelected}});
  mixer->set_capture(true);
  torch::NoGradGuard no_grad;
  mixer->forward(torch::randn({2, kLen, kNsaDim}, torch::kDouble));
  const auto selected = mixer->captured().at("selected");  // (B, H, L, n)
  ASSERT_EQ(selected.sizes(), torch::IntArrayRef({2, 2, kLen, kSelected}));
  for (int64_t t = 0; t < kLen; ++t) {
    const auto row = selected.select(2, t);  // (B, H, n)
    // Complete blocks before t: those whose last position (j + 1)·8 - 1 is < t.
    const int64_t visible = t / kBlock;
    const auto used = row.ge(0);
    EXPECT_TRUE(used.sum(-1).eq(std::min(visible, kSelected)).all().item<bool>()) << "t " << t;
    EXPECT_TRUE(row.lt(static_cast<double>(visible)).all().item<bool>()) << "t " << t;
    EXPECT_TRUE(row.ge(-1).all().item<bool>());
  }
  // A query with more visible blocks than it selects leaves some out.
  EXPECT_TRUE(selected.select(2, kLen - 1).ge(0).sum(-1).eq(kSelected).all().item<bool>());
}

TEST(Nsa, CountsZoologysStateSize) {
  // 2·⌊L/8⌋·D compressed + 2·16·D window + 2·8·D·4 selected, at D = 16.
  EXPECT_EQ(build_nsa(nlohmann::json::object())->state_size(40), 2 * 5 * 16 + 2 * 16 * 16 + 2 * 8 * 16 * 4);
  EXPECT_EQ(build_nsa({{"num_selected_blocks", 0}})->state_size(7), 2 * 16 * 16);
}

TEST(Nsa, RefusesSettingsItCannotBuildNamingThem) {
  const std::vector<std::pair<nlohmann::json, std::string>> refused = {
      {{{"num_heads", 32}}, "nsa: num_heads 32"},
      {{{"num_heads", 3}}, "nsa: num_heads 3"},  // head width 5: odd
      {{{"kv_heads", 3}}, "nsa: kv_heads 3"},
      {{{"selection_block_size", 4}}, "nsa: selection_block_size 4"},
      {{{"compress_mlp_expand_factor", 0.001}}, "nsa: compress_mlp_expand_factor"},
  };
  for (const auto& [kwargs, message] : refused) {
    try {
      build_nsa(kwargs);
      ADD_FAILURE() << kwargs.dump() << " was accepted";
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find(message), std::string::npos) << error.what();
    }
  }
  // Without selection the two block sizes are independent.
  EXPECT_NO_THROW(build_nsa({{"selection_block_size", 4}, {"num_selected_blocks", 0}}));
}

}  // namespace
}  // namespace zoolab
