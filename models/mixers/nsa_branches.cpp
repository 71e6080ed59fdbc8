#include "models/mixers/nsa_branches.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <torch/torch.h>

namespace zoolab::nsa {

namespace {

// The reference masks scores with -torch.finfo(dtype).max (a finite value, so a fully masked row could
// never turn into NaN); exp of it minus a row maximum is an exact 0.
double nsa_mask_value(torch::ScalarType type) {
  switch (type) {
    case torch::kDouble:
      return std::numeric_limits<double>::lowest();
    case torch::kHalf:
      return static_cast<double>(std::numeric_limits<c10::Half>::lowest());
    case torch::kBFloat16:
      return static_cast<double>(std::numeric_limits<c10::BFloat16>::lowest());
    default:
      return static_cast<double>(std::numeric_limits<float>::lowest());
  }
}

double nsa_scale(int64_t head_dim) {
  return 1.0 / std::sqrt(static_cast<double>(head_dim));
}

torch::TensorOptions nsa_index_options(const torch::Tensor& like) {
  return torch::TensorOptions().dtype(torch::kLong).device(like.device());
}

// Pads dimension 2 of a (B, *, L, d) tensor with zeros up to `padded` positions.
torch::Tensor nsa_pad_positions(const torch::Tensor& x, int64_t padded) {
  return torch::constant_pad_nd(x, {0, 0, 0, padded - x.size(2)});
}

}  // namespace

BranchResult compressed_attention(const torch::Tensor& q, const torch::Tensor& ck, const torch::Tensor& cv,
                                  int64_t block, int64_t num_mem, torch::Tensor* scores, bool want_weights) {
  const int64_t batch = q.size(0), heads = q.size(1), len = q.size(2), dim = q.size(3);
  const int64_t kv_heads = ck.size(1), tokens = ck.size(2), group = heads / kv_heads;
  // Query head h·group + g reads key/value head h (Zoology's 'b (h qh) ...' grouping).
  auto sim = torch::matmul(q.view({batch, kv_heads, group, len, dim}), ck.unsqueeze(2).transpose(-1, -2)) *
             nsa_scale(dim);  // (B, Hk, G, L, T)
  // Last input position of each compressed token: -1 for the memory slots, (j + 1)·block - 1 for block j;
  // query i sees the token when that position is < i.
  const auto index = nsa_index_options(q);
  const auto ends = torch::cat(
      {torch::full({num_mem}, -1, index), (torch::arange(tokens - num_mem, index) + 1) * block - 1});  // (T)
  const auto hidden = ends.unsqueeze(0).ge(torch::arange(len, index).unsqueeze(1));  // (L, T)
  sim = sim.masked_fill(hidden, nsa_mask_value(sim.scalar_type()));
  const auto attn = torch::softmax(sim, -1);  // (B, Hk, G, L, T)
  BranchResult result;
  result.out = torch::matmul(attn, cv.unsqueeze(2)).reshape({batch, heads, len, dim});
  if (scores != nullptr) {
    *scores = sim.reshape({batch, heads, len, tokens});
  }
  if (want_weights) {
    result.weights = attn.detach().reshape({batch, heads, len, tokens});
  }
  return result;
}

Selection select_blocks(const torch::Tensor& block_scores, int64_t kv_heads, bool share_in_group,
                        int64_t num_selected) {
  // The choice is discrete (top-k indices and a mask): no gradient flows through it, as in the reference.
  torch::NoGradGuard no_grad;
  const int64_t batch = block_scores.size(0), heads = block_scores.size(1), len = block_scores.size(2),
                blocks = block_scores.size(3);
  auto importance = block_scores;  // (B, H, L, nc)
  if (share_in_group) {
    importance =
        block_scores.view({batch, kv_heads, heads / kv_heads, len, blocks}).mean(2);  // (B, Hk, L, nc)
  }
  // A -1000 logit in front takes the probability mass of queries that see no complete block yet.
  const auto sink = torch::full({batch, importance.size(1), len, 1}, -1e3, importance.options());
  const auto probs = torch::softmax(torch::cat({sink, importance}, -1), -1).narrow(-1, 1, blocks);
  const auto top = probs.topk(std::min(num_selected, blocks), -1);
  return {std::get<1>(top), std::get<0>(top).gt(1e-10)};
}

namespace {

// FineForm::Masked: the same attention as the gathered form, with scores against all positions.
BranchResult nsa_masked_fine_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                       const Selection& selection, int64_t block, bool want_weights) {
  const int64_t batch = q.size(0), heads = q.size(1), len = q.size(2), dim = q.size(3);
  const int64_t kv_heads = k.size(1), sel_heads = selection.blocks.size(1), group = heads / sel_heads;
  const int64_t num_blocks = (len + block - 1) / block;
  const auto index = nsa_index_options(q);
  // Visible blocks per query: the valid selected ones (distinct, complete, before the query's own block).
  const auto chosen_blocks = torch::zeros({batch, sel_heads, len, num_blocks}, index.dtype(torch::kBool))
                                 .scatter_(-1, selection.blocks, selection.valid);  // (B, Hs, L, nb)
  const auto positions = torch::arange(len, index);
  const auto same_block = torch::div(positions, block, "floor");
  const auto own = same_block.unsqueeze(1)
                       .eq(same_block.unsqueeze(0))
                       .logical_and(positions.unsqueeze(1).ge(
                           positions.unsqueeze(0)));  // (L, L): own block up to the query
  const auto visible = chosen_blocks.unsqueeze(-1)
                           .expand({batch, sel_heads, len, num_blocks, block})
                           .reshape({batch, sel_heads, len, num_blocks * block})
                           .narrow(-1, 0, len)
                           .logical_or(own);  // (B, Hs, L, L)
  auto per_head = [&](const torch::Tensor& x) {
    return sel_heads == kv_heads ? x : x.repeat_interleave(heads / kv_heads, 1);  // (B, Hs, L, d)
  };
  auto sim =
      torch::matmul(q.view({batch, sel_heads, group, len, dim}), per_head(k).unsqueeze(2).transpose(-1, -2)) *
      nsa_scale(dim);  // (B, Hs, G, L, L)
  sim = sim.masked_fill(visible.unsqueeze(2).logical_not(), nsa_mask_value(sim.scalar_type()));
  const auto attn = torch::softmax(sim, -1);
  BranchResult result;
  result.out = torch::matmul(attn, per_head(v).unsqueeze(2)).reshape({batch, heads, len, dim});
  if (want_weights) {
    result.weights = attn.detach().reshape({batch, heads, len, len});
  }
  return result;
}

}  // namespace

BranchResult selected_block_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                      const Selection& selection, int64_t block, bool want_weights,
                                      FineForm form) {
  if (form == FineForm::Auto) {
    const int64_t gathered_keys = (selection.blocks.size(3) + 1) * block;
    form = q.size(2) <= gathered_keys * q.size(3) ? FineForm::Masked : FineForm::Gathered;
  }
  if (form == FineForm::Masked) {
    return nsa_masked_fine_attention(q, k, v, selection, block, want_weights);
  }
  const int64_t batch = q.size(0), heads = q.size(1), len = q.size(2), dim = q.size(3);
  const int64_t kv_heads = k.size(1), sel_heads = selection.blocks.size(1), chosen = selection.blocks.size(3);
  const int64_t slots = chosen + 1;  // the selected blocks, then the query's own block
  const int64_t num_blocks = (len + block - 1) / block, padded = num_blocks * block;
  const int64_t keys = slots * block;
  const auto index = nsa_index_options(q);

  // Keys and values by block, one row per (batch, head, block): (B·Hs·nb, block·d). With per-query-head
  // selection (Hs = H) each key/value head serves its group's query heads. Whole rows are gathered with
  // index_select (its backward adds rows back), far cheaper than an element-wise gather.
  auto by_block = [&](const torch::Tensor& x) {
    auto rows = nsa_pad_positions(x, padded).reshape({batch, kv_heads, num_blocks, block * dim});
    if (sel_heads != kv_heads) {
      rows = rows.repeat_interleave(heads / kv_heads, 1);
    }
    return rows.reshape({batch * sel_heads * num_blocks, block * dim});
  };
  const auto own = torch::div(torch::arange(len, index), block, "floor");  // (L): the query's own block
  const auto blocks = torch::cat(
      {selection.blocks, own.view({1, 1, len, 1}).expand({batch, sel_heads, len, 1})}, -1);  // (B, Hs, L, S)
  const auto first_row =
      (torch::arange(batch * sel_heads, index) * num_blocks).view({batch, sel_heads, 1, 1});
  const auto rows = (blocks + first_row).reshape({-1});  // (B·Hs·L·S)
  const int64_t queries = batch * sel_heads * len;
  const auto fk = by_block(k).index_select(0, rows).view({queries, keys, dim});  // (B·Hs·L, J, d)
  const auto fv = by_block(v).index_select(0, rows).view({queries, keys, dim});  // (B·Hs·L, J, d)

  // Selected blocks count where their importance is positive; the own block up to the query itself.
  const auto offsets = torch::arange(block, index);  // (block)
  const auto own_mask =
      offsets.unsqueeze(0).le(torch::remainder(torch::arange(len, index), block).unsqueeze(1));
  const auto visible =
      torch::cat({selection.valid.unsqueeze(-1).expand({batch, sel_heads, len, chosen, block}),
                  own_mask.view({1, 1, len, 1, block}).expand({batch, sel_heads, len, 1, block})},
                 3)
          .view({queries, 1, keys});  // (B·Hs·L, 1, J)

  // The G query heads of a selection head, per query position: (B, Hs, G, L, d) -> (B·Hs·L, G, d).
  const int64_t group = heads / sel_heads;
  const auto fq =
      q.view({batch, sel_heads, group, len, dim}).permute({0, 1, 3, 2, 4}).reshape({queries, group, dim});
  auto sim = torch::bmm(fq, fk.transpose(1, 2)) * nsa_scale(dim);  // (B·Hs·L, G, J)
  sim = sim.masked_fill(visible.logical_not(), nsa_mask_value(sim.scalar_type()));
  const auto attn = torch::softmax(sim, -1);  // (B·Hs·L, G, J)
  BranchResult result;
  result.out = torch::bmm(attn, fv)
                   .view({batch, sel_heads, len, group, dim})
                   .permute({0, 1, 3, 2, 4})
                   .reshape({batch, heads, len, dim});
  if (want_weights) {
    torch::NoGradGuard no_grad;
    const auto positions = (blocks.unsqueeze(-1) * block + offsets)
                               .view({batch, sel_heads, 1, len, keys})
                               .expand({batch, sel_heads, group, len, keys});  // (B, Hs, G, L, J)
    const auto weights = attn.detach().view({batch, sel_heads, len, group, keys}).permute({0, 1, 3, 2, 4});
    result.weights = torch::zeros({batch, sel_heads, group, len, padded}, attn.options())
                         .scatter_add(-1, positions, weights)
                         .narrow(-1, 0, len)
                         .reshape({batch, heads, len, len});
  }
  return result;
}

BranchResult causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              bool want_weights) {
  const int64_t batch = q.size(0), heads = q.size(1), len = q.size(2), dim = q.size(3);
  const int64_t kv_heads = k.size(1), group = heads / kv_heads;
  auto sim = torch::matmul(q.view({batch, kv_heads, group, len, dim}), k.unsqueeze(2).transpose(-1, -2)) *
             nsa_scale(dim);  // (B, Hk, G, L, L)
  const auto future = torch::ones({len, len}, nsa_index_options(q).dtype(torch::kBool)).triu(1);
  sim = sim.masked_fill(future, nsa_mask_value(sim.scalar_type()));
  const auto attn = torch::softmax(sim, -1);
  BranchResult result;
  result.out = torch::matmul(attn, v.unsqueeze(2)).reshape({batch, heads, len, dim});
  if (want_weights) {
    result.weights = attn.detach().reshape({batch, heads, len, len});
  }
  return result;
}

BranchResult sliding_window_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                      int64_t window, bool causal, bool want_weights) {
  const int64_t batch = q.size(0), heads = q.size(1), len = q.size(2), dim = q.size(3);
  const int64_t kv_heads = k.size(1), group = heads / kv_heads;
  const int64_t windows = (len + window - 1) / window, padded = windows * window;
  const auto index = nsa_index_options(q);

  // Each window with the one before it (and after it, not causal): padding windows hold position -1.
  auto around = [&](const torch::Tensor& x, int64_t dim_of_windows) {
    const int64_t rank = x.dim();
    std::vector<int64_t> before(2 * static_cast<size_t>(rank), 0), after(before);
    // constant_pad_nd lists (low, high) pairs from the last dimension backwards.
    before[2 * static_cast<size_t>(rank - 1 - dim_of_windows)] = 1;
    after[2 * static_cast<size_t>(rank - 1 - dim_of_windows) + 1] = 1;
    std::vector<torch::Tensor> parts = {
        torch::constant_pad_nd(x, before, -1).narrow(dim_of_windows, 0, windows), x};
    if (!causal) {
      parts.push_back(torch::constant_pad_nd(x, after, -1).narrow(dim_of_windows, 1, windows));
    }
    return torch::cat(parts, dim_of_windows + 1);
  };
  const auto qb = nsa_pad_positions(q, padded).view({batch, kv_heads, group, windows, window, dim}) *
                  nsa_scale(dim);  // (B, Hk, G, W, w, d)
  const auto kw = around(nsa_pad_positions(k, padded).view({batch, kv_heads, windows, window, dim}),
                         2);  // (B, Hk, W, K, d)
  const auto vw = around(nsa_pad_positions(v, padded).view({batch, kv_heads, windows, window, dim}),
                         2);                                                    // (B, Hk, W, K, d)
  const auto query_pos = torch::arange(padded, index).view({windows, window});  // (W, w)
  const auto key_pos = around(query_pos, 0).unsqueeze(1);                       // (W, 1, K)
  const auto qp = query_pos.unsqueeze(2);                                       // (W, w, 1)
  // Exact window: keys at most `window` positions away; causal ones not after the query. Zero-padded keys
  // past the end are not -1 positions, so without causality they stay visible, as in the reference.
  auto hidden = key_pos.eq(-1).logical_or(qp.gt(key_pos + window));
  hidden = hidden.logical_or(causal ? key_pos.gt(qp) : (key_pos - window).gt(qp));  // (W, w, K)

  auto sim = torch::matmul(qb, kw.unsqueeze(2).transpose(-1, -2));  // (B, Hk, G, W, w, K)
  sim = sim.masked_fill(hidden, nsa_mask_value(sim.scalar_type()));
  const auto attn = torch::softmax(sim, -1);
  BranchResult result;
  result.out = torch::matmul(attn, vw.unsqueeze(2)).reshape({batch, heads, padded, dim}).narrow(2, 0, len);
  if (want_weights) {
    torch::NoGradGuard no_grad;
    // Padding keys (position -1) go to a spare last column that is cut off.
    const auto columns = torch::where(key_pos.lt(0), torch::full_like(key_pos, padded), key_pos)
                             .view({1, 1, 1, windows, 1, key_pos.size(2)})
                             .expand_as(attn);
    result.weights = torch::zeros({batch, kv_heads, group, windows, window, padded + 1}, attn.options())
                         .scatter_add(-1, columns, attn.detach())
                         .reshape({batch, heads, padded, padded + 1})
                         .narrow(2, 0, len)
                         .narrow(3, 0, len);
  }
  return result;
}

}  // namespace zoolab::nsa
