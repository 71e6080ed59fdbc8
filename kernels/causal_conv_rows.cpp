#include "kernels/causal_conv_rows.h"

#include <algorithm>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "kernels/causal_depthwise_conv.h"
#include "kernels/row_positions.h"

namespace zoolab::kernels {
namespace {

struct ConvRowsGeometry {
  int64_t batch, seq_len, channels, taps;
};

// Taps used by the row at sequence position i: lags 0..min(K, i + 1) − 1.
inline int64_t used_taps(int64_t i, int64_t taps) {
  return std::min(taps, i + 1);
}

// acc[c] += f[c] · x[cell, c] over the C channels of one position (cell = b·L + t).
template <typename T>
inline void add_times(const T* x, int64_t cell, const T* f, int64_t C, T* acc) {
  const T* xs = x + cell * C;
  for (int64_t c = 0; c < C; ++c) {
    acc[c] += f[c] * xs[c];
  }
}

// conv[r, :] = Σ_k taps_t[k, :] · x[b, i − k, :]; taps_t is (K, C). The inner loops run over
// contiguous channels, which the compiler vectorises.
template <typename T>
void conv_at_rows(const ConvRowsGeometry& g, const T* x, const T* taps_t, const int64_t* positions,
                  int64_t rows, T* conv) {
  const int64_t L = g.seq_len, C = g.channels;
  at::parallel_for(0, rows, 16, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t b = positions[r] / L, i = positions[r] % L;
      T* o = conv + r * C;
      std::fill(o, o + C, T(0));
      for (int64_t k = 0; k < used_taps(i, g.taps); ++k) {
        add_times(x, b * L + i - k, taps_t + k * C, C, o);
      }
    }
  });
}

// grad_taps_t[k, :] = Σ_r h[r, :] · x[b, i − k, :], lag by lag: each sum runs over the rows in row
// order whatever the thread count.
template <typename T>
void taps_gradient(const ConvRowsGeometry& g, const T* x, const int64_t* positions, int64_t rows, const T* h,
                   T* grad_taps_t) {
  const int64_t L = g.seq_len, C = g.channels;
  at::parallel_for(0, g.taps, 1, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      T* gw = grad_taps_t + k * C;
      std::fill(gw, gw + C, T(0));
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t b = positions[r] / L, i = positions[r] % L;
        if (k > i) {
          continue;
        }
        add_times(x, b * L + i - k, h + r * C, C, gw);
      }
    }
  });
}

// grad_x (zero on entry) += taps ⋆ᵀ grad_out, example by example (rows of one example are contiguous, so
// no two tasks write one example), and the taps' gradient.
template <typename T>
void conv_rows_backward(const ConvRowsGeometry& g, const T* x, const T* taps_t, const int64_t* positions,
                        int64_t rows, const T* grad_out, T* grad_x, T* grad_taps_t) {
  const int64_t L = g.seq_len, C = g.channels;
  const auto runs = example_runs(positions, rows, L);
  at::parallel_for(0, runs.size(), 1, [&](int64_t begin, int64_t end) {
    for (int64_t e = begin; e < end; ++e) {
      for (int64_t r = runs.first(e); r < runs.first(e) + runs.rows(e); ++r) {
        const int64_t b = positions[r] / L, i = positions[r] % L;
        const T* go = grad_out + r * C;
        for (int64_t k = 0; k < used_taps(i, g.taps); ++k) {
          const T* w = taps_t + k * C;
          T* gx = grad_x + (b * L + i - k) * C;
          for (int64_t c = 0; c < C; ++c) {
            gx[c] += w[c] * go[c];
          }
        }
      }
    }
  });
  taps_gradient(g, x, positions, rows, grad_out, grad_taps_t);
}

ConvRowsGeometry conv_rows_geometry(const torch::Tensor& x, const torch::Tensor& taps) {
  return {x.size(0), x.size(1), x.size(2), taps.size(1)};
}

class CausalConvRows : public torch::autograd::Function<CausalConvRows> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x_in,
                               const torch::Tensor& taps, const torch::Tensor& positions) {
    const auto x = x_in.contiguous();
    const auto taps_t = taps.t().contiguous();  // (K, C)
    const auto g = conv_rows_geometry(x, taps);
    const int64_t rows = positions.size(0);
    auto out = torch::empty({rows, g.channels}, x.options());  // (N, C)
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "causal_conv_rows", [&] {
      conv_at_rows<scalar_t>(g, x.data_ptr<scalar_t>(), taps_t.data_ptr<scalar_t>(),
                             positions.data_ptr<int64_t>(), rows, out.data_ptr<scalar_t>());
    });
    ctx->save_for_backward({x, taps_t, positions});
    return out;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& taps_t = saved[1];  // (K, C)
    const auto& positions = saved[2];
    const ConvRowsGeometry g{x.size(0), x.size(1), x.size(2), taps_t.size(0)};
    const auto grad_out = grad_outputs[0].contiguous();  // (N, C)
    auto grad_x = torch::zeros_like(x);                  // (B, L, C): positions past every row get none
    auto grad_taps_t = torch::empty_like(taps_t);        // (K, C)
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "causal_conv_rows_backward", [&] {
      conv_rows_backward<scalar_t>(g, x.data_ptr<scalar_t>(), taps_t.data_ptr<scalar_t>(),
                                   positions.data_ptr<int64_t>(), positions.size(0),
                                   grad_out.data_ptr<scalar_t>(), grad_x.data_ptr<scalar_t>(),
                                   grad_taps_t.data_ptr<scalar_t>());
    });
    return {grad_x, grad_taps_t.t(), torch::Tensor()};
  }
};

bool fused_rows(const torch::Tensor& x, const torch::Tensor& taps) {
  return x.device().is_cpu() && taps.device().is_cpu() && x.scalar_type() == taps.scalar_type() &&
         (x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble);
}

}  // namespace

torch::Tensor causal_conv_rows(const torch::Tensor& x, const torch::Tensor& taps,
                               const torch::Tensor& positions) {
  TORCH_CHECK(x.dim() == 3 && taps.dim() == 2 && taps.size(0) == x.size(2) && taps.size(1) >= 1,
              "causal_conv_rows: x (B, L, C) and taps (C, K) expected, got ", x.sizes(), " and ",
              taps.sizes());
  const auto index = checked_row_positions("causal_conv_rows", positions, x.size(0) * x.size(1));
  if (!fused_rows(x, taps)) {
    return causal_conv_rows_reference(x, taps, index.to(x.device()));
  }
  return CausalConvRows::apply(x, taps, index);
}

torch::Tensor causal_conv_rows_reference(const torch::Tensor& x, const torch::Tensor& taps,
                                         const torch::Tensor& positions) {
  const auto whole = causal_depthwise_conv_reference(x, taps);  // (B, L, C)
  return whole.reshape({-1, whole.size(-1)}).index_select(0, positions);
}

}  // namespace zoolab::kernels
