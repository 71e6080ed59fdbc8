#include "kernels/causal_linear_attention.h"

#include <vector>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "kernels/chunking.h"

namespace zoolab::kernels {
namespace {

// Sizes of one call: rows = B·H independent sequences of length L, E features, D = hd value channels.
struct Dims {
  int64_t rows, len, features, channels;
};

// Forward of every row: S += k_i v_iᵀ, z += k_i, then y_i = q_i S / (q_i·z + eps). The state row S[e]
// is updated and read in the same pass, so each step walks the (E, D) state once.
template <typename scalar_t>
void forward_rows(const scalar_t* q, const scalar_t* k, const scalar_t* v, scalar_t* y, scalar_t* den,
                  const Dims& dims, double eps) {
  const int64_t L = dims.len, E = dims.features, D = dims.channels;
  at::parallel_for(0, dims.rows, 1, [&](int64_t begin, int64_t end) {
    std::vector<scalar_t> state(E * D), key_sum(E);  // (E, D), (E,)
    for (int64_t row = begin; row < end; ++row) {
      std::fill(state.begin(), state.end(), scalar_t(0));
      std::fill(key_sum.begin(), key_sum.end(), scalar_t(0));
      const scalar_t* q_row = q + row * L * E;
      const scalar_t* k_row = k + row * L * E;
      const scalar_t* v_row = v + row * L * D;
      scalar_t* y_row = y + row * L * D;
      for (int64_t i = 0; i < L; ++i) {
        const scalar_t* q_i = q_row + i * E;
        const scalar_t* k_i = k_row + i * E;
        const scalar_t* v_i = v_row + i * D;
        scalar_t* y_i = y_row + i * D;
        std::fill(y_i, y_i + D, scalar_t(0));
        scalar_t dot = 0;
        for (int64_t e = 0; e < E; ++e) {
          scalar_t* s = state.data() + e * D;
          const scalar_t k_e = k_i[e], q_e = q_i[e];
          key_sum[e] += k_e;
          dot += q_e * key_sum[e];
          for (int64_t d = 0; d < D; ++d) {
            s[d] += k_e * v_i[d];
            y_i[d] += q_e * s[d];
          }
        }
        const scalar_t normaliser = dot + static_cast<scalar_t>(eps);
        den[row * L + i] = normaliser;
        for (int64_t d = 0; d < D; ++d) {
          y_i[d] /= normaliser;
        }
      }
    }
  });
}

// Backward of every row. With n_i = q_i S_i and den_i = q_i·z_i + eps (y_i = n_i / den_i):
//   g_n_i = gy_i / den_i,  g_den_i = -(gy_i·y_i) / den_i + gden_i (the normaliser's own gradient)
//   dq_i = S_i g_n_i + z_i g_den_i                       (forward sweep, S and z rebuilt)
//   dk_j = R_j v_j + r_j,  dv_j = R_jᵀ k_j               (reverse sweep)
// with R_j = Σ_{i≥j} q_i g_n_iᵀ (E, D) and r_j = Σ_{i≥j} g_den_i q_i (E,).
template <typename scalar_t>
void backward_rows(const scalar_t* q, const scalar_t* k, const scalar_t* v, const scalar_t* y,
                   const scalar_t* den, const scalar_t* grad_y, const scalar_t* grad_den, scalar_t* dq,
                   scalar_t* dk, scalar_t* dv, const Dims& dims) {
  const int64_t L = dims.len, E = dims.features, D = dims.channels;
  at::parallel_for(0, dims.rows, 1, [&](int64_t begin, int64_t end) {
    std::vector<scalar_t> state(E * D), sums(E);  // S and z, then R and r
    std::vector<scalar_t> g_n(L * D), g_den(L);   // (L, D), (L,) of the current row
    for (int64_t row = begin; row < end; ++row) {
      const scalar_t* q_row = q + row * L * E;
      const scalar_t* k_row = k + row * L * E;
      const scalar_t* v_row = v + row * L * D;
      for (int64_t i = 0; i < L; ++i) {
        const scalar_t normaliser = den[row * L + i];
        scalar_t through_y = 0;
        for (int64_t d = 0; d < D; ++d) {
          const scalar_t g = grad_y != nullptr ? grad_y[(row * L + i) * D + d] : scalar_t(0);
          g_n[i * D + d] = g / normaliser;
          through_y += g * y[(row * L + i) * D + d];
        }
        g_den[i] = -through_y / normaliser + (grad_den != nullptr ? grad_den[row * L + i] : scalar_t(0));
      }

      // Forward sweep: dq.
      std::fill(state.begin(), state.end(), scalar_t(0));
      std::fill(sums.begin(), sums.end(), scalar_t(0));
      for (int64_t i = 0; i < L; ++i) {
        const scalar_t* k_i = k_row + i * E;
        const scalar_t* v_i = v_row + i * D;
        const scalar_t* g_i = g_n.data() + i * D;
        scalar_t* dq_i = dq + (row * L + i) * E;
        for (int64_t e = 0; e < E; ++e) {
          scalar_t* s = state.data() + e * D;
          const scalar_t k_e = k_i[e];
          sums[e] += k_e;
          scalar_t acc = 0;
          for (int64_t d = 0; d < D; ++d) {
            s[d] += k_e * v_i[d];
            acc += s[d] * g_i[d];
          }
          dq_i[e] = acc + sums[e] * g_den[i];
        }
      }

      // Reverse sweep: dk, dv.
      std::fill(state.begin(), state.end(), scalar_t(0));
      std::fill(sums.begin(), sums.end(), scalar_t(0));
      for (int64_t j = L - 1; j >= 0; --j) {
        const scalar_t* q_j = q_row + j * E;
        const scalar_t* k_j = k_row + j * E;
        const scalar_t* v_j = v_row + j * D;
        const scalar_t* g_j = g_n.data() + j * D;
        scalar_t* dk_j = dk + (row * L + j) * E;
        scalar_t* dv_j = dv + (row * L + j) * D;
        std::fill(dv_j, dv_j + D, scalar_t(0));
        for (int64_t e = 0; e < E; ++e) {
          scalar_t* r = state.data() + e * D;
          const scalar_t q_e = q_j[e], k_e = k_j[e];
          sums[e] += g_den[j] * q_e;
          scalar_t acc = 0;
          for (int64_t d = 0; d < D; ++d) {
            r[d] += q_e * g_j[d];
            acc += r[d] * v_j[d];
            dv_j[d] += k_e * r[d];
          }
          dk_j[e] = acc + sums[e];
        }
      }
    }
  });
}

class CausalLinearAttention : public torch::autograd::Function<CausalLinearAttention> {
 public:
  // q, k: (B, H, L, E), v: (B, H, L, D), contiguous CPU float or double. Returns {y (B, H, L, D), den (B, H,
  // L)}.
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& q,
                                                const torch::Tensor& k, const torch::Tensor& v, double eps) {
    const Dims dims{q.size(0) * q.size(1), q.size(2), q.size(3), v.size(3)};
    auto y = torch::empty(v.sizes(), v.options());                            // (B, H, L, D)
    auto den = torch::empty({q.size(0), q.size(1), q.size(2)}, q.options());  // (B, H, L)
    AT_DISPATCH_FLOATING_TYPES(q.scalar_type(), "causal_linear_attention_forward", [&] {
      forward_rows<scalar_t>(q.data_ptr<scalar_t>(), k.data_ptr<scalar_t>(), v.data_ptr<scalar_t>(),
                             y.data_ptr<scalar_t>(), den.data_ptr<scalar_t>(), dims, eps);
    });
    ctx->save_for_backward({q, k, v, y, den});
    return {y, den};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &q = saved[0], &k = saved[1], &v = saved[2], &y = saved[3], &den = saved[4];
    const Dims dims{q.size(0) * q.size(1), q.size(2), q.size(3), v.size(3)};
    // An output nobody used arrives undefined: it contributes nothing.
    const auto grad_y = grad_outputs[0].defined() ? grad_outputs[0].contiguous() : torch::Tensor();
    const auto grad_den = grad_outputs[1].defined() ? grad_outputs[1].contiguous() : torch::Tensor();
    auto dq = torch::empty_like(q), dk = torch::empty_like(k), dv = torch::empty_like(v);
    AT_DISPATCH_FLOATING_TYPES(q.scalar_type(), "causal_linear_attention_backward", [&] {
      backward_rows<scalar_t>(
          q.data_ptr<scalar_t>(), k.data_ptr<scalar_t>(), v.data_ptr<scalar_t>(), y.data_ptr<scalar_t>(),
          den.data_ptr<scalar_t>(), grad_y.defined() ? grad_y.data_ptr<scalar_t>() : nullptr,
          grad_den.defined() ? grad_den.data_ptr<scalar_t>() : nullptr, dq.data_ptr<scalar_t>(),
          dk.data_ptr<scalar_t>(), dv.data_ptr<scalar_t>(), dims);
    });
    return {dq, dk, dv, torch::Tensor()};
  }
};

void check_shapes(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  TORCH_CHECK(q.dim() == 4 && k.sizes() == q.sizes(),
              "causal_linear_attention: q and k must both be (B, H, L, E), got ", q.sizes(), " and ",
              k.sizes());
  TORCH_CHECK(v.dim() == 4 && v.size(0) == q.size(0) && v.size(1) == q.size(1) && v.size(2) == q.size(2),
              "causal_linear_attention: v must be (B, H, L, hd) with (B, H, L) = ", q.sizes().slice(0, 3),
              ", got ", v.sizes());
  TORCH_CHECK(q.scalar_type() == k.scalar_type() && q.scalar_type() == v.scalar_type(),
              "causal_linear_attention: q, k and v must share a dtype");
}

bool runs_the_kernel(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const auto type = q.scalar_type();
  return q.device().is_cpu() && k.device().is_cpu() && v.device().is_cpu() &&
         (type == torch::kFloat || type == torch::kDouble);
}

torch::Tensor reference_normaliser(const torch::Tensor& q, const torch::Tensor& k, double eps) {
  return (q * k.cumsum(2)).sum(-1) + eps;  // (B, H, L)
}

}  // namespace

torch::Tensor causal_linear_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                      double eps) {
  check_shapes(q, k, v);
  if (!q.device().is_cpu()) {
    return causal_linear_attention_chunked(q, k, v, eps).first;
  }
  if (!runs_the_kernel(q, k, v)) {
    return causal_linear_attention_reference(q, k, v, eps);
  }
  return CausalLinearAttention::apply(q.contiguous(), k.contiguous(), v.contiguous(), eps)[0];
}

std::pair<torch::Tensor, torch::Tensor> causal_linear_attention_with_normaliser(const torch::Tensor& q,
                                                                                const torch::Tensor& k,
                                                                                const torch::Tensor& v,
                                                                                double eps) {
  check_shapes(q, k, v);
  if (!q.device().is_cpu()) {
    return causal_linear_attention_chunked(q, k, v, eps);
  }
  if (!runs_the_kernel(q, k, v)) {
    return {causal_linear_attention_reference(q, k, v, eps), reference_normaliser(q, k, eps)};
  }
  auto outputs = CausalLinearAttention::apply(q.contiguous(), k.contiguous(), v.contiguous(), eps);
  return {outputs[0], outputs[1]};
}

std::pair<torch::Tensor, torch::Tensor> causal_linear_attention_chunked(const torch::Tensor& q,
                                                                        const torch::Tensor& k,
                                                                        const torch::Tensor& v, double eps,
                                                                        int64_t chunk_size) {
  check_shapes(q, k, v);
  TORCH_CHECK(chunk_size >= 1, "causal_linear_attention_chunked: chunk_size must be at least 1, got ",
              chunk_size);
  const int64_t batch = q.size(0), heads = q.size(1), len = q.size(2);
  if (len == 0) {
    return {torch::zeros_like(v), torch::zeros({batch, heads, 0}, q.options())};
  }
  const int64_t chunk = std::min(chunk_size, len);
  // Zeros appended to L: a zero key adds nothing to the state, and padded queries are cut.
  const auto qc = split_into_chunks(q, chunk);  // (B, H, N, c, E)
  const auto kc = split_into_chunks(k, chunk);  // (B, H, N, c, E)
  const auto vc = split_into_chunks(v, chunk);  // (B, H, N, c, hd)
  const int64_t chunks = qc.size(2);

  // Within a chunk: (q_i · k_j) for j ≤ i.
  const auto future = torch::ones({chunk, chunk}, q.options().dtype(torch::kBool)).triu(1);
  const auto scores = torch::matmul(qc, kc.transpose(-1, -2)).masked_fill(future, 0.0);  // (B, H, N, c, c)
  auto numerator = torch::matmul(scores, vc);                                            // (B, H, N, c, hd)
  auto normaliser = scores.sum(-1);                                                      // (B, H, N, c)

  // Between chunks: the state Σ k_j v_jᵀ and key sum Σ k_j of every earlier chunk, an exclusive prefix
  // sum over chunks (the inclusive one shifted by a chunk), read by each query.
  if (chunks > 1) {
    const auto chunk_kv = torch::matmul(kc.transpose(-1, -2), vc);            // (B, H, N, E, hd)
    const auto chunk_keys = kc.sum(3);                                        // (B, H, N, E)
    const auto earlier_kv = chunk_kv.narrow(2, 0, chunks - 1).cumsum(2);      // (B, H, N-1, E, hd)
    const auto earlier_keys = chunk_keys.narrow(2, 0, chunks - 1).cumsum(2);  // (B, H, N-1, E)
    const auto later_q = qc.narrow(2, 1, chunks - 1);                         // (B, H, N-1, c, E)
    numerator = torch::cat(
        {numerator.narrow(2, 0, 1), numerator.narrow(2, 1, chunks - 1) + torch::matmul(later_q, earlier_kv)},
        2);
    normaliser = torch::cat(
        {normaliser.narrow(2, 0, 1), normaliser.narrow(2, 1, chunks - 1) +
                                         torch::matmul(later_q, earlier_keys.unsqueeze(-1)).squeeze(-1)},
        2);
  }
  normaliser = normaliser.reshape({batch, heads, chunks * chunk}).narrow(2, 0, len) + eps;  // (B, H, L)
  const auto y = numerator.reshape({batch, heads, chunks * chunk, v.size(3)}).narrow(2, 0, len) /
                 normaliser.unsqueeze(-1);  // (B, H, L, hd)
  return {y, normaliser};
}

torch::Tensor causal_linear_attention_reference(const torch::Tensor& q, const torch::Tensor& k,
                                                const torch::Tensor& v, double eps) {
  // Running sums of the outer products k_j v_jᵀ over j ≤ i at every position, read out by q_i.
  auto kv = (v.unsqueeze(-1) * k.unsqueeze(-2)).cumsum(2);          // (B, H, L, hd, E)
  auto numerator = torch::matmul(kv, q.unsqueeze(-1)).squeeze(-1);  // (B, H, L, hd)
  auto normaliser = (q * k.cumsum(2)).sum(-1, /*keepdim=*/true);    // (B, H, L, 1)
  return numerator / (normaliser + eps);
}

}  // namespace zoolab::kernels
