#include "kernels/rwkv7_recurrence.h"

#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace zoolab::kernels {

namespace {

// Positions per sub-chunk: the pairwise decays exp(G_i - G_j) are formed (as a (s, s, K) tensor) only
// inside a sub-chunk; across sub-chunks they factor through the sub-chunk boundary (both factors ≤ 1).
constexpr int64_t kRwkv7SubChunk = 16;

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

// A[i, j] = Σ_d x_i[d] y_j[d] exp(gx_i[d] - g_j[d]) for j < i (strict) or j ≤ i, zero above. x, gx, y, g:
// (..., C, K) chunks; the caller guarantees gx_i ≤ g_j wherever the entry is kept (log decays summed
// from the chunk start, non-increasing), so every exponential is ≤ 1. Returns (..., C, C).
torch::Tensor rwkv7_pair_scores(const torch::Tensor& x, const torch::Tensor& gx, const torch::Tensor& y,
                                const torch::Tensor& g, const torch::Tensor& gx_first, bool strict,
                                int64_t sub) {
  const int64_t c = x.size(-2), kdim = x.size(-1), n_sub = c / sub;
  auto lead = x.sizes().vec();
  lead.resize(lead.size() - 2);
  auto blocks = [&](const torch::Tensor& t) {  // (..., n_sub, sub, K)
    auto shape = lead;
    shape.insert(shape.end(), {n_sub, sub, kdim});
    return t.reshape(shape);
  };
  const auto xb = blocks(x), gxb = blocks(gx), yb = blocks(y), gb = blocks(g);

  // Inside a sub-chunk: the pairwise decays, masked to the causal triangle before the exponential.
  const auto keep =
      torch::ones({sub, sub}, torch::dtype(torch::kBool).device(x.device())).tril(strict ? -1 : 0);
  const auto diff = gxb.unsqueeze(-2) - gb.unsqueeze(-3);  // (..., n_sub, sub_i, sub_j, K)
  const auto decay =
      diff.masked_fill(keep.logical_not().unsqueeze(-1), -std::numeric_limits<double>::infinity()).exp();
  const auto diag = (xb.unsqueeze(-2) * yb.unsqueeze(-3) * decay).sum(-1);  // (..., n_sub, sub, sub)
  auto eye_blocks = torch::eye(n_sub, x.options()).view({n_sub, 1, n_sub, 1});
  auto out_shape = lead;
  out_shape.insert(out_shape.end(), {n_sub, sub, n_sub, sub});
  auto scores = (diag.unsqueeze(-2) * eye_blocks).reshape(out_shape);  // block diagonal
  if (n_sub > 1) {
    // Across sub-chunks J < I: exp(gx_i - g_j) = exp(gx_i - P_I) · exp(P_I - g_j), P_I the summed log decay
    // just before sub-chunk I (gx at its first row); both exponents are ≤ 0 where kept (clamped elsewhere).
    const auto p = gx_first.unsqueeze(-2);                                       // (..., n_sub, 1, K)
    const auto xh = xb * (gxb - p).exp();                                        // (..., n_sub, sub, K)
    const auto yh = y.unsqueeze(-3) * (p - g.unsqueeze(-3)).clamp_max(0).exp();  // (..., n_sub, C, K)
    const auto cross = torch::matmul(xh, yh.transpose(-1, -2));                  // (..., n_sub, sub, C)
    const auto col_block = torch::arange(c, torch::dtype(torch::kLong).device(x.device())).div(sub, "floor");
    const auto row_block = torch::arange(n_sub, torch::dtype(torch::kLong).device(x.device()));
    const auto below = col_block.view({1, 1, c}).lt(row_block.view({n_sub, 1, 1}));  // (n_sub, 1, C)
    auto shape = lead;
    shape.insert(shape.end(), {n_sub, sub, n_sub, sub});
    scores = scores + cross.masked_fill(below.logical_not(), 0).reshape(shape);
  }
  auto square = lead;
  square.insert(square.end(), {c, c});
  return scores.reshape(square);
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
  const int64_t c = chunk_size, n = (len + c - 1) / c, pad = n * c - len;
  const int64_t sub = (c > kRwkv7SubChunk && c % kRwkv7SubChunk == 0) ? kRwkv7SubChunk : c;
  // Padding at the end: zero r, k, v, a, b and log decay 0 (decay 1) leave the earlier outputs unchanged.
  auto chunks = [&](const torch::Tensor& t) {  // (B, H, L, X) -> (B, H, N, C, X)
    const auto padded = pad ? torch::constant_pad_nd(t, {0, 0, 0, pad}) : t;
    return padded.reshape({batch, heads, n, c, t.size(3)});
  };
  const auto rc = chunks(r) * scale, wc = chunks(w_log), kc = chunks(k), vc = chunks(v), ac = chunks(a),
             bc = chunks(b);

  const auto g = wc.cumsum(-2);  // (B, H, N, C, K): G_i, log decay from the chunk start through i
  const auto g_prev = g - wc;    // G_{i-1}
  const auto g_end = g.select(-2, c - 1).unsqueeze(-2);  // (B, H, N, 1, K)
  const auto g_prev_first = g_prev.reshape({batch, heads, n, c / sub, sub, kdim}).select(-2, 0);

  // Intra-chunk scores (B, H, N, C, C): the output reads S_i (through i), u_i = S_{i-1} a_i reads S_{i-1}.
  const auto a_rk = rwkv7_pair_scores(rc, g, kc, g, g_prev_first, false, sub);
  const auto a_rb = rwkv7_pair_scores(rc, g, bc, g, g_prev_first, false, sub);
  const auto a_ak = rwkv7_pair_scores(ac, g_prev, kc, g, g_prev_first, true, sub);
  const auto a_ab = rwkv7_pair_scores(ac, g_prev, bc, g, g_prev_first, true, sub);

  // u_i = S_0 (a_i ⊙ e^{G_{i-1}}) + Σ_{j<i} A_ak[i,j] v_j + A_ab[i,j] u_j: a unit lower-triangular system,
  // U = W S_0ᵀ + U0 with W and U0 independent of the chunk's initial state.
  const auto eye = torch::eye(c, r.options());
  const auto rhs = torch::cat({ac * g_prev.exp(), torch::matmul(a_ak, vc)}, -1);  // (B, H, N, C, K + V)
  const auto solved = torch::linalg_solve_triangular(eye - a_ab, rhs, /*upper=*/false, /*left=*/true,
                                                     /*unitriangular=*/true);
  const auto w_state = solved.narrow(-1, 0, kdim);  // (B, H, N, C, K)
  const auto u0 = solved.narrow(-1, kdim, vdim);    // (B, H, N, C, V)

  // o_i = S_0-part + intra-chunk part: O = O0 + Q S_0ᵀ.
  const auto o0 = torch::matmul(a_rk, vc) + torch::matmul(a_rb, u0);  // (B, H, N, C, V)
  const auto q = rc * g.exp() + torch::matmul(a_rb, w_state);         // (B, H, N, C, K)
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
