#include "kernels/gated_linear_attention.h"

#include <limits>
#include <vector>

#include <torch/torch.h>

#include "kernels/chunking.h"

namespace zoolab::kernels {
namespace {

// The paper's secondary chunk (Yang et al. 2024, §4.2; fla's chunk.py uses BC = 16 likewise).
constexpr int64_t kGlaSubChunk = 16;

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

}  // namespace

torch::Tensor gated_linear_attention(const torch::Tensor& q_in, const torch::Tensor& k_in,
                                     const torch::Tensor& v_in, const torch::Tensor& g_in, double scale,
                                     int64_t chunk_size) {
  gla_check_inputs(q_in, k_in, v_in, g_in);
  TORCH_CHECK(chunk_size >= 1 && (chunk_size < kGlaSubChunk || chunk_size % kGlaSubChunk == 0),
              "gated_linear_attention: chunk_size must be below ", kGlaSubChunk, " or a multiple of it, got ",
              chunk_size);
  const int64_t B = q_in.size(0), H = q_in.size(1), L = q_in.size(2), K = q_in.size(3), V = v_in.size(3);
  if (L == 0) {
    return torch::zeros({B, H, 0, V}, v_in.options());
  }
  const int64_t sub = std::min(chunk_size, kGlaSubChunk);
  // A sequence shorter than a chunk is padded only to whole sub-chunks.
  const int64_t chunk = std::min(chunk_size, (L + sub - 1) / sub * sub);
  const int64_t padded = (L + chunk - 1) / chunk * chunk;
  const int64_t N = padded / chunk, n = chunk / sub;

  // Zeros at the end: q = k = v = 0 add nothing, g = 0 is the inert gate (α = 1).
  const auto q = split_into_chunks(q_in, chunk) * scale;
  const auto k = split_into_chunks(k_in, chunk);
  const auto v = split_into_chunks(v_in, chunk);
  // G_i = Σ_{t ≤ i} g_t within the chunk (inclusive): position i has decayed by exp(G_i) since the
  // chunk's start, and key j reaches query i ≥ j with exp(G_i - G_j).
  const auto G = split_into_chunks(g_in, chunk).cumsum(3);  // (B, H, N, C, K)
  const auto G_last = G.select(3, chunk - 1);               // (B, H, N, K)

  // Inter-chunk: each chunk's contribution to the state at its end, k_j ⊙ exp(G_last - G_j) (exponent ≤
  // 0), then the states carried over chunks, S ← diag(exp(G_last)) S + Kᵀ V.
  const auto kv =
      torch::matmul((k * torch::exp(G_last.unsqueeze(3) - G)).transpose(-1, -2), v);  // (B,H,N,K,V)
  const auto chunk_decay = torch::exp(G_last).unsqueeze(-1);                          // (B,H,N,K,1)
  std::vector<torch::Tensor> starts;
  starts.reserve(N);
  auto state = torch::zeros({B, H, K, V}, v.options());
  for (int64_t c = 0; c < N; ++c) {
    starts.push_back(state);
    if (c + 1 < N) {
      state = chunk_decay.select(2, c) * state + kv.select(2, c);
    }
  }
  const auto state_at_start = torch::stack(starts, 2);        // (B, H, N, K, V)
  auto o = torch::matmul(q * torch::exp(G), state_at_start);  // (B, H, N, C, V)

  // Across sub-chunks: for query i in sub-chunk a and key j in an earlier sub-chunk, with R_a = G at
  // the first position of sub-chunk a, exp(G_i - G_j) = exp(G_i - R_a) · exp(R_a - G_j), both ≤ 1.
  // Keys at or after sub-chunk a get exponent -inf (weight 0), so exp never sees a positive exponent.
  const auto Gs = G.view({B, H, N, n, sub, K});
  const auto R = Gs.select(4, 0).unsqueeze(4);                           // (B, H, N, n, 1, K)
  const auto q_rel = q.view({B, H, N, n, sub, K}) * torch::exp(Gs - R);  // (B, H, N, n, c, K)
  const auto key_position =
      torch::arange(chunk, torch::TensorOptions().dtype(torch::kLong).device(q.device()));
  const auto sub_start = torch::arange(n, key_position.options()) * sub;
  const auto later_key =
      (key_position.view({1, chunk}) >= sub_start.view({n, 1})).view({n, chunk, 1});  // (n, C, 1)
  const auto key_exponent =
      (R - G.unsqueeze(3))
          .masked_fill_(later_key, -std::numeric_limits<double>::infinity());  // (B,H,N,n,C,K)
  const auto k_rel = k.unsqueeze(3) * torch::exp(key_exponent);                // (B,H,N,n,C,K)
  const auto across = torch::matmul(q_rel, k_rel.transpose(-1, -2)).view({B, H, N, chunk, chunk});
  o = o + torch::matmul(across, v);

  // Within a sub-chunk: pairwise in log space, A_ij = Σ_k q_ik k_jk exp(G_ik - G_jk) for j ≤ i (the
  // exponent masked to -inf above the diagonal, where it would be positive). The masks are applied in
  // place on the fresh differences: no copy of the largest intermediate, (B, H, L, c, K).
  const auto i_pos = torch::arange(sub, key_position.options());
  const auto above = (i_pos.view({sub, 1}) < i_pos.view({1, sub})).view({sub, sub, 1});  // (c, c, 1): j > i
  const auto pair_exponent =
      (Gs.unsqueeze(5) - Gs.unsqueeze(4))
          .masked_fill_(above, -std::numeric_limits<double>::infinity());  // (…, c, c, K)
  const auto qs = q.view({B, H, N, n, sub, K});
  const auto ks = k.view({B, H, N, n, sub, K});
  const auto within =
      (qs.unsqueeze(5) * ks.unsqueeze(4) * torch::exp(pair_exponent)).sum(-1);  // (…, n, c, c)
  o = o + torch::matmul(within, v.view({B, H, N, n, sub, V})).view({B, H, N, chunk, V});

  o = o.view({B, H, padded, V});
  return padded == L ? o : o.narrow(2, 0, L);
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
