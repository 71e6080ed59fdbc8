#include "kernels/rwkv7_recurrence.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "kernels/chunking.h"

namespace zoolab::kernels {

namespace {

// Positions per sub-chunk: the pairwise decays exp(G_i - G_j) are formed (as a (s, s, K) tensor) only
// inside a sub-chunk; across sub-chunks they factor through the sub-chunk boundaries (every factor ≤ 1).
constexpr int64_t kRwkv7SubChunk = 8;  // at most; the largest divisor of the chunk up to 8

std::string rwkv7_shape_of(const torch::Tensor& t) {
  std::string out = "(";
  for (int64_t i = 0; i < t.dim(); ++i) {
    out += (i ? ", " : "") + std::to_string(t.size(i));
  }
  return out + ")";
}

void rwkv7_check_inputs(const torch::Tensor& r, const torch::Tensor& w_log, const torch::Tensor& k,
                        const torch::Tensor& v, const torch::Tensor& a, const torch::Tensor& b) {
  if (r.dim() != 4 || v.dim() != 4) {
    throw std::invalid_argument(
        "rwkv7_recurrence: r and v must be 4-D (B, H, L, K) and (B, H, L, V); got r " + rwkv7_shape_of(r) +
        ", v " + rwkv7_shape_of(v));
  }
  const std::pair<const char*, const torch::Tensor*> keyed[] = {
      {"w_log", &w_log}, {"k", &k}, {"a", &a}, {"b", &b}};
  for (const auto& [name, tensor] : keyed) {
    if (tensor->sizes() != r.sizes()) {
      throw std::invalid_argument(std::string("rwkv7_recurrence: ") + name + " must have r's shape " +
                                  rwkv7_shape_of(r) + "; got " + rwkv7_shape_of(*tensor));
    }
  }
  if (v.size(0) != r.size(0) || v.size(1) != r.size(1) || v.size(2) != r.size(2)) {
    throw std::invalid_argument("rwkv7_recurrence: v " + rwkv7_shape_of(v) + " must share (B, H, L) with r " +
                                rwkv7_shape_of(r));
  }
}

// One intra-chunk score matrix A (B, H, N, C, C), lower triangular, kept as its diagonal sub-chunk blocks
// and the strictly block-lower rest, so that nothing of size (C, C, K) is ever formed.
struct Rwkv7Blocks {
  torch::Tensor diag;   // (B, H, N, n_sub, sub, sub)
  torch::Tensor cross;  // (B, H, N, C, C), zero on and above the diagonal blocks; undefined if n_sub == 1

  // A m for m (B, H, N, C, X).
  torch::Tensor apply(const torch::Tensor& m) const {
    const auto sizes = diag.sizes();
    const int64_t n_sub = sizes[3], sub = sizes[4], x = m.size(-1);
    auto out = torch::matmul(diag, m.reshape({sizes[0], sizes[1], sizes[2], n_sub, sub, x}))
                   .reshape({sizes[0], sizes[1], sizes[2], n_sub * sub, x});
    return cross.defined() ? out + torch::matmul(cross, m) : out;
  }

  // X with (I - A) X = rhs, A strictly lower triangular: forward substitution over sub-chunks, each
  // diagonal block inverted exactly as (I + D)(I + D²)(I + D⁴)… (D nilpotent, D^sub = 0).
  torch::Tensor solve_unit_lower(const torch::Tensor& rhs) const {
    const auto sizes = diag.sizes();
    const int64_t batch = sizes[0], heads = sizes[1], n = sizes[2], n_sub = sizes[3], sub = sizes[4];
    auto inverse = diag + torch::eye(sub, diag.options());
    auto power = diag;
    for (int64_t reach = 2; reach < sub; reach *= 2) {
      power = torch::matmul(power, power);
      inverse = inverse + torch::matmul(inverse, power);
    }
    const auto rhs_blocks = rhs.reshape({batch, heads, n, n_sub, sub, rhs.size(-1)}).unbind(3);
    const auto inverses = inverse.unbind(3);
    std::vector<torch::Tensor> rows;
    if (cross.defined()) {
      rows = cross.reshape({batch, heads, n, n_sub, sub, n_sub * sub}).unbind(3);
    }
    std::vector<torch::Tensor> solved;
    solved.reserve(static_cast<size_t>(n_sub));
    for (int64_t i = 0; i < n_sub; ++i) {
      auto known = rhs_blocks[static_cast<size_t>(i)];
      if (i > 0) {
        known = known +
                torch::matmul(rows[static_cast<size_t>(i)].narrow(-1, 0, i * sub), torch::cat(solved, -2));
      }
      solved.push_back(torch::matmul(inverses[static_cast<size_t>(i)], known));
    }
    return torch::cat(solved, -2);
  }
};

struct Rwkv7Scores {
  Rwkv7Blocks rk, rb, ak, ab;
};

// The intra-chunk scores, with G the log decay summed from the chunk start (G_{-1} = 0):
//   rk[i, j] = Σ_d r_i[d] k_j[d] e^{G_i[d] - G_j[d]} for j ≤ i (rb likewise with b_j): what S_i holds of j;
//   ak[i, j] = Σ_d a_i[d] k_j[d] e^{G_{i-1}[d] - G_j[d]} for j < i (ab likewise): what S_{i-1} a_i reads.
// G is non-increasing, so every kept exponent is ≤ 0. Inside a sub-chunk the pairwise decays are formed
// explicitly, masked before the exponential. Across sub-chunks J < I they factor through P_I (the summed
// decay just before sub-chunk I) and E_J (at the end of sub-chunk J):
//   e^{G_i - G_j} = e^{G_i - P_I} · e^{P_I - E_J} · e^{E_J - G_j},  every factor ≤ 1.
// Nothing divides by a cumulative decay, so strong decays underflow to 0 instead of overflowing.
Rwkv7Scores rwkv7_intra_scores(const torch::Tensor& r, const torch::Tensor& a, const torch::Tensor& k,
                               const torch::Tensor& b, const torch::Tensor& g, const torch::Tensor& g_prev,
                               int64_t sub) {
  const int64_t batch = r.size(0), heads = r.size(1), n = r.size(2), c = r.size(3), kdim = r.size(4);
  const int64_t n_sub = c / sub;
  auto blocks = [&](const torch::Tensor& t) { return t.reshape({batch, heads, n, n_sub, sub, kdim}); };
  const auto rb_ = blocks(r), ab_ = blocks(a), kb_ = blocks(k), bb_ = blocks(b), gb = blocks(g),
             gpb = blocks(g_prev);

  // Inside a sub-chunk. e^{G_{i-1} - G_j} for j < i is row i - 1 of e^{G_i - G_j} (j ≤ i): shifted, not
  // recomputed.
  const auto above =
      torch::ones({sub, sub}, torch::dtype(torch::kBool).device(r.device())).triu(1).unsqueeze(-1);
  auto diff = gb.unsqueeze(-2) - gb.unsqueeze(-3);  // (B, H, N, n_sub, sub_i, sub_j, K)
  const auto decay = diff.masked_fill_(above, -std::numeric_limits<double>::infinity()).exp();
  const auto decay_prev = torch::constant_pad_nd(decay.narrow(-3, 0, sub - 1), {0, 0, 0, 0, 1, 0});
  const auto zr = rb_.unsqueeze(-2) * decay, za = ab_.unsqueeze(-2) * decay_prev;
  const auto yk = kb_.unsqueeze(-3), yb = bb_.unsqueeze(-3);
  Rwkv7Scores s{
      {(zr * yk).sum(-1), {}}, {(zr * yb).sum(-1), {}}, {(za * yk).sum(-1), {}}, {(za * yb).sum(-1), {}}};
  if (n_sub == 1) {
    return s;
  }

  const auto before = gpb.select(-2, 0);    // (B, H, N, n_sub, K): P_I
  const auto end = gb.select(-2, sub - 1);  // (B, H, N, n_sub, K): E_J
  // e^{P_I - E_J}, (.., J, I, 1, K); clamped where J ≥ I (those blocks are masked below).
  const auto between =
      (before.unsqueeze(-2) - end.unsqueeze(-3)).clamp_max(0).exp().transpose(-3, -2).unsqueeze(-2);
  auto left = [&](const torch::Tensor& x,
                  const torch::Tensor& gx) {  // (.., J, C, K): rows i scaled for column block J
    return ((x * (gx - before.unsqueeze(-2)).exp()).unsqueeze(-4) * between)
        .reshape({batch, heads, n, n_sub, c, kdim});
  };
  const auto to_end = (end.unsqueeze(-2) - gb).exp();  // (.., J, sub, K)
  const auto right_k = (kb_ * to_end).transpose(-1, -2),
             right_b = (bb_ * to_end).transpose(-1, -2);  // (.., J, K, sub)
  const auto left_r = left(rb_, gb), left_a = left(ab_, gpb);
  const auto block_of = torch::arange(c, torch::dtype(torch::kLong).device(r.device())).div(sub, "floor");
  const auto not_below = block_of.view({1, c}).ge(block_of.view({c, 1}));  // (C, C): column block ≥ row block
  auto assemble = [&](const torch::Tensor& t) {                            // (.., J, C, sub) -> (.., C, C)
    return t.permute({0, 1, 2, 4, 3, 5}).reshape({batch, heads, n, c, c}).masked_fill(not_below, 0);
  };
  s.rk.cross = assemble(torch::matmul(left_r, right_k));
  s.rb.cross = assemble(torch::matmul(left_r, right_b));
  s.ak.cross = assemble(torch::matmul(left_a, right_k));
  s.ab.cross = assemble(torch::matmul(left_a, right_b));
  return s;
}

}  // namespace

torch::Tensor rwkv7_recurrence(const torch::Tensor& r, const torch::Tensor& w_log, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& a, const torch::Tensor& b,
                               double scale, int64_t chunk_size) {
  rwkv7_check_inputs(r, w_log, k, v, a, b);
  if (chunk_size < 1) {
    throw std::invalid_argument("rwkv7_recurrence: chunk_size " + std::to_string(chunk_size) +
                                " must be at least 1");
  }
  const int64_t batch = r.size(0), heads = r.size(1), len = r.size(2), kdim = r.size(3), vdim = v.size(3);
  if (len == 0) {
    return v.new_zeros({batch, heads, 0, vdim});
  }
  // A sequence shorter than a chunk is one chunk, padded only up to a whole sub-chunk.
  const int64_t c = len < chunk_size
                        ? std::min(chunk_size, (len + kRwkv7SubChunk - 1) / kRwkv7SubChunk * kRwkv7SubChunk)
                        : chunk_size;
  const int64_t n = (len + c - 1) / c;
  int64_t sub = std::min(c, kRwkv7SubChunk);
  while (c % sub != 0) {
    --sub;
  }
  // Padding at the end: zero r, k, v, a, b and log decay 0 (decay 1) leave the earlier outputs unchanged.
  const auto rc = split_into_chunks(r, c) * scale, wc = split_into_chunks(w_log, c),
             kc = split_into_chunks(k, c), vc = split_into_chunks(v, c), ac = split_into_chunks(a, c),
             bc = split_into_chunks(b, c);

  const auto g = wc.cumsum(-2);  // (B, H, N, C, K): G_i, log decay from the chunk start through i
  const auto g_prev = g - wc;    // G_{i-1}
  const auto g_end = g.select(-2, c - 1).unsqueeze(-2);  // (B, H, N, 1, K)

  // Intra-chunk scores (B, H, N, C, C): the output reads S_i (through i), u_i = S_{i-1} a_i reads S_{i-1}.
  const auto scores = rwkv7_intra_scores(rc, ac, kc, bc, g, g_prev, sub);

  // u_i = S_0 (a_i ⊙ e^{G_{i-1}}) + Σ_{j<i} A_ak[i,j] v_j + A_ab[i,j] u_j: a unit lower-triangular system,
  // U = W S_0ᵀ + U0 with W and U0 independent of the chunk's initial state.
  const auto solved = scores.ab.solve_unit_lower(torch::cat({ac * g_prev.exp(), scores.ak.apply(vc)}, -1));
  const auto w_state = solved.narrow(-1, 0, kdim);  // (B, H, N, C, K)
  const auto u0 = solved.narrow(-1, kdim, vdim);    // (B, H, N, C, V)

  // o_i = S_0-part + intra-chunk part: O = O0 + Q S_0ᵀ.
  const auto o0 = scores.rk.apply(vc) + scores.rb.apply(u0);  // (B, H, N, C, V)
  const auto q = rc * g.exp() + scores.rb.apply(w_state);     // (B, H, N, C, K)
  // State at the chunk's end: S_Cᵀ = M S_0ᵀ + H0.
  const auto to_end = (g_end - g).exp();  // (B, H, N, C, K)
  const auto kd = kc * to_end, bd = bc * to_end;
  const auto h0 =
      torch::matmul(kd.transpose(-1, -2), vc) + torch::matmul(bd.transpose(-1, -2), u0);  // (.., K, V)
  const auto m = torch::matmul(bd.transpose(-1, -2), w_state) +
                 torch::diag_embed(g_end.squeeze(-2).exp());  // (B, H, N, K, K)

  // The only sequential part: one K × K transition per chunk.
  std::vector<torch::Tensor> states;  // each (B, H, K, V): Sᵀ at a chunk's start
  states.reserve(static_cast<size_t>(n));
  auto state = r.new_zeros({batch, heads, kdim, vdim});
  for (int64_t i = 0; i < n; ++i) {
    states.push_back(state);
    if (i + 1 < n) {
      state = torch::matmul(m.select(2, i), state) + h0.select(2, i);
    }
  }
  const auto starts = torch::stack(states, 2);   // (B, H, N, K, V)
  const auto o = o0 + torch::matmul(q, starts);  // (B, H, N, C, V)
  return o.reshape({batch, heads, n * c, vdim}).narrow(2, 0, len);
}

torch::Tensor rwkv7_recurrence_reference(const torch::Tensor& r, const torch::Tensor& w_log,
                                         const torch::Tensor& k, const torch::Tensor& v,
                                         const torch::Tensor& a, const torch::Tensor& b, double scale) {
  rwkv7_check_inputs(r, w_log, k, v, a, b);
  const int64_t batch = r.size(0), heads = r.size(1), len = r.size(2), kdim = r.size(3), vdim = v.size(3);
  auto state = r.new_zeros({batch, heads, vdim, kdim});  // S: (B, H, V, K)
  std::vector<torch::Tensor> outputs;
  outputs.reserve(static_cast<size_t>(len));
  for (int64_t t = 0; t < len; ++t) {
    const auto a_t = a.select(2, t), b_t = b.select(2, t), k_t = k.select(2, t), v_t = v.select(2, t);
    const auto s_a = torch::matmul(state, a_t.unsqueeze(-1));  // (B, H, V, 1): S_{t-1} a_t
    state = state * w_log.select(2, t).exp().unsqueeze(-2) + s_a * b_t.unsqueeze(-2) +
            v_t.unsqueeze(-1) * k_t.unsqueeze(-2);
    outputs.push_back(torch::matmul(state, (r.select(2, t) * scale).unsqueeze(-1)).squeeze(-1));  // (B, H, V)
  }
  if (outputs.empty()) {
    return v.new_zeros({batch, heads, 0, vdim});
  }
  return torch::stack(outputs, 2);
}

}  // namespace zoolab::kernels
