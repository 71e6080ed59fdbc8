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

// The sub-chunked form, differentiated by autograd: for decays too strong for the one-chunk reference
// point of Rwkv7Chunk (rwkv7_recurrence picks). Every factor it forms is ≤ 1 whatever the decay.
torch::Tensor rwkv7_subchunked(const torch::Tensor& r, const torch::Tensor& w_log, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& a, const torch::Tensor& b,
                               double scale, int64_t chunk_size) {
  const int64_t batch = r.size(0), heads = r.size(1), len = r.size(2), kdim = r.size(3), vdim = v.size(3);
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
  // unbind: one stacked gradient, where select()'s would each be the size of m (O(N²) work).
  const auto m_n = m.unbind(2), h0_n = h0.unbind(2);
  for (int64_t i = 0; i < n; ++i) {
    states.push_back(state);
    if (i + 1 < n) {
      state = torch::matmul(m_n[static_cast<size_t>(i)], state) + h0_n[static_cast<size_t>(i)];
    }
  }
  const auto starts = torch::stack(states, 2);   // (B, H, N, K, V)
  const auto o = o0 + torch::matmul(q, starts);  // (B, H, N, C, V)
  return o.reshape({batch, heads, n * c, vdim}).narrow(2, 0, len);
}

// (I - N)⁻¹ for N (..., C, C) strictly lower triangular, by blocks of 16: each diagonal block's inverse
// exactly as (I + D)(I + D²)(I + D⁴)(I + D⁸) (D nilpotent, D^16 = 0), then block row by block row,
// T[I, :I] = T[I, I] N[I, :I] T[:I, :I]. Batched products only (no per-matrix triangular solves).
torch::Tensor rwkv7_unit_lower_inverse(const torch::Tensor& strict) {
  constexpr int64_t kBlock = 16;
  const int64_t c = strict.size(-1), blocks = (c + kBlock - 1) / kBlock, padded = blocks * kBlock;
  const auto lead = strict.sizes().slice(0, strict.dim() - 2);
  const auto n = padded > c ? torch::constant_pad_nd(strict, {0, padded - c, 0, padded - c}) : strict;
  std::vector<int64_t> block_shape(lead.begin(), lead.end());
  block_shape.insert(block_shape.end(), {blocks, kBlock, padded});
  const auto rows = n.reshape(block_shape);  // (..., blocks, 16, Cp): block rows
  const auto diag = torch::stack(
      [&] {
        std::vector<torch::Tensor> d;
        for (int64_t i = 0; i < blocks; ++i) {
          d.push_back(rows.select(-3, i).narrow(-1, i * kBlock, kBlock));
        }
        return d;
      }(),
      -3);  // (..., blocks, 16, 16)
  auto inverse = diag + torch::eye(kBlock, strict.options());
  auto power = diag;
  for (int64_t reach = 2; reach < kBlock; reach *= 2) {
    power = chunk_matmul(power, power);
    inverse = inverse + chunk_matmul(inverse, power);
  }
  auto done = inverse.select(-3, 0);  // (..., 16 I, 16 I): T[:I, :I]
  for (int64_t i = 1; i < blocks; ++i) {
    const auto t_ii = inverse.select(-3, i);
    const auto below = chunk_matmul(t_ii, chunk_matmul(rows.select(-3, i).narrow(-1, 0, i * kBlock), done));
    done = torch::cat({torch::constant_pad_nd(done, {0, kBlock}), torch::cat({below, t_ii}, -1)}, -2);
  }
  return done.narrow(-2, 0, c).narrow(-1, 0, c);
}

// The entries of the (2C, 2C) score blocks [[rk, rb], [ak, ab]] that are not kept (bool): the output
// rows read positions j ≤ i (what S_i holds; j < i with `strict`), the u rows j < i (what S_{i-1}
// holds). Filled with 0 rather than multiplied by a 0/1 mask: a dropped product e^{G_i - G_j} with
// j > i may be large, and must not turn into inf · 0.
torch::Tensor rwkv7_score_dropped(int64_t c, const torch::Device& device, bool strict = false) {
  const auto pos = torch::arange(c, torch::dtype(torch::kLong).device(device));
  const auto from = pos.view({c, 1}).le(pos.view({1, c}));  // j ≥ i
  const auto after = strict ? from : pos.view({c, 1}).lt(pos.view({1, c}));
  return torch::cat({torch::cat({after, after}, 1), torch::cat({from, from}, 1)}, 0);
}

// The largest spread of the log decay summed from a chunk start (the start's 0 included) over every
// chunk and key channel: how far apart two e^{G} inside one chunk can be.
double rwkv7_decay_spread(const torch::Tensor& g) {
  torch::NoGradGuard no_grad;
  const auto hi = g.amax(-2).clamp_min(0), lo = g.amin(-2).clamp_max(0);
  return (hi - lo).max().item<double>();
}

// The spread up to which Rwkv7Chunk's factors e^{±(G - ref)} (at most e^{spread/2}) and the masked-away
// products (at most e^{spread}) stay finite with room for the inputs' magnitudes.
double rwkv7_max_spread(torch::ScalarType type) {
  return type == torch::kDouble ? 600.0 : (type == torch::kFloat || type == torch::kBFloat16) ? 60.0 : 16.0;
}

// The chunked recurrence with a hand-written backward (fla's DPLR chunk algorithm,
// fla/ops/generalized_delta_rule/dplr/chunk.py, on the transposed state h = Sᵀ: K × V). Per chunk, with
// G the log decay summed from the chunk start, Gp = G - w (through i - 1), D = e^{G_C} and h the state
// entering the chunk:
//   scores      A_xy[i, j] = Σ_d x_i[d] y_j[d] e^{Gx_i[d] - G_j[d]}  (x ∈ {r, a}, y ∈ {k, b}; Gx = G for r,
//               Gp for a; j ≤ i for r, j < i for a), all four from one product X Yᵀ with X = [r; a] ⊙
//               e^{Gx - ref}, Y = [k; b] ⊙ e^{ref - G}, ref the mid-point of the chunk's G (per channel)
//   u = Sa      (I - A_ab) U = A_ak V + (a ⊙ e^{Gp}) h, i.e. U = U0 + W h with [W | U0] from one unit
//               lower-triangular inverse (rwkv7_unit_lower_inverse)
//   output      O = (r ⊙ e^G) h + A_rk V + A_rb U
//   next state  h' = D h + (k ⊙ e^{G_C - G})ᵀ V + (b ⊙ e^{G_C - G})ᵀ U.
// Only h is sequential (one chunk after another: U = U0 + W h, h' = …); the backward runs the same
// chain in reverse for dh and forms every other gradient with batched products. The single reference
// point needs the decay's spread inside a chunk to fit the dtype (rwkv7_max_spread); the caller checks.
// Inputs chunked (B, H, N, C, ·), r already scaled; returns o (B, H, N, C, V).
class Rwkv7Chunk : public torch::autograd::Function<Rwkv7Chunk> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& rc,
                               const torch::Tensor& wc, const torch::Tensor& kc, const torch::Tensor& vc,
                               const torch::Tensor& ac, const torch::Tensor& bc) {
    const int64_t batch = rc.size(0), heads = rc.size(1), n = rc.size(2), c = rc.size(3), kdim = rc.size(4),
                  vdim = vc.size(4);
    const auto f = factors(wc);
    const auto x = torch::cat({rc * f.to_ref_g, ac * f.to_ref_gp}, -2);  // (B, H, N, 2C, K)
    const auto y = torch::cat({kc * f.from_ref, bc * f.from_ref}, -2);   // (B, H, N, 2C, K)
    const auto scores = chunk_matmul(x, y.transpose(-1, -2))
                            .masked_fill(rwkv7_score_dropped(c, rc.device()), 0);  // (.., 2C, 2C)
    const auto a_rk = scores.narrow(-2, 0, c).narrow(-1, 0, c),
               a_rb = scores.narrow(-2, 0, c).narrow(-1, c, c);
    const auto a_ak = scores.narrow(-2, c, c).narrow(-1, 0, c);
    // (I - A_ab)⁻¹ (B, H, N, C, C), kept for the backward's transposed solve.
    const auto inverse = rwkv7_unit_lower_inverse(scores.narrow(-2, c, c).narrow(-1, c, c));
    const auto solved = chunk_matmul(inverse, torch::cat({ac * f.gp.exp(), chunk_matmul(a_ak, vc)}, -1));
    const auto w_state = solved.narrow(-1, 0, kdim);                      // (B, H, N, C, K)
    const auto u0 = solved.narrow(-1, kdim, vdim);                        // (B, H, N, C, V)
    const auto kv = chunk_matmul((kc * f.to_end).transpose(-1, -2), vc);  // (B, H, N, K, V)
    const auto b_end_t = (bc * f.to_end).transpose(-1, -2);               // (B, H, N, K, C)

    // The only sequential part: h (B, H, K, V) from chunk to chunk.
    std::vector<torch::Tensor> states, us;
    states.reserve(static_cast<size_t>(n));
    us.reserve(static_cast<size_t>(n));
    const auto w_n = w_state.unbind(2), u0_n = u0.unbind(2), kv_n = kv.unbind(2), b_n = b_end_t.unbind(2),
               d_n = f.decay.unbind(2);
    auto h = rc.new_zeros({batch, heads, kdim, vdim});
    for (int64_t i = 0; i < n; ++i) {
      const auto at = static_cast<size_t>(i);
      states.push_back(h);
      us.push_back(u0_n[at] + chunk_matmul(w_n[at], h));  // (B, H, C, V)
      if (i + 1 < n) {
        h = torch::addcmul(kv_n[at], d_n[at], h) + chunk_matmul(b_n[at], us.back());
      }
    }
    const auto hs = torch::stack(states, 2);  // (B, H, N, K, V)
    const auto u = torch::stack(us, 2);       // (B, H, N, C, V)
    const auto o = chunk_matmul(rc * f.g.exp(), hs) + chunk_matmul(a_rk, vc) + chunk_matmul(a_rb, u);
    ctx->save_for_backward({rc, wc, kc, vc, ac, bc, x, y, scores, w_state, hs, u, inverse});
    return o;  // (B, H, N, C, V)
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &rc = saved[0], &wc = saved[1], &kc = saved[2], &vc = saved[3], &ac = saved[4], &bc = saved[5];
    const auto &x = saved[6], &y = saved[7], &scores = saved[8], &w_state = saved[9], &hs = saved[10],
               &u = saved[11], &inverse = saved[12];
    const int64_t n = rc.size(2), c = rc.size(3);
    const auto d_o = grads[0].contiguous();  // (B, H, N, C, V)
    const auto f = factors(wc);
    const auto e_g = f.g.exp(), e_gp = f.gp.exp();
    const auto r_in = rc * e_g, a_in = ac * e_gp;             // (.., C, K): what reads h
    const auto k_out = kc * f.to_end, b_out = bc * f.to_end;  // (.., C, K): what writes h'
    const auto a_rb_t = scores.narrow(-2, 0, c).narrow(-1, c, c).transpose(-1, -2);
    const auto p = chunk_matmul(a_rb_t, d_o);                  // (.., C, V): dU from the output
    const auto q = chunk_matmul(r_in.transpose(-1, -2), d_o);  // (.., K, V): dh from the output

    // dh in reverse, chunk by chunk: dh = Q + Wᵀ (P + B_out dh') + D dh'. next[i] is dh' of chunk i.
    std::vector<torch::Tensor> next(static_cast<size_t>(n));
    const auto p_n = p.unbind(2), q_n = q.unbind(2), w_n = w_state.unbind(2), b_n = b_out.unbind(2),
               d_n = f.decay.unbind(2);
    auto dh = torch::zeros_like(hs.select(2, 0));  // (B, H, K, V)
    for (int64_t i = n - 1; i >= 0; --i) {
      const auto at = static_cast<size_t>(i);
      next[at] = dh;
      if (i > 0) {
        dh = q_n[at] + chunk_matmul(w_n[at].transpose(-1, -2), p_n[at] + chunk_matmul(b_n[at], dh)) +
             d_n[at] * dh;
      }
    }
    const auto dh_next = torch::stack(next, 2);         // (B, H, N, K, V)
    const auto d_u = p + chunk_matmul(b_out, dh_next);  // (.., C, V)
    // U = (I - A_ab)⁻¹ Y_u: its right side's gradient solves the transposed (upper) system.
    const auto d_yu = chunk_matmul(inverse.transpose(-1, -2), d_u);  // (.., C, V)
    const auto d_rows = torch::cat({d_o, d_yu}, -2);                 // (.., 2C, V): output rows, then u rows
    const auto vu = torch::cat({vc, u}, -2);  // (.., 2C, V): what the k and b columns carry
    const auto d_scores =
        chunk_matmul(d_rows, vu.transpose(-1, -2)).masked_fill(rwkv7_score_dropped(c, rc.device()), 0);
    const auto d_xy_in = chunk_matmul(d_rows, hs.transpose(-1, -2));    // (.., 2C, K): d(r e^G), d(a e^Gp)
    const auto d_xy_out = chunk_matmul(vu, dh_next.transpose(-1, -2));  // (.., 2C, K): d k_out, d b_out
    // The scores' own diagonal (rk and rb at j = i) has no decay: it reaches r, k and b directly, and
    // the decay gradients come from the strictly lower part only (so that a decay nothing depends on,
    // as at L = 1, gets exactly 0, not a rounding residue of +t - t).
    const auto d_diag_rk =
        torch::diagonal(d_scores.narrow(-2, 0, c).narrow(-1, 0, c), 0, -2, -1).unsqueeze(-1);
    const auto d_diag_rb =
        torch::diagonal(d_scores.narrow(-2, 0, c).narrow(-1, c, c), 0, -2, -1).unsqueeze(-1);
    const auto d_strict =
        d_scores.masked_fill(rwkv7_score_dropped(c, rc.device(), /*strict=*/true), 0);  // (.., 2C, 2C)
    const auto d_x = chunk_matmul(d_strict, y), d_y = chunk_matmul(d_strict.transpose(-1, -2), x);
    const auto d_v = chunk_matmul(scores.narrow(-1, 0, c).transpose(-1, -2), d_rows) +
                     chunk_matmul(k_out, dh_next);  // (.., C, V)
    auto top = [c](const torch::Tensor& t) { return t.narrow(-2, 0, c); };
    auto bottom = [c](const torch::Tensor& t) { return t.narrow(-2, c, c); };
    const auto d_r = top(d_x) * f.to_ref_g + top(d_xy_in) * e_g + d_diag_rk * kc + d_diag_rb * bc;
    const auto d_a = bottom(d_x) * f.to_ref_gp + bottom(d_xy_in) * e_gp;
    const auto d_k = top(d_y) * f.from_ref + top(d_xy_out) * f.to_end + d_diag_rk * rc;
    const auto d_b = bottom(d_y) * f.from_ref + bottom(d_xy_out) * f.to_end + d_diag_rb * rc;
    // Log-decay gradients: each factor e^{±G…} passes (its gradient ⊙ itself) to its exponent; ref is a
    // constant (the scores do not depend on it). The end factors e^{G_C - G_j} move G_C up and G_j down by
    // the same amount; at j = C - 1 the two cancel exactly, so that row is left out.
    const auto d_end_terms = torch::constant_pad_nd(
        (top(d_xy_out) * k_out + bottom(d_xy_out) * b_out).narrow(-2, 0, c - 1), {0, 0, 0, 1});  // (.., C, K)
    const auto d_gp = bottom(d_x) * bottom(x) + bottom(d_xy_in) * a_in;                          // (.., C, K)
    auto d_g = top(d_x) * top(x) + top(d_xy_in) * r_in - top(d_y) * top(y) - bottom(d_y) * bottom(y) -
               d_end_terms + d_gp;
    // G_C: the end factors and the chunk decay D.
    d_g.select(-2, c - 1).add_(d_end_terms.sum(-2) + (dh_next * hs).sum(-1) * f.decay.squeeze(-1));
    // G = cumsum(w) (reverse cumsum back), Gp = G - w.
    const auto d_w = d_g.flip(-2).cumsum(-2).flip(-2) - d_gp;
    return {d_r, d_w, d_k, d_v, d_a, d_b};
  }

 private:
  struct Factors {
    torch::Tensor g, gp;                          // (B, H, N, C, K): G, Gp
    torch::Tensor to_ref_g, to_ref_gp, from_ref;  // e^{G - ref}, e^{Gp - ref}, e^{ref - G}
    torch::Tensor to_end;                         // e^{G_C - G}
    torch::Tensor decay;                          // (B, H, N, K, 1): e^{G_C}
  };

  static Factors factors(const torch::Tensor& wc) {
    Factors f;
    f.g = wc.cumsum(-2);
    f.gp = f.g - wc;
    const auto end = f.g.narrow(-2, wc.size(-2) - 1, 1);  // (B, H, N, 1, K)
    const auto ref = 0.5 * (f.g.amax(-2, true).clamp_min(0) + f.g.amin(-2, true).clamp_max(0));
    f.to_ref_g = (f.g - ref).exp();
    f.to_ref_gp = (f.gp - ref).exp();
    f.from_ref = (ref - f.g).exp();
    f.to_end = (end - f.g).exp();
    f.decay = end.transpose(-1, -2).exp();
    return f;
  }
};
}  // namespace

torch::Tensor rwkv7_recurrence(const torch::Tensor& r, const torch::Tensor& w_log, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& a, const torch::Tensor& b,
                               double scale, int64_t chunk_size) {
  rwkv7_check_inputs(r, w_log, k, v, a, b);
  if (chunk_size < 1) {
    throw std::invalid_argument("rwkv7_recurrence: chunk_size " + std::to_string(chunk_size) +
                                " must be at least 1");
  }
  const int64_t batch = r.size(0), heads = r.size(1), len = r.size(2), vdim = v.size(3);
  if (len == 0) {
    return v.new_zeros({batch, heads, 0, vdim});
  }
  const int64_t c = std::min(chunk_size, len), n = (len + c - 1) / c;
  // Padding at the end: zero r, k, v, a, b and log decay 0 (decay 1) leave the earlier outputs unchanged.
  const auto wc = split_into_chunks(w_log, c);  // (B, H, N, C, K)
  if (rwkv7_decay_spread(wc.cumsum(-2)) > rwkv7_max_spread(r.scalar_type())) {
    return rwkv7_subchunked(r, w_log, k, v, a, b, scale, chunk_size);
  }
  const auto o = Rwkv7Chunk::apply(split_into_chunks(r, c) * scale, wc, split_into_chunks(k, c),
                                   split_into_chunks(v, c), split_into_chunks(a, c), split_into_chunks(b, c));
  return o.reshape({batch, heads, n * c, vdim}).narrow(2, 0, len);  // (B, H, L, V)
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
