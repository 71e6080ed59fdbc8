#include "kernels/gated_linear_attention.h"

#include <vector>

#include <ATen/Parallel.h>
#include <ATen/ThreadLocalState.h>
#include <torch/torch.h>

#include "kernels/chunking.h"

namespace zoolab::kernels {
namespace {

// The granularity chunk sizes are checked against (the interface: below 16 or a multiple of it).
constexpr int64_t kGlaChunkUnit = 16;
// The secondary chunk (Yang et al. 2024, §4.2; fla's chunk.py uses BC = 16). On CPU 8 is faster: the
// pairwise tensor within a sub-chunk is L · c · K per head, the largest one the kernel makes.
constexpr int64_t kGlaSubChunk = 8;

void gla_check_inputs(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                      const torch::Tensor& g) {
  TORCH_CHECK(q.dim() == 4 && k.sizes() == q.sizes() && g.sizes() == q.sizes(),
              "gated_linear_attention: q, k and g must all be (B, H, L, K), got ", q.sizes(), ", ", k.sizes(),
              " and ", g.sizes());
  TORCH_CHECK(v.dim() == 4 && v.size(0) == q.size(0) && v.size(1) == q.size(1) && v.size(2) == q.size(2),
              "gated_linear_attention: v must be (B, H, L, V) with (B, H, L) = ", q.sizes().slice(0, 3),
              ", got ", v.sizes());
  TORCH_CHECK(q.scalar_type() == k.scalar_type() && q.scalar_type() == v.scalar_type() &&
                  q.scalar_type() == g.scalar_type(),
              "gated_linear_attention: q, k, v and g must share a dtype");
}

// The sizes of one call: N chunks of n sub-chunks of c positions, L padded to N · n · c.
struct GlaGeometry {
  int64_t B = 0, H = 0, L = 0, K = 0, V = 0;
  int64_t chunk = 0, sub = 0, N = 0, n = 0, padded = 0;
};

GlaGeometry gla_geometry(int64_t B, int64_t H, int64_t L, int64_t K, int64_t V, int64_t chunk_size) {
  GlaGeometry s;
  s.B = B;
  s.H = H;
  s.L = L;
  s.K = K;
  s.V = V;
  s.sub = chunk_size % kGlaSubChunk == 0 ? kGlaSubChunk : chunk_size;
  // A sequence shorter than a chunk is padded only to whole sub-chunks.
  s.chunk = std::min(chunk_size, (s.L + s.sub - 1) / s.sub * s.sub);
  s.padded = (s.L + s.chunk - 1) / s.chunk * s.chunk;
  s.N = s.padded / s.chunk;
  s.n = s.chunk / s.sub;
  return s;
}

// (B, H, L, D) -> (B, H, N, n, c, D), zeros appended (inert: no query, key or value, and g = 0 is α = 1).
torch::Tensor gla_split(const torch::Tensor& x, const GlaGeometry& s) {
  return split_into_chunks(x, s.chunk).reshape({s.B, s.H, s.N, s.n, s.sub, x.size(3)}).contiguous();
}

// (B, H, N, n, c, D) -> (B, H, L, D).
torch::Tensor gla_merge(const torch::Tensor& x, const GlaGeometry& s) {
  const auto flat = x.reshape({s.B, s.H, s.padded, x.size(-1)});
  return s.padded == s.L ? flat : flat.narrow(2, 0, s.L).contiguous();
}

// LibTorch 1.13's CPU bmm multiplies the matrices of its batch one after another on one thread, and the
// products here are thousands of small matrices (one per sub-chunk): on CPU the batch is split over the
// intra-op threads. Anywhere else (or nested in a parallel region) it is the plain product.
// a: (…, m, r), b: (…, r, p) with the same batch dimensions -> (…, m, p).
torch::Tensor gla_matmul(const torch::Tensor& a, const torch::Tensor& b) {
  if (!a.device().is_cpu() || at::get_num_threads() < 2 || at::in_parallel_region()) {
    return torch::matmul(a, b);
  }
  const int64_t m = a.size(-2), r = a.size(-1), p = b.size(-1);
  const auto a3 = a.reshape({-1, m, r});  // (batch, m, r)
  const auto b3 = b.reshape({-1, r, p});  // (batch, r, p)
  auto out = torch::empty({a3.size(0), m, p}, a.options());
  const at::ThreadLocalState caller;  // grad and inference mode of the calling thread, for the workers
  at::parallel_for(0, a3.size(0), 1, [&](int64_t begin, int64_t end) {
    const at::ThreadLocalStateGuard same_modes(caller);
    auto part = out.narrow(0, begin, end - begin);
    at::bmm_out(part, a3.narrow(0, begin, end - begin), b3.narrow(0, begin, end - begin));
  });
  auto shape = a.sizes().vec();
  shape.back() = p;
  return out.view(shape);
}

// Within a sub-chunk the pairs (i, j), j < i, are visited by distance d = i - j (1 .. c - 1), each
// distance over the whole sequence at once: position t pairs with t - d, and the pairs that cross a
// sub-chunk boundary (t mod c < d) are computed but never read. The tensors are key-dimension-major,
// (B, H, K, L), so that a weight per pair (B, H, 1, L - d) scales every key dimension with the positions
// innermost and contiguous. The exponent of distance d, D_d(t) = G_t - G_{t-d} = g_t + … + g_{t-d+1}
// (≤ 0, a sum of log gates: in log space, no cumulative decay subtracted), is D_{d-1} plus one gate.
// The diagonal (weight q_i · k_i, decay 1) is kept apart, so that its terms cancel exactly in the gate's
// gradient.

// The values of distance d below the diagonals of the (…, c, c) matrices of all sub-chunks, m (B, H, N,
// n, c, c), from or to the position-major (B, H, L - d) of the pairs (t, t - d), t ≥ d.
void gla_pairs_into(torch::Tensor& m, const torch::Tensor& pair_values, int64_t d) {
  const int64_t c = m.size(-1);
  const auto by_position = torch::constant_pad_nd(pair_values, {d, 0});  // (B, H, L): t
  m.diagonal(-d, -2, -1).copy_(by_position.view(m.sizes().slice(0, 5)).narrow(-1, d, c - d));
}

torch::Tensor gla_pairs_of(const torch::Tensor& m, int64_t d) {
  const int64_t c = m.size(-1);
  auto by_position = torch::zeros(m.sizes().slice(0, 5), m.options());  // (B, H, N, n, c): t
  by_position.narrow(-1, d, c - d).copy_(m.diagonal(-d, -2, -1));
  const auto flat = by_position.view({m.size(0), m.size(1), -1});  // (B, H, L)
  return flat.narrow(-1, d, flat.size(-1) - d);                    // (B, H, L - d), 0 across sub-chunks
}

// The chunked form with a hand-written backward. Notation per chunk of n sub-chunks (a, b) of c positions:
// G the within-chunk inclusive cumulative gate, G_end_a its value at the end of sub-chunk a, G_before_a
// its value just before sub-chunk a (0 for the first; G_before_n is the chunk's end). Every exponent
// below is a difference "later minus earlier" of G, so every factor is a decay ≤ 1 and nothing divides by
// a cumulative decay.
//   U_a = (k_a ⊙ e^{G_end_a - G})ᵀ v_a                  what sub-chunk a adds to the state, (K, V)
//   Z_0 = 0, Z_{a+1} = diag(e^{G_end_a - G_before_a}) Z_a + U_a
//                                                         the state entering a+1 from its own chunk
//   S' = diag(e^{G_before_n}) S + Z_n                     the state at the chunk's start, chunk to chunk
//   P_a = diag(e^{G_before_a}) S + Z_a                    the whole state entering sub-chunk a
//   o_i = (q_i ⊙ e^{G_i - G_before_a})ᵀ P_a + Σ_{j ≤ i in a} [Σ_k q_ik k_jk e^{G_ik - G_jk}] v_j.
// The inter-chunk state is thus factorised across sub-chunks: two short sequential passes of (K, V)
// updates (over the n sub-chunks of every chunk at once, then over the N chunks), every other product is
// batched over all sub-chunks; only within a sub-chunk are the weights formed pairwise.
struct GlaChunked : public torch::autograd::Function<GlaChunked> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& q_in,
                               const torch::Tensor& k_in, const torch::Tensor& v_in,
                               const torch::Tensor& g_in, double scale, int64_t chunk_size) {
    const auto s =
        gla_geometry(q_in.size(0), q_in.size(1), q_in.size(2), q_in.size(3), v_in.size(3), chunk_size);
    const int64_t B = s.B, H = s.H, N = s.N, n = s.n, c = s.sub, K = s.K, V = s.V;
    const auto q = gla_split(q_in * scale, s);                                  // (B, H, N, n, c, K)
    const auto k = gla_split(k_in, s);                                          // (B, H, N, n, c, K)
    const auto v = gla_split(v_in, s);                                          // (B, H, N, n, c, V)
    const auto G = split_into_chunks(g_in, s.chunk).cumsum(3).view(q.sizes());  // (B, H, N, n, c, K)

    const auto G_end = G.select(4, c - 1);                              // (B, H, N, n, K)
    const auto G_before = torch::constant_pad_nd(G_end, {0, 0, 1, 0});  // (B, H, N, n + 1, K)
    const auto Gb = G_before.narrow(3, 0, n);                           // (B, H, N, n, K)
    const auto q_in_decay = torch::exp(G - Gb.unsqueeze(4));            // (…, c, K)
    const auto k_out_decay = torch::exp(G_end.unsqueeze(4) - G);        // (…, c, K)
    const auto k_write = k * k_out_decay;                               // (…, c, K)
    const auto U = gla_matmul(k_write.transpose(-1, -2), v);            // (B, H, N, n, K, V)

    // The two sequential passes.
    const auto sub_decay = torch::exp(G_end - Gb).unsqueeze(-1);  // (B, H, N, n, K, 1)
    auto Z = torch::empty({B, H, N, n + 1, K, V}, v.options());   // (B, H, N, n + 1, K, V)
    Z.select(3, 0).zero_();
    for (int64_t a = 0; a < n; ++a) {
      auto out = Z.select(3, a + 1);
      torch::addcmul_out(out, U.select(3, a), sub_decay.select(3, a), Z.select(3, a));
    }
    const auto chunk_decay = torch::exp(G_before.select(3, n)).unsqueeze(-1);  // (B, H, N, K, 1)
    auto S = torch::empty({B, H, N, K, V}, v.options());                       // (B, H, N, K, V)
    S.select(2, 0).zero_();
    for (int64_t i = 1; i < N; ++i) {
      auto out = S.select(2, i);
      torch::addcmul_out(out, Z.select(2, i - 1).select(2, n), chunk_decay.select(2, i - 1),
                         S.select(2, i - 1));
    }

    // Both terms of o come from one product, [q_read | A] [P ; v], its factors written in place.
    auto QA = torch::empty({B, H, N, n, c, K + c}, q.options());  // (B, H, N, n, c, K + c)
    auto PV = torch::empty({B, H, N, n, K + c, V}, v.options());  // (B, H, N, n, K + c, V)
    auto q_read = QA.narrow(-1, 0, K);                            // q_i ⊙ e^{G_i - G_before_a}
    torch::mul_out(q_read, q, q_in_decay);
    const auto before_decay = torch::exp(Gb).unsqueeze(-1);  // (B, H, N, n, K, 1)
    auto P = PV.narrow(-2, 0, K);
    torch::addcmul_out(P, Z.narrow(3, 0, n), before_decay, S.unsqueeze(3));
    PV.narrow(-2, K, c).copy_(v);

    // Within a sub-chunk, the pairs j < i by distance (above): A_{t, t-d} = Σ_k (q_tk e^{D_d(t)}) k_{t-d,k}.
    const int64_t Lp = s.padded;
    const auto qT = q.view({B, H, Lp, K}).transpose(2, 3).contiguous();  // (B, H, K, L)
    const auto kT = k.view({B, H, Lp, K}).transpose(2, 3).contiguous();  // (B, H, K, L)
    const auto gT = split_into_chunks(g_in, s.chunk).view({B, H, Lp, K}).transpose(2, 3).contiguous();
    auto A = QA.narrow(-1, K, c);  // (B, H, N, n, c, c)
    A.zero_();
    std::vector<torch::Tensor> decays;                     // e^{D_d(t)}: (B, H, K, L - d) for d = 1 .. c - 1
    auto exponent = gT.narrow(3, 1, Lp - 1).contiguous();  // D_1: (B, H, K, L - 1)
    for (int64_t d = 1; d < c; ++d) {
      const int64_t len = Lp - d;
      auto next = d + 1 < c ? exponent.narrow(3, 1, len - 1) + gT.narrow(3, 1, len - 1) : torch::Tensor();
      decays.push_back(exponent.exp_());  // the exponent itself is not needed again
      const auto weights = qT.narrow(3, d, len) * kT.narrow(3, 0, len);  // (B, H, K, L - d)
      gla_pairs_into(A, weights.mul_(decays.back()).sum(2), d);
      exponent = next;
    }
    A.diagonal(0, -2, -1).copy_((q * k).sum(-1));

    const auto o = gla_matmul(QA, PV);  // (B, H, N, n, c, V)

    ctx->saved_data["q"] = q;
    ctx->saved_data["k"] = k;
    ctx->saved_data["v"] = v;
    ctx->saved_data["q_in_decay"] = q_in_decay;
    ctx->saved_data["k_out_decay"] = k_out_decay;
    ctx->saved_data["k_write"] = k_write;
    ctx->saved_data["sub_decay"] = sub_decay;
    ctx->saved_data["chunk_decay"] = chunk_decay;
    ctx->saved_data["before_decay"] = before_decay;
    ctx->saved_data["qT"] = qT;
    ctx->saved_data["kT"] = kT;
    ctx->saved_data["decays"] = decays;
    ctx->saved_data["QA"] = QA;
    ctx->saved_data["PV"] = PV;
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["chunk_size"] = chunk_size;
    ctx->saved_data["L"] = s.L;
    return gla_merge(o, s);
  }

  // The same structure run backwards: the state gradients flow from the last sub-chunk and chunk to the
  // first (the two passes reversed), every other product is batched over sub-chunks. The gate's gradient
  // needs no pass of its own: o depends on g only through the decays e^{G_i - G_j}, so with G the global
  // cumulative gate, dG_t = q_t ⊙ dq_t - k_t ⊙ dk_t and dg_t = Σ_{s ≥ t} dG_s (fla's chunk GLA backward,
  // fla/ops/gla/chunk.py, chunk_gla_bwd_dqkg).
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto& grad_o = grads[0];
    if (!grad_o.defined()) {
      return {torch::Tensor(), torch::Tensor(), torch::Tensor(),
              torch::Tensor(), torch::Tensor(), torch::Tensor()};
    }
    auto saved = [&](const char* name) { return ctx->saved_data[name].toTensor(); };
    const auto q = saved("q"), k = saved("k"), v = saved("v");
    const auto q_in_decay = saved("q_in_decay"), k_out_decay = saved("k_out_decay");
    const auto k_write = saved("k_write"), sub_decay = saved("sub_decay"), chunk_decay = saved("chunk_decay");
    const auto before_decay = saved("before_decay");
    const auto qT = saved("qT"), kT = saved("kT");
    const auto decays = ctx->saved_data["decays"].toTensorVector();
    const auto QA = saved("QA"), PV = saved("PV");
    const double scale = ctx->saved_data["scale"].toDouble();
    const auto s = gla_geometry(q.size(0), q.size(1), ctx->saved_data["L"].toInt(), q.size(-1), v.size(-1),
                                ctx->saved_data["chunk_size"].toInt());
    const int64_t N = s.N, n = s.n, c = s.sub, K = s.K;
    const auto dO = gla_split(grad_o, s);  // (B, H, N, n, c, V)

    const auto dPV = gla_matmul(QA.transpose(-1, -2), dO);  // (…, K + c, V): [dP ; dv through A]
    const auto dQA = gla_matmul(dO, PV.transpose(-1, -2));  // (…, c, K + c): [dq_read | dA]
    const auto dP = dPV.narrow(-2, 0, K);                   // (B, H, N, n, K, V)
    auto dq = dQA.narrow(-1, 0, K) * q_in_decay;            // (…, c, K)
    const auto dA = dQA.narrow(-1, K, c);                   // (…, c, c)

    // The two passes reversed: first over chunks (the state at each chunk's start), then over sub-chunks.
    const auto dS = (before_decay * dP).sum(3);  // (B, H, N, K, V)
    // dU_a is the gradient of Z_{a+1}: the last, Z_n, is the state leaving the chunk.
    auto dU = torch::empty({s.B, s.H, N, n, K, s.V}, v.options());  // (B, H, N, n, K, V)
    dU.select(2, N - 1).select(2, n - 1).zero_();
    for (int64_t i = N - 2; i >= 0; --i) {
      auto out = dU.select(2, i).select(2, n - 1);
      torch::addcmul_out(out, dS.select(2, i + 1), chunk_decay.select(2, i + 1),
                         dU.select(2, i + 1).select(2, n - 1));
    }
    for (int64_t a = n - 1; a >= 1; --a) {
      auto out = dU.select(3, a - 1);
      torch::addcmul_out(out, dP.select(3, a), sub_decay.select(3, a), dU.select(3, a));
    }
    auto dk = gla_matmul(v, dU.transpose(-1, -2)).mul_(k_out_decay);  // (…, c, K)
    auto dv = gla_matmul(k_write, dU).add_(dPV.narrow(-2, K, c));     // (…, c, V)

    // Within a sub-chunk, the pairs by distance, key-dimension-major like the forward.
    const int64_t Lp = s.padded;
    auto dqT = torch::zeros({s.B, s.H, K, Lp}, q.options());  // (B, H, K, L)
    auto dkT = torch::zeros_like(dqT);                        // (B, H, K, L)
    for (int64_t d = 1; d < c; ++d) {
      const int64_t len = Lp - d;
      const auto dA_d = decays[d - 1] * gla_pairs_of(dA, d).unsqueeze(2);  // (B, H, K, L - d)
      dqT.narrow(3, d, len).addcmul_(dA_d, kT.narrow(3, 0, len));
      dkT.narrow(3, 0, len).addcmul_(dA_d, qT.narrow(3, d, len));
    }
    dq.view({s.B, s.H, Lp, K}).add_(dqT.transpose(2, 3));
    dk.view({s.B, s.H, Lp, K}).add_(dkT.transpose(2, 3));

    // The gate, before the diagonal joins dq and dk: its terms (dA_ii q_i ⊙ k_i in both) cancel in dG.
    const auto dG = torch::addcmul(q * dq, k, dk, -1);           // (B, H, N, n, c, K)
    const auto dg = gla_merge(dG, s).flip(2).cumsum(2).flip(2);  // (B, H, L, K)
    const auto dA_diag = dA.diagonal(0, -2, -1).unsqueeze(-1);   // (B, H, N, n, c, 1)
    dq.addcmul_(dA_diag, k).mul_(scale);
    dk.addcmul_(dA_diag, q);
    return {gla_merge(dq, s), gla_merge(dk, s), gla_merge(dv, s), dg, torch::Tensor(), torch::Tensor()};
  }
};
}  // namespace

torch::Tensor gated_linear_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                     const torch::Tensor& g, double scale, int64_t chunk_size) {
  gla_check_inputs(q, k, v, g);
  TORCH_CHECK(chunk_size >= 1 && (chunk_size < kGlaChunkUnit || chunk_size % kGlaChunkUnit == 0),
              "gated_linear_attention: chunk_size must be below ", kGlaChunkUnit,
              " or a multiple of it, got ", chunk_size);
  if (q.size(2) == 0) {
    return torch::zeros({q.size(0), q.size(1), 0, v.size(3)}, v.options());
  }
  return GlaChunked::apply(q, k, v, g, scale, chunk_size);
}

torch::Tensor gated_linear_attention_reference(const torch::Tensor& q, const torch::Tensor& k,
                                               const torch::Tensor& v, const torch::Tensor& g, double scale) {
  gla_check_inputs(q, k, v, g);
  const int64_t B = q.size(0), H = q.size(1), L = q.size(2), K = q.size(3), V = v.size(3);
  auto state = torch::zeros({B, H, K, V}, v.options());  // S: (B, H, K, V)
  const auto alpha = torch::exp(g);                      // (B, H, L, K)
  std::vector<torch::Tensor> outputs;
  outputs.reserve(L);
  for (int64_t t = 0; t < L; ++t) {
    const auto k_t = k.select(2, t).unsqueeze(-1);  // (B, H, K, 1)
    const auto v_t = v.select(2, t).unsqueeze(-2);  // (B, H, 1, V)
    state = alpha.select(2, t).unsqueeze(-1) * state + k_t * v_t;
    outputs.push_back(torch::matmul((q.select(2, t) * scale).unsqueeze(-2), state).squeeze(-2));  // (B, H, V)
  }
  if (outputs.empty()) {
    return torch::zeros({B, H, 0, V}, v.options());
  }
  return torch::stack(outputs, 2);  // (B, H, L, V)
}

}  // namespace zoolab::kernels
