#include "kernels/delta_rule.h"

#include <string>
#include <vector>

#include <torch/torch.h>

#include "kernels/chunking.h"

namespace zoolab::kernels {
namespace {

void delta_rule_check(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                      const torch::Tensor& beta, const torch::Tensor& g) {
  TORCH_CHECK(q.dim() == 4 && k.sizes() == q.sizes(),
              "gated_delta_rule: q and k must both be (B, H, L, K), got ", q.sizes(), " and ", k.sizes());
  TORCH_CHECK(v.dim() == 4 && v.size(0) == q.size(0) && v.size(1) == q.size(1) && v.size(2) == q.size(2),
              "gated_delta_rule: v must be (B, H, L, V) with (B, H, L) = ", q.sizes().slice(0, 3), ", got ",
              v.sizes());
  TORCH_CHECK(beta.sizes() == q.sizes().slice(0, 3),
              "gated_delta_rule: beta must be (B, H, L) = ", q.sizes().slice(0, 3), ", got ", beta.sizes());
  TORCH_CHECK(!g.defined() || g.sizes() == q.sizes().slice(0, 3),
              "gated_delta_rule: g must be (B, H, L) = ", q.sizes().slice(0, 3), " or undefined, got ",
              g.defined() ? g.sizes() : q.sizes().slice(0, 0));
  const auto type = q.scalar_type();
  TORCH_CHECK(k.scalar_type() == type && v.scalar_type() == type && beta.scalar_type() == type &&
                  (!g.defined() || g.scalar_type() == type),
              "gated_delta_rule: q, k, v, beta and g must share a dtype");
  TORCH_CHECK(torch::isFloatingType(type), "gated_delta_rule: expected a floating dtype, got ", type);
}

}  // namespace

torch::Tensor gated_delta_rule(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& beta, const torch::Tensor& g, double scale,
                               int64_t chunk_size) {
  delta_rule_check(q, k, v, beta, g);
  TORCH_CHECK(chunk_size >= 1, "gated_delta_rule: chunk_size must be at least 1, got ", chunk_size);
  const int64_t batch = q.size(0), heads = q.size(1), len = q.size(2), dk = q.size(3), dv = v.size(3);
  if (len == 0) {
    return v * 0;  // keeps the graph to v; nothing to mix
  }
  const int64_t chunk = std::min(chunk_size, len);
  const int64_t chunks = (len + chunk - 1) / chunk;

  const auto qc = split_into_chunks(q, chunk) * scale;           // (B, H, N, C, K)
  const auto kc = split_into_chunks(k, chunk);                   // (B, H, N, C, K)
  const auto vc = split_into_chunks(v, chunk);                   // (B, H, N, C, V)
  const auto bc = split_into_chunks(beta, chunk).unsqueeze(-1);  // (B, H, N, C, 1)
  const auto kt = kc.transpose(-1, -2);                          // (B, H, N, K, C)

  auto kk = torch::matmul(kc * bc, kt);  // (B, H, N, C, C): β_i k_i·k_j
  auto qk = torch::matmul(qc, kt);       // (B, H, N, C, C): scale q_i·k_j
  auto weighted_k = kc * bc;             // (B, H, N, C, K): β_i k_i (times e^{G_i} when gated)
  auto q_in = qc;                        // (B, H, N, C, K): what reads the state entering the chunk
  auto k_out = kc;                       // (B, H, N, C, K): what writes the state leaving it
  torch::Tensor chunk_decay;             // (B, H, N): e^{G_C}, the gate of the whole chunk
  if (g.defined()) {
    // G_i = g_1 + ... + g_i within the chunk. Every factor below is e^{G_i - G_j} with i ≥ j, e^{G_i} or
    // e^{G_C - G_i}: all ≤ 1, so a strong gate underflows to 0 and nothing is divided by a cumulative decay
    // (fla's naive_chunk_gated_delta_rule masks the differences to i ≥ j before exp in the same way).
    const auto cum = split_into_chunks(g, chunk).cumsum(-1);                         // (B, H, N, C)
    const auto gamma = (cum.unsqueeze(-1) - cum.unsqueeze(-2)).tril().exp().tril();  // (B, H, N, C, C)
    kk = kk * gamma;
    qk = qk * gamma;
    const auto last = cum.narrow(-1, chunk - 1, 1);  // (B, H, N, 1)
    weighted_k = weighted_k * cum.exp().unsqueeze(-1);
    q_in = q_in * cum.exp().unsqueeze(-1);
    k_out = k_out * (last - cum).exp().unsqueeze(-1);
    chunk_decay = last.squeeze(-1).exp();
  }

  // The UT transform: T = (I + strictly_lower(diag(β) K Kᵀ ⊙ Γ))⁻¹ applied to β V and to β K e^G at once
  // by one unit lower-triangular solve per chunk: U = T β V (C, V), W = T β K e^G (C, K). Then with S the
  // state entering the chunk, the chunk's corrected values are U - W S.
  const auto system = kk.tril(-1);  // the unit diagonal is implied (unitriangular)
  const auto solved = torch::linalg_solve_triangular(system, torch::cat({vc * bc, weighted_k}, -1),
                                                     /*upper=*/false, /*left=*/true, /*unitriangular=*/true);
  const auto u = solved.narrow(-1, 0, dv);   // (B, H, N, C, V)
  const auto w = solved.narrow(-1, dv, dk);  // (B, H, N, C, K)

  // o = q_in S + tril(Q Kᵀ ⊙ Γ)(U - W S) = (q_in - A W) S + A U, and the state leaving the chunk
  // S' = e^{G_C} S + k_outᵀ (U - W S) = (e^{G_C} I - k_outᵀ W) S + k_outᵀ U: everything that does not
  // depend on S is computed for all chunks at once.
  const auto attn = qk.tril();                         // (B, H, N, C, C)
  const auto q_state = q_in - torch::matmul(attn, w);  // (B, H, N, C, K)
  const auto o_intra = torch::matmul(attn, u);         // (B, H, N, C, V)
  const auto k_out_t = k_out.transpose(-1, -2);        // (B, H, N, K, C)
  const auto eye = torch::eye(dk, q.options());        // (K, K)
  auto transition = -torch::matmul(k_out_t, w);        // (B, H, N, K, K)
  transition =
      chunk_decay.defined() ? transition + chunk_decay.unsqueeze(-1).unsqueeze(-1) * eye : transition + eye;
  const auto update = torch::matmul(k_out_t, u);  // (B, H, N, K, V)

  // The only sequential part: the state entering each chunk, S_0 = 0, S_{n+1} = M_n S_n + R_n.
  std::vector<torch::Tensor> states;
  states.reserve(static_cast<size_t>(chunks));
  auto state = torch::zeros({batch, heads, dk, dv}, v.options());  // (B, H, K, V)
  states.push_back(state);
  for (int64_t n = 0; n + 1 < chunks; ++n) {
    state = torch::matmul(transition.select(2, n), state) + update.select(2, n);
    states.push_back(state);
  }
  const auto entering = torch::stack(states, 2);              // (B, H, N, K, V)
  const auto o = o_intra + torch::matmul(q_state, entering);  // (B, H, N, C, V)
  return o.reshape({batch, heads, chunks * chunk, dv}).narrow(2, 0, len);
}

torch::Tensor gated_delta_rule_weights(const torch::Tensor& q, const torch::Tensor& k,
                                       const torch::Tensor& beta, const torch::Tensor& g, double scale,
                                       int64_t chunk_size) {
  const int64_t len = q.size(2);
  const auto identity =
      torch::eye(len, q.options()).expand({q.size(0), q.size(1), len, len});  // (B, H, L, L)
  return gated_delta_rule(q, k, identity, beta, g, scale, chunk_size);
}

torch::Tensor gated_delta_rule_reference(const torch::Tensor& q, const torch::Tensor& k,
                                         const torch::Tensor& v, const torch::Tensor& beta,
                                         const torch::Tensor& g, double scale) {
  delta_rule_check(q, k, v, beta, g);
  const int64_t len = q.size(2);
  auto state = torch::zeros({q.size(0), q.size(1), q.size(3), v.size(3)}, v.options());  // (B, H, K, V)
  std::vector<torch::Tensor> outputs;
  outputs.reserve(static_cast<size_t>(len));
  for (int64_t t = 0; t < len; ++t) {
    if (g.defined()) {
      state = state * g.select(2, t).exp().unsqueeze(-1).unsqueeze(-1);
    }
    const auto k_t = k.select(2, t);                                               // (B, H, K)
    const auto read = torch::matmul(k_t.unsqueeze(-2), state).squeeze(-2);         // (B, H, V): Sᵀk
    const auto delta = (v.select(2, t) - read) * beta.select(2, t).unsqueeze(-1);  // (B, H, V)
    state = state + k_t.unsqueeze(-1) * delta.unsqueeze(-2);
    outputs.push_back(torch::matmul((q.select(2, t) * scale).unsqueeze(-2), state).squeeze(-2));  // (B, H, V)
  }
  if (len == 0) {
    return v * 0;
  }
  return torch::stack(outputs, 2);  // (B, H, L, V)
}

}  // namespace zoolab::kernels
