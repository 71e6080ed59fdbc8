#pragma once

// The three attention branches of native sparse attention (Yuan et al. 2025, "Native Sparse Attention"),
// as Zoology's zoology/mixers/deepseek_nsa.py computes them (after lucidrains'
// native-sparse-attention-pytorch), as tensor code: batched products over the whole sequence, per-block
// gathers, no loop over positions. Used by models/mixers/nsa.h (docs/reference.md#nsa).
//
// Layouts: queries (B, H, L, d); keys and values (B, Hk, L, d) with H a multiple of Hk (grouped-query
// attention: query head h reads key/value head h / (H / Hk)). Every branch scales scores by d^-1/2 and
// masks with the dtype's lowest finite value, as the reference.

#include <torch/types.h>

namespace zoolab::nsa {

// A branch's output and, when asked, the weights that produced it (detached, for the inspector).
struct BranchResult {
  torch::Tensor out;      // (B, H, L, d)
  torch::Tensor weights;  // undefined unless asked; layout given per branch
};

// 1. Attention over the compressed tokens: `num_mem` learned memory slots, always visible, then one
// token per complete block of `block` positions, visible to query i once the block has ended before i
// (its last position < i).
//   q: (B, H, L, d); ck, cv: (B, Hk, num_mem + nc, d).
// `scores` receives the masked, scaled logits (B, H, L, num_mem + nc), from which the selection ranks
// blocks. weights: the softmax (B, H, L, num_mem + nc).
BranchResult compressed_attention(const torch::Tensor& q, const torch::Tensor& ck, const torch::Tensor& cv,
                                  int64_t block, int64_t num_mem, torch::Tensor* scores, bool want_weights);

// Which blocks each query attends to finely.
struct Selection {
  torch::Tensor blocks;  // (B, Hs, L, n) long: the top-n blocks by importance
  torch::Tensor valid;   // (B, Hs, L, n) bool: importance > 1e-10 (false for blocks not yet complete)
};

// 2a. Importance of each complete block to each query: the compressed attention's logits over the blocks
// (memory slots left out), averaged over the query heads of a key/value group when `share_in_group`
// (then Hs = Hk, else Hs = H), softmaxed together with a -1000 logit that takes the mass where no block
// is visible yet; the top n = min(num_selected, nc) blocks.
//   block_scores: (B, H, L, nc).
Selection select_blocks(const torch::Tensor& block_scores, int64_t kv_heads, bool share_in_group,
                        int64_t num_selected);

// How the fine branch is computed; both give the same values (tests/models/test_nsa.cpp checks it).
enum class FineForm {
  // Each query's selected blocks gathered into its own key/value rows (the reference's way):
  // memory O(L·J·d) per head for J = (selected + 1)·block keys, but many tiny products.
  Gathered,
  // Scores against every position by one product per head, masked to the selected blocks: memory
  // O(L²) per head, much faster on a CPU while L is at most J·d.
  Masked,
  // Masked while L <= J·d (then its score matrix is no larger than the gathered keys), else Gathered.
  Auto,
};

// 2b. Fine attention of each query over the positions of its selected blocks (where valid) plus, causally,
// its own block up to itself. Blocks are `block` positions; a trailing partial block is padded with masked
// keys. Hs (the selection's heads) is Hk or H.
//   q: (B, H, L, d); k, v: (B, Hk, L, d). weights: (B, H, L, L), zero off the attended positions.
BranchResult selected_block_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                      const Selection& selection, int64_t block, bool want_weights,
                                      FineForm form = FineForm::Auto);

// 2c. Plain causal attention over every earlier position (the reference's fine branch when nothing is
// selected, num_selected_blocks 0). weights: (B, H, L, L).
BranchResult causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              bool want_weights);

// 3. Sliding-window attention as lucidrains' local-attention computes it with exact_windowsize: windows of
// `window` positions, each query looking at its own window and the one before (and, not causal, the one
// after), masked to keys j with i - window <= j <= i (causal: window + 1 keys), or |i - j| <= window
// (not causal: the reference's default, which reads the future; keys past the end padded with zeros are
// then attended too, as in the reference).
//   q: (B, H, L, d); k, v: (B, Hk, L, d). weights: (B, H, L, L).
BranchResult sliding_window_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                      int64_t window, bool causal, bool want_weights);

}  // namespace zoolab::nsa
