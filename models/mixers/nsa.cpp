#include "models/mixers/nsa.h"

#include <cmath>
#include <string>

#include <torch/torch.h>

#include "models/mixers/nsa_branches.h"
#include "models/mixers/option_error.h"

namespace zoolab {

namespace {

// torch.nn.RMSNorm's default eps is the input dtype's machine epsilon; float32's is used (the training
// dtype), which differs from double's by far less than double tests can see.
constexpr double kNsaNormEps = 1.1920928955078125e-07;

// Zoology's strategy gate starts at σ(-2), σ(-2), σ(2): mostly the sliding window, since networks learn
// local patterns before distant ones (a LanguageModel's initialisation then redraws it, as Zoology's does).
constexpr double kNsaGateBias[3] = {-2.0, -2.0, 2.0};

// The captured "selected" blocks mark unused slots (no complete block yet) with -1.
constexpr double kNsaNoBlock = -1.0;

}  // namespace

NsaImpl::NsaImpl(const NsaOptions& options) : m_options(options) {
  const int64_t d_model = options.d_model(), heads = options.num_heads();
  if (heads < 1 || heads > d_model) {
    refuse_option("nsa", "num_heads", std::to_string(heads),
                  "must be in [1, d_model] (d_model " + std::to_string(d_model) + ")");
  }
  m_head_dim = d_model / heads;
  if (m_head_dim % 2 != 0) {
    refuse_option("nsa", "num_heads", std::to_string(heads),
                  "gives an odd head width d_model / num_heads = " + std::to_string(m_head_dim) +
                      "; the rotary embedding rotates channel pairs, so it must be even");
  }
  m_kv_heads = options.kv_heads() == 0 ? heads : options.kv_heads();
  if (m_kv_heads < 1 || m_kv_heads > heads || heads % m_kv_heads != 0) {
    refuse_option("nsa", "kv_heads", std::to_string(m_kv_heads),
                  "must divide num_heads (" + std::to_string(heads) + ")");
  }
  if (options.num_selected_blocks() > 0 && options.selection_block_size() != options.compress_block_size()) {
    refuse_option("nsa", "selection_block_size", std::to_string(options.selection_block_size()),
                  "must equal compress_block_size (" + std::to_string(options.compress_block_size()) +
                      ") while num_selected_blocks > 0: blocks are ranked by their compressed tokens");
  }
  for (const auto& [key, value] :
       {std::pair<const char*, int64_t>{"sliding_window_size", options.sliding_window_size()},
        {"compress_block_size", options.compress_block_size()},
        {"selection_block_size", options.selection_block_size()},
        {"num_compressed_mem_kv", options.num_compressed_mem_kv()}}) {
    if (value < 1) {
      refuse_option("nsa", key, std::to_string(value), "must be at least 1");
    }
  }
  if (options.num_selected_blocks() < 0) {
    refuse_option("nsa", "num_selected_blocks", std::to_string(options.num_selected_blocks()),
                  "must be at least 0");
  }
  const int64_t block = options.compress_block_size(), d = m_head_dim;
  // Python's int(): truncation.
  const auto hidden =
      static_cast<int64_t>(options.compress_mlp_expand_factor() * static_cast<double>(block * d));
  if (!(options.compress_mlp_expand_factor() > 0) || hidden < 1) {
    refuse_option("nsa", "compress_mlp_expand_factor", std::to_string(options.compress_mlp_expand_factor()),
                  "gives a compression MLP of " + std::to_string(hidden) +
                      " hidden units (factor · compress_block_size · head width); it needs at least 1");
  }

  // Registration follows the reference's attribute order.
  if (options.norm()) {
    norm = register_module("norm", RMSNorm(d_model, kNsaNormEps));
  }
  rotary_emb = register_module("rotary_emb", InterleavedRotary(d));
  to_qkv = register_module(
      "to_qkv",
      torch::nn::Linear(torch::nn::LinearOptions(d_model, (heads + 2 * m_kv_heads) * d).bias(false)));
  compress_mem_kv = register_parameter("compress_mem_kv",
                                       torch::zeros({2, m_kv_heads, options.num_compressed_mem_kv(), d}));
  k_intrablock_positions = register_parameter("k_intrablock_positions", torch::zeros({m_kv_heads, block, d}));
  v_intrablock_positions = register_parameter("v_intrablock_positions", torch::zeros({m_kv_heads, block, d}));
  // Index 0 (the flattening) has no parameters, so the Linears are "1" and "3" as in the reference.
  auto mlp = [&] {
    return torch::nn::Sequential(torch::nn::Flatten(torch::nn::FlattenOptions().start_dim(-2).end_dim(-1)),
                                 torch::nn::Linear(block * d, hidden), torch::nn::ReLU(),
                                 torch::nn::Linear(hidden, d));
  };
  k_compress = register_module("k_compress", mlp());
  v_compress = register_module("v_compress", mlp());
  auto gate = torch::nn::Linear(d_model, 3 * heads);
  {
    torch::NoGradGuard no_grad;
    gate->weight.zero_();
    gate->bias.copy_(
        torch::tensor({kNsaGateBias[0], kNsaGateBias[1], kNsaGateBias[2]}, torch::kFloat).repeat({heads}));
  }
  to_strategy_combine =
      register_module("to_strategy_combine", torch::nn::Sequential(gate, torch::nn::Sigmoid()));
  combine_heads = register_module(
      "combine_heads", torch::nn::Linear(torch::nn::LinearOptions(heads * d, d_model).bias(false)));
}

torch::Tensor NsaImpl::compress(const torch::Tensor& x, const torch::Tensor& positions,
                                torch::nn::Sequential mlp, int64_t memory_row) {
  const int64_t batch = x.size(0), len = x.size(2), d = m_head_dim, block = m_options.compress_block_size();
  const int64_t blocks = len / block;  // a trailing partial block has no token yet
  const auto rows = x.narrow(2, 0, blocks * block).view({batch, m_kv_heads, blocks, block, d}) +
                    positions.unsqueeze(1);  // (B, Hk, nc, block, d)
  const auto tokens = mlp->forward(rows);    // (B, Hk, nc, d)
  const auto memory =
      compress_mem_kv.select(0, memory_row)
          .unsqueeze(0)
          .expand({batch, m_kv_heads, m_options.num_compressed_mem_kv(), d});  // (B, Hk, M, d)
  return torch::cat({memory, tokens}, 2);                                      // (B, Hk, M + nc, d)
}

torch::Tensor NsaImpl::forward(const torch::Tensor& u) {
  const int64_t batch = u.size(0), len = u.size(1), heads = m_options.num_heads(), d = m_head_dim;
  const int64_t mem = m_options.num_compressed_mem_kv(), block = m_options.compress_block_size();
  const bool want = capturing();
  const auto x = m_options.norm() ? norm(u) : u;  // (B, L, D)
  const auto qkv = to_qkv(x).split_with_sizes({heads * d, m_kv_heads * d, m_kv_heads * d}, -1);
  auto split_heads = [&](const torch::Tensor& t) {
    return t.view({batch, len, t.size(-1) / d, d}).transpose(1, 2);  // (B, heads, L, d)
  };
  auto q = split_heads(qkv[0]);  // (B, H, L, d)
  auto k = split_heads(qkv[1]);  // (B, Hk, L, d)
  const auto v = split_heads(qkv[2]);

  // 1. Compressed attention (no rotary: the intra-block positions place keys within their block).
  torch::Tensor scores;  // (B, H, L, M + nc)
  const auto compressed = nsa::compressed_attention(q, compress(k, k_intrablock_positions, k_compress, 0),
                                                    compress(v, v_intrablock_positions, v_compress, 1), block,
                                                    mem, &scores, want);
  const int64_t blocks = scores.size(3) - mem;

  // Relative positions for the fine and sliding branches.
  q = rotary_emb(q);
  k = rotary_emb(k);

  // 2. Fine attention over the selected blocks; with num_selected_blocks 0 Zoology attends causally to
  // every position instead.
  nsa::BranchResult fine;
  nsa::Selection selection;
  if (m_options.num_selected_blocks() > 0) {
    selection =
        nsa::select_blocks(scores.narrow(3, mem, blocks), m_kv_heads,
                           m_options.query_heads_share_selected_kv(), m_options.num_selected_blocks());
    fine = nsa::selected_block_attention(q, k, v, selection, m_options.selection_block_size(), want);
  } else {
    fine = nsa::causal_attention(q, k, v, want);
  }

  // 3. Sliding window.
  const auto sliding =
      nsa::sliding_window_attention(q, k, v, m_options.sliding_window_size(), m_options.causal(), want);

  // The strategy gate, per head and position: (B, L, 3·H) -> (B, H, L, 3).
  const auto gates = to_strategy_combine->forward(x).view({batch, len, heads, 3}).permute({0, 2, 1, 3});
  const auto mixed = gates.select(3, 0).unsqueeze(-1) * compressed.out +
                     gates.select(3, 1).unsqueeze(-1) * fine.out +
                     gates.select(3, 2).unsqueeze(-1) * sliding.out;  // (B, H, L, d)

  if (want) {
    torch::NoGradGuard no_grad;
    const auto g = gates.detach();  // (B, H, L, 3)
    capture("gates", g);
    capture("compressed_attention", compressed.weights);  // (B, H, L, M + nc): memory slots first
    capture("fine_attention", fine.weights);              // (B, H, L, L)
    capture("sliding_attention", sliding.weights);        // (B, H, L, L)
    // The inspector's mixing view: a compressed token's weight spread evenly over its block's positions
    // (memory slots are no position and are left out), the branches added with their gates, each row
    // renormalised to sum to 1.
    const auto spread = torch::constant_pad_nd(
        compressed.weights.narrow(3, mem, blocks).repeat_interleave(block, 3) / static_cast<double>(block),
        {0, len - blocks * block});  // (B, H, L, L)
    auto combined = g.select(3, 0).unsqueeze(-1) * spread + g.select(3, 1).unsqueeze(-1) * fine.weights +
                    g.select(3, 2).unsqueeze(-1) * sliding.weights;
    capture("attention", combined / combined.sum(-1, /*keepdim=*/true));
    // The blocks each query head attended to finely: (B, H, L, num_selected_blocks), -1 where unused.
    const int64_t wanted = m_options.num_selected_blocks();
    if (wanted > 0) {
      auto chosen = selection.blocks.to(u.dtype()).masked_fill(selection.valid.logical_not(), kNsaNoBlock);
      if (chosen.size(1) != heads) {
        chosen = chosen.repeat_interleave(heads / chosen.size(1), 1);
      }
      capture("selected", torch::constant_pad_nd(chosen, {0, wanted - chosen.size(3)}, kNsaNoBlock));
    }
  }
  return combine_heads(mixed.transpose(1, 2).reshape({batch, len, heads * d}));  // (B, L, D)
}

int64_t NsaImpl::state_size(int64_t seq_len) const {
  const int64_t d_model = m_options.d_model();
  return 2 * (seq_len / m_options.compress_block_size()) * d_model +
         2 * m_options.sliding_window_size() * d_model +
         2 * m_options.selection_block_size() * d_model * m_options.num_selected_blocks();
}

MixerSpec nsa_spec() {
  MixerSpec spec;
  spec.name = "nsa";
  spec.kind = MixerKind::Sequence;
  spec.summary =
      "Native sparse attention (DeepSeek): gated sum of compressed-block, selected-block and sliding-window "
      "attention (Zoology SparseAttention)";
  const NsaOptions defaults(64);
  spec.params = {
      ParamSpec::integer("num_heads")
          .defaults_to(defaults.num_heads())
          .at_least(1)
          .at_most(kMaxWidthKwarg)
          .described("Query heads; head width d_model / num_heads (rounded down, must be even)"),
      ParamSpec::integer("sliding_window_size")
          .defaults_to(defaults.sliding_window_size())
          .at_least(1)
          .at_most(kMaxLengthKwarg)
          .described("Earlier positions the sliding-window branch sees besides the query itself"),
      ParamSpec::integer("compress_block_size")
          .defaults_to(defaults.compress_block_size())
          .at_least(1)
          .at_most(kMaxLengthKwarg)
          .described("Positions compressed into one token by the compression MLPs"),
      ParamSpec::integer("selection_block_size")
          .defaults_to(defaults.selection_block_size())
          .at_least(1)
          .at_most(kMaxLengthKwarg)
          .described("Positions per selectable block; must equal compress_block_size when selecting"),
      ParamSpec::integer("num_selected_blocks")
          .defaults_to(defaults.num_selected_blocks())
          .at_least(0)
          .at_most(kMaxLengthKwarg)
          .described("Blocks each query attends to finely (top by compressed-attention importance), besides "
                     "its own; 0: plain causal attention instead, as Zoology"),
      ParamSpec::integer("kv_heads")
          .at_least(1)
          .at_most(kMaxWidthKwarg)
          .described("Key/value heads (grouped-query attention; must divide num_heads); default: num_heads"),
      ParamSpec::integer("num_compressed_mem_kv")
          .defaults_to(defaults.num_compressed_mem_kv())
          .at_least(1)
          .at_most(kMaxTapsKwarg)
          .described("Learned memory key/value tokens the compressed branch always sees"),
      ParamSpec::boolean("norm").defaults_to(defaults.norm()).described("RMSNorm on the input first"),
      ParamSpec::boolean("query_heads_share_selected_kv")
          .defaults_to(defaults.query_heads_share_selected_kv())
          .described("Query heads of a key/value group select the same blocks (importance averaged over "
                     "the group); false: each query head selects its own"),
      ParamSpec::number("compress_mlp_expand_factor")
          .defaults_to(defaults.compress_mlp_expand_factor())
          .at_least(0)
          .at_most(kMaxExpandKwarg)
          .described(
              "Hidden width of the compression MLPs, as a multiple of compress_block_size · head width"),
      ParamSpec::boolean("causal")
          .defaults_to(defaults.causal())
          .described("Causal sliding window; false reproduces Zoology's default, whose window also reads the "
                     "next sliding_window_size positions (not causal: for parity only)"),
  };
  spec.factory = [](const MixerContext& context, const nlohmann::json& kwargs) -> MixerPtr {
    const auto& kv = kwargs.at("kv_heads");
    return std::make_shared<NsaImpl>(
        NsaOptions(context.d_model)
            .num_heads(kwargs.at("num_heads").get<int64_t>())
            .sliding_window_size(kwargs.at("sliding_window_size").get<int64_t>())
            .compress_block_size(kwargs.at("compress_block_size").get<int64_t>())
            .selection_block_size(kwargs.at("selection_block_size").get<int64_t>())
            .num_selected_blocks(kwargs.at("num_selected_blocks").get<int64_t>())
            .kv_heads(kv.is_null() ? 0 : kv.get<int64_t>())
            .num_compressed_mem_kv(kwargs.at("num_compressed_mem_kv").get<int64_t>())
            .norm(kwargs.at("norm").get<bool>())
            .query_heads_share_selected_kv(kwargs.at("query_heads_share_selected_kv").get<bool>())
            .compress_mlp_expand_factor(kwargs.at("compress_mlp_expand_factor").get<double>())
            .causal(kwargs.at("causal").get<bool>()));
  };
  return spec;
}

}  // namespace zoolab
