#include "kernels/gated_linear_attention.h"

#include <limits>
#include <vector>

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

// Within a sub-chunk, pairwise in log space: E_ijk = exp(G_ik - G_jk) for j < i, 0 on and above the
// diagonal (the exponent is masked to -inf there before exp: above, it would be positive). (…, c, c, K).
// The diagonal (E = 1) is left to the callers: kept apart, its terms cancel exactly in the gate's gradient.
torch::Tensor gla_pair_decay(const torch::Tensor& G) {
  const int64_t c = G.size(-2);
  const auto pos = torch::arange(c, torch::TensorOptions().dtype(torch::kLong).device(G.device()));
  const auto not_below = (pos.view({c, 1}) <= pos.view({1, c})).view({c, c, 1});  // j ≥ i
  return (G.unsqueeze(-2) - G.unsqueeze(-3))
      .masked_fill_(not_below, -std::numeric_limits<double>::infinity())
      .exp_();
}

// The chunked form with a hand-written backward. Notation per chunk of n sub-chunks (a, b) of c positions:
// G the within-chunk inclusive cumulative gate, G_end_b its value at the end of sub-chunk b, G_before_a
// its value just before sub-chunk a (0 for the first; G_before_n is the chunk's end). Every exponent
// below is a difference "later minus earlier" of G, so every factor is a decay ≤ 1 and nothing divides by
// a cumulative decay.
//   U_b = (k_b ⊙ e^{G_end_b - G})ᵀ v_b                         what sub-chunk b adds to the state (K, V)
//   P_a = Σ_{b<a} diag(e^{G_before_a - G_end_b}) U_b            the state entering a from its chunk
//         + diag(e^{G_before_a}) S                               and from earlier chunks (S at the start)
//   S' = diag(e^{G_before_n}) S + Σ_b diag(e^{G_before_n - G_end_b}) U_b     (the one sequential loop)
//   o_i = (q_i ⊙ e^{G_i - G_before_a})ᵀ P_a + Σ_{j ≤ i in a} [Σ_k q_ik k_jk e^{G_ik - G_jk}] v_j.
// The inter-chunk state is thus factorised across sub-chunks (the n × n decays D_ab mix the U_b of a
// chunk in one batched product), and only within a sub-chunk are the weights formed pairwise.
struct GlaChunked : public torch::autograd::Function<GlaChunked> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& q_in,
                               const torch::Tensor& k_in, const torch::Tensor& v_in,
                               const torch::Tensor& g_in, double scale, int64_t chunk_size) {
    const auto s =
        gla_geometry(q_in.size(0), q_in.size(1), q_in.size(2), q_in.size(3), v_in.size(3), chunk_size);
    const int64_t B = s.B, H = s.H, N = s.N, n = s.n, K = s.K, V = s.V;
    const auto q = gla_split(q_in, s).mul(scale);  // (B, H, N, n, c, K)
    const auto k = gla_split(k_in, s);             // (B, H, N, n, c, K)
    const auto v = gla_split(v_in, s);             // (B, H, N, n, c, V)
    const auto G = gla_split(g_in, s).view({B, H, N, s.chunk, K}).cumsum(3).view(q.sizes());  // (…, c, K)

    const auto G_end = G.select(4, s.sub - 1);                                      // (B, H, N, n, K)
    const auto G_before = torch::constant_pad_nd(G_end, {0, 0, 1, 0});              // (B, H, N, n + 1, K)
    const auto before_exp = torch::exp(G_before);                                   // (B, H, N, n + 1, K)
    const auto q_in_decay = torch::exp(G - G_before.narrow(3, 0, n).unsqueeze(4));  // (…, c, K)
    const auto k_out_decay = torch::exp(G_end.unsqueeze(4) - G);                    // (…, c, K)
    const auto q_read = q * q_in_decay;                                             // (…, c, K)
    const auto k_write = k * k_out_decay;                                           // (…, c, K)
    const auto U = torch::matmul(k_write.transpose(-1, -2), v);                     // (B, H, N, n, K, V)

    // D_ab = e^{G_before_a - G_end_b} for b < a, a = 0..n, batched over K as (B, H, N, K, n + 1, n).
    const auto a_idx = torch::arange(n + 1, torch::TensorOptions().dtype(torch::kLong).device(q.device()));
    const auto not_earlier =
        (a_idx.narrow(0, 0, n).view({1, n}) >= a_idx.view({n + 1, 1})).view({n + 1, n, 1});
    const auto D = (G_before.unsqueeze(4) - G_end.unsqueeze(3))
                       .masked_fill_(not_earlier, -std::numeric_limits<double>::infinity())
                       .exp_()
                       .permute({0, 1, 2, 5, 3, 4})
                       .contiguous();  // (B, H, N, K, n + 1, n)
    const auto mixed =
        torch::matmul(D, U.permute({0, 1, 2, 4, 3, 5})).permute({0, 1, 2, 4, 3, 5});  // (…, n+1, K, V)

    // The only sequential part: the state at each chunk's start, S ← diag(e^{G_before_n}) S + mixed_n.
    const auto chunk_decay = before_exp.select(3, n).unsqueeze(-1);  // (B, H, N, K, 1)
    const auto chunk_adds = mixed.select(3, n);                      // (B, H, N, K, V)
    auto S = torch::empty({B, H, N, K, V}, v.options());             // (B, H, N, K, V)
    S.select(2, 0).zero_();
    for (int64_t c = 1; c < N; ++c) {
      S.select(2, c).copy_(
          torch::addcmul(chunk_adds.select(2, c - 1), chunk_decay.select(2, c - 1), S.select(2, c - 1)));
    }
    const auto P =
        before_exp.narrow(3, 0, n).unsqueeze(-1) * S.unsqueeze(3) + mixed.narrow(3, 0, n);  // (…, n, K, V)

    const auto E = gla_pair_decay(G);                               // (B, H, N, n, c, c, K)
    auto A = (E * k.unsqueeze(4) * q.unsqueeze(5)).sum(-1);         // (B, H, N, n, c, c), j < i
    A.diagonal(0, -2, -1).add_((q * k).sum(-1));                    // j = i: q_i · k_i
    const auto o = torch::matmul(q_read, P) + torch::matmul(A, v);  // (B, H, N, n, c, V)

    ctx->saved_data["q"] = q;
    ctx->saved_data["k"] = k;
    ctx->saved_data["v"] = v;
    ctx->saved_data["q_in_decay"] = q_in_decay;
    ctx->saved_data["k_out_decay"] = k_out_decay;
    ctx->saved_data["q_read"] = q_read;
    ctx->saved_data["k_write"] = k_write;
    ctx->saved_data["before_exp"] = before_exp;
    ctx->saved_data["D"] = D;
    ctx->saved_data["P"] = P;
    ctx->saved_data["E"] = E;
    ctx->saved_data["A"] = A;
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["chunk_size"] = chunk_size;
    ctx->saved_data["L"] = s.L;
    return gla_merge(o, s);
  }

  // The same structure run backwards: the state gradients flow from the last chunk to the first (the
  // sequential loop), every other product is batched over chunks and sub-chunks. The gate's gradient
  // needs no pass of its own: o depends on g only through the decays e^{G_i - G_j}, so with G the global
  // cumulative gate, dG_t = q_t ⊙ dq_t - k_t ⊙ dk_t and dg_t = Σ_{s ≥ t} dG_s (fla's chunk GLA backward,
  // fla/ops/gla/chunk.py, chunk_gla_bwd_dqkg).
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto& grad_o = grads[0];
    const auto q = ctx->saved_data["q"].toTensor();
    const auto k = ctx->saved_data["k"].toTensor();
    const auto v = ctx->saved_data["v"].toTensor();
    const auto q_in_decay = ctx->saved_data["q_in_decay"].toTensor();
    const auto k_out_decay = ctx->saved_data["k_out_decay"].toTensor();
    const auto q_read = ctx->saved_data["q_read"].toTensor();
    const auto k_write = ctx->saved_data["k_write"].toTensor();
    const auto before_exp = ctx->saved_data["before_exp"].toTensor();
    const auto D = ctx->saved_data["D"].toTensor();
    const auto P = ctx->saved_data["P"].toTensor();
    const auto E = ctx->saved_data["E"].toTensor();
    const auto A = ctx->saved_data["A"].toTensor();
    const double scale = ctx->saved_data["scale"].toDouble();
    const auto s = gla_geometry(q.size(0), q.size(1), ctx->saved_data["L"].toInt(), q.size(-1), v.size(-1),
                                ctx->saved_data["chunk_size"].toInt());
    const int64_t N = s.N, n = s.n;
    if (!grad_o.defined()) {
      return {torch::Tensor(), torch::Tensor(), torch::Tensor(),
              torch::Tensor(), torch::Tensor(), torch::Tensor()};
    }
    const auto dO = gla_split(grad_o, s);  // (B, H, N, n, c, V)

    // Through the states: dP_a = q_readᵀ dO_a, then to S (through e^{G_before_a}) and to the U_b.
    const auto dP = torch::matmul(q_read.transpose(-1, -2), dO);             // (…, n, K, V)
    auto dq = torch::matmul(dO, P.transpose(-1, -2)).mul_(q_in_decay);       // (…, c, K)
    const auto dS = (before_exp.narrow(3, 0, n).unsqueeze(-1) * dP).sum(3);  // (B, H, N, K, V)
    const auto chunk_decay = before_exp.select(3, n).unsqueeze(-1);          // (B, H, N, K, 1)
    // dS_next[c]: the gradient of the state leaving chunk c, from the last chunk back.
    auto dS_next = torch::empty_like(dS);  // (B, H, N, K, V)
    dS_next.select(2, N - 1).zero_();
    for (int64_t c = N - 2; c >= 0; --c) {
      dS_next.select(2, c).copy_(
          torch::addcmul(dS.select(2, c + 1), chunk_decay.select(2, c + 1), dS_next.select(2, c + 1)));
    }
    // dU_b = Σ_{a > b} D_ab ⊙ dP_a (a = n: the state leaving the chunk), batched over K like the forward.
    const auto d_mixed =
        torch::cat({dP, dS_next.unsqueeze(3)}, 3).permute({0, 1, 2, 4, 3, 5});  // (…, K, n+1, V)
    const auto dU = torch::matmul(D.transpose(-1, -2), d_mixed).permute({0, 1, 2, 4, 3, 5});  // (…, n, K, V)
    auto dk = torch::matmul(v, dU.transpose(-1, -2)).mul_(k_out_decay);                       // (…, c, K)
    auto dv = torch::matmul(k_write, dU);                                                     // (…, c, V)

    // Within a sub-chunk: A_ij = Σ_k q_ik k_jk E_ijk below the diagonal, q_i · k_i on it.
    const auto dA = torch::matmul(dO, v.transpose(-1, -2));  // (…, c, c); E is 0 on and above the diagonal
    dv.add_(torch::matmul(A.transpose(-1, -2), dO));
    const auto W = dA.unsqueeze(-1) * E;  // (…, c, c, K)
    dq.add_((W * k.unsqueeze(4)).sum(5));
    dk.add_((W * q.unsqueeze(5)).sum(4));

    // The gate, before the diagonal joins dq and dk: its terms (dA_ii q_i ⊙ k_i in both) cancel in dG.
    const auto dG = q * dq - k * dk;                             // (B, H, N, n, c, K)
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
