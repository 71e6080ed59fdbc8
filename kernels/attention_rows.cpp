#include "kernels/attention_rows.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "kernels/attention_core.h"
#include "kernels/counter_dropout.h"
#include "kernels/row_gemm.h"
#include "kernels/row_positions.h"
#include "kernels/softmax_rows.h"

namespace zoolab::kernels {
namespace {

#ifdef ZOOLAB_HAS_BLAS

struct RowsGeometry {
  int64_t batch, seq_len, d_model, heads, head_dim;
  int64_t kv_row() const { return 2 * d_model; }  // row stride of k and v in kv
};

// Run e of the queries: its example, first row and row count, and the keys its rows reach (the last
// query's causal prefix). Each example's key and value gradients belong to its one run.
struct RunSpan {
  int64_t example, first, rows, cols;
};

RunSpan run_span(const ExampleRuns& runs, int64_t e, const int64_t* positions, int64_t seq_len) {
  const int64_t first = runs.first(e), rows = runs.rows(e);
  return {runs.example[static_cast<size_t>(e)], first, rows, positions[first + rows - 1] % seq_len + 1};
}

// The probabilities after dropout, P̃, of one run's rows and one head: (n, cols), row stride cols.
template <typename T>
void drop_probabilities(const T* prob, int64_t prob_ld, const int64_t* positions, int64_t n, int64_t cols,
                        int64_t matrix, int64_t seq_len, double p, uint64_t seed, T* dropped) {
  const uint32_t threshold = dropout_threshold(p);
  const T keep_scale = static_cast<T>(1.0 / (1.0 - p));
  for (int64_t t = 0; t < n; ++t) {
    const int64_t i = positions[t] % seq_len;
    const int64_t kept = std::min(i + 1, cols);  // columns on or below the diagonal
    dropout_span(prob + t * prob_ld, dropped + t * cols, kept, seed,
                 attention_dropout_counter(matrix, i, 0, seq_len), threshold, keep_scale);
    std::fill(dropped + t * cols + kept, dropped + (t + 1) * cols, T(0));
  }
}

// probs: (N, H, L), each row's softmax over its causal prefix, zero beyond it.
template <typename T>
void rows_forward(const RowsGeometry& g, const ExampleRuns& runs, const T* q, const T* kv,
                  const int64_t* positions, T* out, T* probs, T scale, double p, uint64_t seed) {
  const int64_t L = g.seq_len, D = g.d_model, H = g.heads, hd = g.head_dim, R = g.kv_row();
  at::parallel_for(0, runs.size(), 1, [&](int64_t begin, int64_t end) {
    std::vector<T> scores, dropped;
    for (int64_t e = begin; e < end; ++e) {
      const auto [b, first, n, cols] = run_span(runs, e, positions, L);
      scores.resize(static_cast<size_t>(n * cols));
      for (int64_t h = 0; h < H; ++h) {
        const T* k = kv + b * L * R + h * hd;
        const T* v = k + D;
        T* prob = probs + (first * H + h) * L;  // row t at prob + t·H·L
        // S = scale · q kᵀ over the keys up to the last query (n, cols).
        row_gemm<T>(false, true, n, cols, hd, scale, q + first * D + h * hd, D, k, R, T(0), scores.data(),
                    cols);
        for (int64_t t = 0; t < n; ++t) {
          const int64_t i = positions[first + t] % L;
          const T* row = scores.data() + t * cols;
          T* out_row = prob + t * H * L;
          std::copy(row, row + i + 1, out_row);
          softmax_in_place(out_row, i + 1);
          std::fill(out_row + i + 1, out_row + L, T(0));
        }
        const T* mixing = prob;
        int64_t mixing_ld = H * L;
        if (p > 0.0) {
          dropped.resize(static_cast<size_t>(n * cols));
          drop_probabilities(prob, H * L, positions + first, n, cols, b * H + h, L, p, seed, dropped.data());
          mixing = dropped.data();
          mixing_ld = cols;
        }
        row_gemm<T>(false, false, n, hd, cols, T(1), mixing, mixing_ld, v, R, T(0), out + first * D + h * hd,
                    D);
      }
    }
  });
}

// grad_kv must be zero on entry: each run adds its keys' and values' gradients into its own example.
template <typename T>
void rows_backward(const RowsGeometry& g, const ExampleRuns& runs, const T* q, const T* kv,
                   const int64_t* positions, const T* probs, const T* grad_out, T* grad_q, T* grad_kv,
                   T scale, double p, uint64_t seed) {
  const int64_t L = g.seq_len, D = g.d_model, H = g.heads, hd = g.head_dim, R = g.kv_row();
  at::parallel_for(0, runs.size(), 1, [&](int64_t begin, int64_t end) {
    std::vector<T> dropped, ds;
    for (int64_t e = begin; e < end; ++e) {
      const auto [b, first, n, cols] = run_span(runs, e, positions, L);
      ds.resize(static_cast<size_t>(n * cols));
      for (int64_t h = 0; h < H; ++h) {
        const T* k = kv + b * L * R + h * hd;
        const T* v = k + D;
        T* dk = grad_kv + b * L * R + h * hd;
        T* dv = dk + D;
        const T* qh = q + first * D + h * hd;
        const T* go = grad_out + first * D + h * hd;
        const T* prob = probs + (first * H + h) * L;
        const T* mixing = prob;  // P̃
        int64_t mixing_ld = H * L;
        if (p > 0.0) {
          dropped.resize(static_cast<size_t>(n * cols));
          drop_probabilities(prob, H * L, positions + first, n, cols, b * H + h, L, p, seed, dropped.data());
          mixing = dropped.data();
          mixing_ld = cols;
        }
        // dv += P̃ᵀ · dout; dP̃ = dout · vᵀ.
        row_gemm<T>(true, false, cols, hd, n, T(1), mixing, mixing_ld, go, D, T(1), dv, R);
        row_gemm<T>(false, true, n, cols, hd, T(1), go, D, v, R, T(0), ds.data(), cols);
        // Softmax through dropout, as in the full core: dS = P̃ ⊙ dP̃ − P · Σⱼ (P̃ ⊙ dP̃).
        for (int64_t t = 0; t < n; ++t) {
          const int64_t i = positions[first + t] % L;
          T* row = ds.data() + t * cols;
          const T* pm = mixing + t * mixing_ld;
          const T* pr = prob + t * H * L;
          T dot = 0;
          for (int64_t j = 0; j <= i; ++j) {
            row[j] *= pm[j];
            dot += row[j];
          }
          for (int64_t j = 0; j <= i; ++j) {
            row[j] -= pr[j] * dot;
          }
          std::fill(row + i + 1, row + cols, T(0));
        }
        // dq = scale · dS · k; dk += scale · dSᵀ · q.
        row_gemm<T>(false, false, n, hd, cols, scale, ds.data(), cols, k, R, T(0),
                    grad_q + first * D + h * hd, D);
        row_gemm<T>(true, false, cols, hd, n, scale, ds.data(), cols, qh, D, T(1), dk, R);
      }
    }
  });
}

RowsGeometry rows_geometry_of(const torch::Tensor& kv, int64_t heads) {
  const int64_t d = kv.size(2) / 2;
  return {kv.size(0), kv.size(1), d, heads, d / heads};
}

class CausalAttentionRows : public torch::autograd::Function<CausalAttentionRows> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& q_in,
                               const torch::Tensor& kv_in, const torch::Tensor& positions, int64_t heads,
                               double scale, double p, int64_t seed) {
    const auto q = q_in.contiguous();
    const auto kv = kv_in.contiguous();
    const auto g = rows_geometry_of(kv, heads);
    const int64_t rows = q.size(0);
    const auto runs = example_runs(positions.data_ptr<int64_t>(), rows, g.seq_len);
    auto out = torch::empty({rows, g.d_model}, q.options());             // (N, D)
    auto probs = torch::empty({rows, g.heads, g.seq_len}, q.options());  // (N, H, L)
    AT_DISPATCH_FLOATING_TYPES(q.scalar_type(), "causal_attention_rows", [&] {
      rows_forward<scalar_t>(g, runs, q.data_ptr<scalar_t>(), kv.data_ptr<scalar_t>(),
                             positions.data_ptr<int64_t>(), out.data_ptr<scalar_t>(),
                             probs.data_ptr<scalar_t>(), static_cast<scalar_t>(scale), p,
                             static_cast<uint64_t>(seed));
    });
    ctx->save_for_backward({q, kv, positions, probs});
    ctx->saved_data["heads"] = heads;
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["p"] = p;
    ctx->saved_data["seed"] = seed;
    return out;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& q = saved[0];
    const auto& kv = saved[1];
    const auto& positions = saved[2];
    const auto& probs = saved[3];
    const auto g = rows_geometry_of(kv, ctx->saved_data["heads"].toInt());
    const double scale = ctx->saved_data["scale"].toDouble();
    const double p = ctx->saved_data["p"].toDouble();
    const auto seed = static_cast<uint64_t>(ctx->saved_data["seed"].toInt());
    const auto runs = example_runs(positions.data_ptr<int64_t>(), q.size(0), g.seq_len);
    const auto grad_out = grad_outputs[0].contiguous();  // (N, D)
    auto grad_q = torch::empty_like(q);                  // (N, D): every row belongs to one run
    auto grad_kv = torch::zeros_like(kv);  // (B, L, 2·D): keys past an example's last query get none
    AT_DISPATCH_FLOATING_TYPES(q.scalar_type(), "causal_attention_rows_backward", [&] {
      rows_backward<scalar_t>(g, runs, q.data_ptr<scalar_t>(), kv.data_ptr<scalar_t>(),
                              positions.data_ptr<int64_t>(), probs.data_ptr<scalar_t>(),
                              grad_out.data_ptr<scalar_t>(), grad_q.data_ptr<scalar_t>(),
                              grad_kv.data_ptr<scalar_t>(), static_cast<scalar_t>(scale), p, seed);
    });
    return {grad_q,          grad_kv,         torch::Tensor(), torch::Tensor(),
            torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

#endif  // ZOOLAB_HAS_BLAS

}  // namespace

torch::Tensor causal_attention_rows(const torch::Tensor& q, const torch::Tensor& kv,
                                    const torch::Tensor& positions, int64_t heads, double scale,
                                    double dropout_p, uint64_t seed) {
  TORCH_CHECK(kv.dim() == 3 && kv.size(2) % 2 == 0 && heads > 0 && (kv.size(2) / 2) % heads == 0,
              "causal_attention_rows: kv must be (B, L, 2·D) with heads dividing D, got ", kv.sizes(),
              " and ", heads, " heads");
  TORCH_CHECK(q.dim() == 2 && q.size(1) == kv.size(2) / 2 && q.scalar_type() == kv.scalar_type() &&
                  q.device() == kv.device(),
              "causal_attention_rows: q must be (N, D) like kv's (B, L, 2·D), got ", q.sizes(), " and ",
              kv.sizes());
  TORCH_CHECK(positions.dim() == 1 && positions.size(0) == q.size(0),
              "causal_attention_rows: positions must be (N,), N = ", q.size(0), ", got ", positions.sizes());
  TORCH_CHECK(dropout_p >= 0.0 && dropout_p < 1.0, "causal_attention_rows: dropout must be in [0, 1), got ",
              dropout_p);
  TORCH_CHECK(causal_attention_is_fused(q),
              "causal_attention_rows: needs a float32/float64 CPU tensor and a BLAS at build time (the model "
              "falls back to the full attention elsewhere)");
  const auto index = checked_row_positions("causal_attention_rows", positions, kv.size(0) * kv.size(1));
#ifdef ZOOLAB_HAS_BLAS
  return CausalAttentionRows::apply(q, kv, index, heads, scale, dropout_p, static_cast<int64_t>(seed));
#else
  return torch::Tensor();
#endif
}

}  // namespace zoolab::kernels
