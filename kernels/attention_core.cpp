#include "kernels/attention_core.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "kernels/counter_dropout.h"
#include "kernels/row_gemm.h"
#include "kernels/softmax_rows.h"

namespace zoolab::kernels {
namespace {

#ifdef ZOOLAB_HAS_BLAS

// Where one (batch, head) matrix of the problem lives.
struct Geometry {
  int64_t batch, seq_len, d_model, heads, head_dim;
  int64_t qkv_row() const { return 3 * d_model; }  // row stride of q, k, v in qkv
  int64_t qkv_offset(int64_t n) const { return (n / heads) * seq_len * 3 * d_model + (n % heads) * head_dim; }
  int64_t out_offset(int64_t n) const { return (n / heads) * seq_len * d_model + (n % heads) * head_dim; }
};

// Causal products skip the block above the diagonal: rows [0, h) only reach columns [0, h), so
// splitting the L rows at h = L / 2 drops a quarter of each L × L product (shorter sequences: one product).
inline int64_t causal_split(int64_t seq_len) {
  return seq_len >= 32 ? seq_len / 2 : 0;
}

template <typename T>
void attention_forward(const Geometry& g, const T* qkv, T* out, T* probs, T scale, double p, uint64_t seed) {
  const int64_t L = g.seq_len, hd = g.head_dim, matrices = g.batch * g.heads;
  const uint32_t threshold = dropout_threshold(p);
  const T keep_scale = static_cast<T>(1.0 / (1.0 - p));
  at::parallel_for(0, matrices, 1, [&](int64_t begin, int64_t end) {
    std::vector<T> dropped(p > 0.0 ? L * L : 0);
    for (int64_t n = begin; n < end; ++n) {
      const T* q = qkv + g.qkv_offset(n);
      const T* k = q + g.d_model;
      const T* v = k + g.d_model;
      T* s = probs + n * L * L;  // (L, L): scores, then probabilities in place
      const int64_t R = g.qkv_row(), h = causal_split(L);
      // S = scale · q kᵀ on and below the diagonal (entries above it are overwritten below).
      if (h > 0) {
        row_gemm<T>(false, true, h, h, hd, scale, q, R, k, R, T(0), s, L);
      }
      row_gemm<T>(false, true, L - h, L, hd, scale, q + h * R, R, k, R, T(0), s + h * L, L);
      for (int64_t i = 0; i < L; ++i) {
        T* row = s + i * L;
        softmax_in_place(row, i + 1);
        std::fill(row + i + 1, row + L, T(0));
      }
      const T* mixing = s;
      if (p > 0.0) {
        for (int64_t i = 0; i < L; ++i) {
          dropout_span(s + i * L, dropped.data() + i * L, i + 1, seed, attention_dropout_counter(n, i, 0, L),
                       threshold, keep_scale);
          std::fill(dropped.begin() + i * L + i + 1, dropped.begin() + (i + 1) * L, T(0));
        }
        mixing = dropped.data();
      }
      T* o = out + g.out_offset(n);
      const int64_t D = g.d_model;
      if (h > 0) {
        row_gemm<T>(false, false, h, hd, h, T(1), mixing, L, v, R, T(0), o,
                    D);  // rows [0, h) mix positions [0, h)
      }
      row_gemm<T>(false, false, L - h, hd, L, T(1), mixing + h * L, L, v, R, T(0), o + h * D, D);
    }
  });
}

template <typename T>
void attention_backward(const Geometry& g, const T* qkv, const T* probs, const T* grad_out, T* grad_qkv,
                        T scale, double p, uint64_t seed) {
  const int64_t L = g.seq_len, hd = g.head_dim, matrices = g.batch * g.heads;
  const uint32_t threshold = dropout_threshold(p);
  const T keep_scale = static_cast<T>(1.0 / (1.0 - p));
  at::parallel_for(0, matrices, 1, [&](int64_t begin, int64_t end) {
    std::vector<T> dropped(p > 0.0 ? L * L : 0), grad_mixing(L * L);
    for (int64_t n = begin; n < end; ++n) {
      const T* q = qkv + g.qkv_offset(n);
      const T* k = q + g.d_model;
      const T* v = k + g.d_model;
      T* dq = grad_qkv + g.qkv_offset(n);
      T* dk = dq + g.d_model;
      T* dv = dk + g.d_model;
      const T* go = grad_out + g.out_offset(n);
      const T* prob = probs + n * L * L;
      const T* mixing = prob;  // P̃: the probabilities after dropout
      if (p > 0.0) {
        for (int64_t i = 0; i < L; ++i) {
          dropout_span(prob + i * L, dropped.data() + i * L, i + 1, seed,
                       attention_dropout_counter(n, i, 0, L), threshold, keep_scale);
          std::fill(dropped.begin() + i * L + i + 1, dropped.begin() + (i + 1) * L, T(0));
        }
        mixing = dropped.data();
      }
      const int64_t R = g.qkv_row(), D = g.d_model, h = causal_split(L);
      // dv = P̃ᵀ · dout (rows [h, L) of dv only see rows [h, L) of P̃); dP̃ = dout · vᵀ on and below
      // the diagonal (the rest is overwritten below).
      row_gemm<T>(true, false, h > 0 ? h : L, hd, L, T(1), mixing, L, go, D, T(0), dv, R);
      if (h > 0) {
        row_gemm<T>(true, false, L - h, hd, L - h, T(1), mixing + h * L + h, L, go + h * D, D, T(0),
                    dv + h * R, R);
      }
      T* ds = grad_mixing.data();
      if (h > 0) {
        row_gemm<T>(false, true, h, h, hd, T(1), go, D, v, R, T(0), ds, L);
      }
      row_gemm<T>(false, true, L - h, L, hd, T(1), go + h * D, D, v, R, T(0), ds + h * L, L);
      // Softmax through dropout: dS = P̃ ⊙ dP̃ − P · Σⱼ (P̃ ⊙ dP̃) (dP = dP̃ ⊙ keep / (1 − p)).
      for (int64_t i = 0; i < L; ++i) {
        T* row = ds + i * L;
        const T* pm = mixing + i * L;
        const T* pr = prob + i * L;
        T dot = 0;
        for (int64_t j = 0; j <= i; ++j) {
          row[j] *= pm[j];
          dot += row[j];
        }
        for (int64_t j = 0; j <= i; ++j) {
          row[j] -= pr[j] * dot;
        }
        std::fill(row + i + 1, row + L, T(0));
      }
      // dq = scale · dS · k; dk = scale · dSᵀ · q; dS is lower triangular, as P̃ above.
      if (h > 0) {
        row_gemm<T>(false, false, h, hd, h, scale, ds, L, k, R, T(0), dq, R);
      }
      row_gemm<T>(false, false, L - h, hd, L, scale, ds + h * L, L, k, R, T(0), dq + h * R, R);
      row_gemm<T>(true, false, h > 0 ? h : L, hd, L, scale, ds, L, q, R, T(0), dk, R);
      if (h > 0) {
        row_gemm<T>(true, false, L - h, hd, L - h, scale, ds + h * L + h, L, q + h * R, R, T(0), dk + h * R,
                    R);
      }
    }
  });
}

Geometry geometry_of(const torch::Tensor& qkv, int64_t heads) {
  const int64_t d = qkv.size(2) / 3;
  return {qkv.size(0), qkv.size(1), d, heads, d / heads};
}

class CausalAttention : public torch::autograd::Function<CausalAttention> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& qkv_in,
                               int64_t heads, double scale, double p, int64_t seed) {
    const auto qkv = qkv_in.contiguous();
    const auto g = geometry_of(qkv, heads);
    auto out = torch::empty({g.batch, g.seq_len, g.d_model}, qkv.options());              // (B, L, D)
    auto probs = torch::empty({g.batch * g.heads, g.seq_len, g.seq_len}, qkv.options());  // (B·H, L, L)
    AT_DISPATCH_FLOATING_TYPES(qkv.scalar_type(), "causal_attention", [&] {
      attention_forward<scalar_t>(g, qkv.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(),
                                  probs.data_ptr<scalar_t>(), static_cast<scalar_t>(scale), p,
                                  static_cast<uint64_t>(seed));
    });
    ctx->save_for_backward({qkv, probs});
    ctx->saved_data["heads"] = heads;
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["p"] = p;
    ctx->saved_data["seed"] = seed;
    return out;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& qkv = saved[0];
    const auto& probs = saved[1];
    const auto g = geometry_of(qkv, ctx->saved_data["heads"].toInt());
    const double scale = ctx->saved_data["scale"].toDouble();
    const double p = ctx->saved_data["p"].toDouble();
    const auto seed = static_cast<uint64_t>(ctx->saved_data["seed"].toInt());
    const auto grad_out = grad_outputs[0].contiguous();  // (B, L, D)
    auto grad_qkv = torch::empty_like(qkv);              // (B, L, 3·D): every element written
    AT_DISPATCH_FLOATING_TYPES(qkv.scalar_type(), "causal_attention_backward", [&] {
      attention_backward<scalar_t>(g, qkv.data_ptr<scalar_t>(), probs.data_ptr<scalar_t>(),
                                   grad_out.data_ptr<scalar_t>(), grad_qkv.data_ptr<scalar_t>(),
                                   static_cast<scalar_t>(scale), p, seed);
    });
    return {grad_qkv, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

#endif  // ZOOLAB_HAS_BLAS

}  // namespace

bool causal_attention_is_fused(const torch::Tensor& qkv) {
#ifdef ZOOLAB_HAS_BLAS
  return qkv.device().is_cpu() && (qkv.scalar_type() == torch::kFloat || qkv.scalar_type() == torch::kDouble);
#else
  (void)qkv;
  return false;
#endif
}

torch::Tensor causal_attention(const torch::Tensor& qkv, int64_t heads, double scale, double dropout_p,
                               uint64_t seed) {
  TORCH_CHECK(qkv.dim() == 3 && qkv.size(2) % 3 == 0 && heads > 0 && (qkv.size(2) / 3) % heads == 0,
              "causal_attention: qkv must be (B, L, 3·D) with heads dividing D, got ", qkv.sizes(), " and ",
              heads, " heads");
  TORCH_CHECK(dropout_p >= 0.0 && dropout_p < 1.0, "causal_attention: dropout must be in [0, 1), got ",
              dropout_p);
  if (!causal_attention_is_fused(qkv) || qkv.numel() == 0) {
    const auto keep =
        dropout_p > 0.0
            ? causal_attention_keep_mask(seed, qkv.size(0) * heads, qkv.size(1), dropout_p).to(qkv.device())
            : torch::Tensor();
    return causal_attention_reference(qkv, heads, scale, dropout_p, keep);
  }
#ifdef ZOOLAB_HAS_BLAS
  return CausalAttention::apply(qkv, heads, scale, dropout_p, static_cast<int64_t>(seed));
#else
  return torch::Tensor();
#endif
}

torch::Tensor causal_attention_reference(const torch::Tensor& qkv, int64_t heads, double scale,
                                         double dropout_p, const torch::Tensor& keep) {
  const int64_t batch = qkv.size(0), seq_len = qkv.size(1), d = qkv.size(2) / 3, head_dim = d / heads;
  const auto parts = qkv.chunk(3, -1);              // 3 × (B, L, D), channels "(h d)"
  auto split_heads = [&](const torch::Tensor& x) {  // (B, L, D) -> (B·H, L, hd)
    return x.reshape({batch, seq_len, heads, head_dim}).transpose(1, 2).reshape({-1, seq_len, head_dim});
  };
  const auto q = split_heads(parts[0]), k = split_heads(parts[1]), v = split_heads(parts[2]);
  const auto mask = torch::full({seq_len, seq_len}, -10000.0, qkv.options()).triu(1);  // (L, L)
  auto probs = torch::softmax(torch::bmm(q, k.transpose(1, 2)) * scale + mask, -1);    // (B·H, L, L)
  if (keep.defined()) {
    probs = probs * keep.to(probs.scalar_type()) / (1.0 - dropout_p);
  }
  auto context = torch::bmm(probs, v);  // (B·H, L, hd)
  return context.view({batch, heads, seq_len, head_dim}).transpose(1, 2).reshape({batch, seq_len, d});
}

torch::Tensor causal_attention_keep_mask(uint64_t seed, int64_t matrices, int64_t seq_len, double dropout_p) {
  return counter_dropout_mask(seed, {matrices, seq_len, seq_len}, dropout_p);
}

}  // namespace zoolab::kernels
