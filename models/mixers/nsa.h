#pragma once

// Native sparse attention (Yuan et al. 2025, "Native Sparse Attention"), Zoology's `SparseAttention`
// (zoology/mixers/deepseek_nsa.py with deepseek/local_attention.py, after lucidrains'
// native-sparse-attention-pytorch); docs/reference.md#nsa. Per head of width d = d_model / num_heads:
//   x = RMSNorm(u) (if norm);  q, k, v = to_qkv(x) (H query heads, Hk = kv_heads key/value heads)
//   1. compressed: every complete block of compress_block_size keys (values), plus learned
//      intra-block positions, goes through a Linear-ReLU-Linear MLP to one token; queries attend over
//      num_compressed_mem_kv memory tokens and the blocks that ended before them;
//   then q and k get interleaved rotary embeddings (models/mixers/interleaved_rotary.h), and
//   2. selected: the compressed attention's logits rank the blocks; each query attends to the positions
//      of its top num_selected_blocks blocks and, causally, of its own block;
//   3. sliding: each query attends to the last sliding_window_size positions and itself;
//   o = σ(W_g x)_1 ⊙ o_1 + σ(W_g x)_2 ⊙ o_2 + σ(W_g x)_3 ⊙ o_3 per head (the strategy gate),
//   y = combine_heads(o).
// Parameter names match Zoology's state dict: norm.weight, rotary_emb.freqs (not trained), to_qkv,
// compress_mem_kv, k_intrablock_positions, v_intrablock_positions, k_compress.{1,3}, v_compress.{1,3},
// to_strategy_combine.0, combine_heads.

#include <torch/arg.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "models/mixer.h"
#include "models/mixers/interleaved_rotary.h"
#include "models/registry.h"
#include "models/rms_norm.h"

namespace zoolab {

struct NsaOptions {
  explicit NsaOptions(int64_t d_model) : d_model_(d_model) {}
  TORCH_ARG(int64_t, d_model);
  // Zoology's class has no defaults for the next five; these are models_repo.py's add_deepseek_nsa.
  TORCH_ARG(int64_t, num_heads) = 2;
  TORCH_ARG(int64_t, sliding_window_size) = 16;
  TORCH_ARG(int64_t, compress_block_size) = 8;
  TORCH_ARG(int64_t, selection_block_size) = 8;
  TORCH_ARG(int64_t, num_selected_blocks) = 4;
  // 0 stands for Zoology's None: as many as num_heads.
  TORCH_ARG(int64_t, kv_heads) = 0;
  TORCH_ARG(int64_t, num_compressed_mem_kv) = 1;
  TORCH_ARG(bool, norm) = true;
  TORCH_ARG(bool, query_heads_share_selected_kv) = true;
  TORCH_ARG(double, compress_mlp_expand_factor) = 1.0;
  // Zoology forces causality everywhere but in the sliding window, which follows its `causal` argument
  // (default False: the window then also reads the next sliding_window_size positions). Ours defaults
  // to true; false reproduces Zoology's default (non-causal, for parity only).
  TORCH_ARG(bool, causal) = true;
};

class NsaImpl : public MixerImpl {
 public:
  explicit NsaImpl(const NsaOptions& options);

  // u: (B, L, D) -> (B, L, D)
  torch::Tensor forward(const torch::Tensor& u) override;
  // Zoology's own count (SparseAttention.state_size): the key/value caches a decoder keeps, in floats:
  // the compressed tokens 2·⌊L / compress_block_size⌋·D, the sliding window 2·sliding_window_size·D and
  // the selected blocks 2·selection_block_size·num_selected_blocks·D (memory slots and kv_heads < num_heads
  // not counted, as in the reference).
  // Forward writes no member and draws no randomness; no auxiliary loss (engine/train/row_shards.h).
  bool row_shardable() const override { return true; }
  int64_t state_size(int64_t seq_len) const override;

  const NsaOptions& options() const { return m_options; }
  int64_t head_dim() const { return m_head_dim; }
  int64_t kv_heads() const { return m_kv_heads; }

  RMSNorm norm{nullptr};                      // only when options.norm()
  InterleavedRotary rotary_emb{nullptr};      // "rotary_emb.freqs"
  torch::nn::Linear to_qkv{nullptr};          // D -> (H + 2·Hk)·d, no bias
  torch::Tensor compress_mem_kv;              // (2, Hk, M, d): memory keys [0] and values [1]
  torch::Tensor k_intrablock_positions;       // (Hk, compress_block_size, d)
  torch::Tensor v_intrablock_positions;       // (Hk, compress_block_size, d)
  torch::nn::Sequential k_compress{nullptr};  // flatten, Linear(block·d, hidden), ReLU, Linear(hidden, d)
  torch::nn::Sequential v_compress{nullptr};  // same shape
  torch::nn::Sequential to_strategy_combine{nullptr};  // Linear(D, 3·H), sigmoid
  torch::nn::Linear combine_heads{nullptr};            // H·d -> D, no bias

 private:
  // Compressed keys or values: memory slots, then one token per complete block. x: (B, Hk, L, d).
  torch::Tensor compress(const torch::Tensor& x, const torch::Tensor& positions, torch::nn::Sequential mlp,
                         int64_t memory_row);

  NsaOptions m_options;
  int64_t m_head_dim = 0;
  int64_t m_kv_heads = 0;
};
TORCH_MODULE(Nsa);

MixerSpec nsa_spec();

}  // namespace zoolab
