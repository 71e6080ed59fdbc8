#include "kernels/causal_conv_rows.h"

#include <algorithm>
#include <vector>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "kernels/causal_depthwise_conv.h"
#include "kernels/gated_causal_conv.h"
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

// The convolved stream: rows of `a`, `row` elements apart, times the same rows of `b` where there is a
// `b` (Hyena convolves x1 ⊙ v, BaseConv its input itself).
template <typename T>
struct ConvStream {
  const T* a = nullptr;
  const T* b = nullptr;
  int64_t row = 0;
};

// acc[c] += f[c] · stream[cell, c] over the C channels of one position (cell = b·L + t).
template <typename T>
inline void add_stream_times(const ConvStream<T>& s, int64_t cell, const T* f, int64_t C, T* acc) {
  const T* a = s.a + cell * s.row;
  if (s.b != nullptr) {
    const T* v = s.b + cell * s.row;
    for (int64_t c = 0; c < C; ++c) {
      acc[c] += f[c] * (a[c] * v[c]);
    }
  } else {
    for (int64_t c = 0; c < C; ++c) {
      acc[c] += f[c] * a[c];
    }
  }
}

// conv[r, :] = Σ_k taps_t[k, :] · stream[b, i − k, :]; taps_t is (K, C). The inner loops run over
// contiguous channels, which the compiler vectorises.
template <typename T>
void conv_at_rows(const ConvRowsGeometry& g, const ConvStream<T>& s, const T* taps_t,
                  const int64_t* positions, int64_t rows, T* conv) {
  const int64_t L = g.seq_len, C = g.channels;
  at::parallel_for(0, rows, 16, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t b = positions[r] / L, i = positions[r] % L;
      T* o = conv + r * C;
      std::fill(o, o + C, T(0));
      for (int64_t k = 0; k < used_taps(i, g.taps); ++k) {
        add_stream_times(s, b * L + i - k, taps_t + k * C, C, o);
      }
    }
  });
}

// grad_taps_t[k, :] = Σ_r h[r, :] · stream[b, i − k, :], lag by lag: each sum runs over the rows in row
// order whatever the thread count.
template <typename T>
void taps_gradient(const ConvRowsGeometry& g, const ConvStream<T>& s, const int64_t* positions, int64_t rows,
                   const T* h, T* grad_taps_t) {
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
        add_stream_times(s, b * L + i - k, h + r * C, C, gw);
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
  taps_gradient(g, ConvStream<T>{x, nullptr, C}, positions, rows, grad_out, grad_taps_t);
}

// Hyena at rows. x: (B, L, 3C) streams [x1 | x2 | v]; taps_t (K, C). Forward writes out (N, C) and the
// convolution at the rows, conv (N, C), kept for the backward.
template <typename T>
void hyena_rows_forward(const ConvRowsGeometry& g, const T* x, const T* taps_t, const int64_t* positions,
                        int64_t rows, T* out, T* conv) {
  const int64_t C = g.channels, R = 3 * C;
  conv_at_rows(g, ConvStream<T>{x, x + 2 * C, R}, taps_t, positions, rows, conv);
  at::parallel_for(0, rows, 16, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* x2 = x + positions[r] * R + C;
      for (int64_t c = 0; c < C; ++c) {
        out[r * C + c] = x2[c] * conv[r * C + c];
      }
    }
  });
}

// h = dout ⊙ x2 at the rows (N, C), the gradient of the convolution, is computed first; then per example
// dw = taps ⋆ᵀ h over its positions, dx1 = dw ⊙ v, dv = dw ⊙ x1, dx2 = dout ⊙ conv at its rows and 0
// elsewhere; and per lag dtaps_t[k] = Σ_r h[r] ⊙ (x1 ⊙ v)[b, i − k], in row order.
template <typename T>
void hyena_rows_backward(const ConvRowsGeometry& g, const T* x, const T* taps_t, const int64_t* positions,
                         int64_t rows, const T* conv, const T* grad_out, T* h, T* grad_x, T* grad_taps_t) {
  const int64_t L = g.seq_len, C = g.channels, R = 3 * C;
  at::parallel_for(0, rows, 16, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* x2 = x + positions[r] * R + C;
      for (int64_t c = 0; c < C; ++c) {
        h[r * C + c] = grad_out[r * C + c] * x2[c];
      }
    }
  });
  std::vector<char> has_rows(static_cast<size_t>(g.batch), 0);
  for (const int64_t b : example_runs(positions, rows, L).example) {
    has_rows[static_cast<size_t>(b)] = 1;
  }
  at::parallel_for(0, g.batch, 1, [&](int64_t begin, int64_t end) {
    std::vector<T> dw(static_cast<size_t>(L * C));
    for (int64_t b = begin; b < end; ++b) {
      T* gx = grad_x + b * L * R;
      std::fill(gx, gx + L * R, T(0));
      if (!has_rows[static_cast<size_t>(b)]) {
        continue;
      }
      std::fill(dw.begin(), dw.end(), T(0));
      // This example's rows: a binary search in the increasing positions.
      const int64_t first = std::lower_bound(positions, positions + rows, b * L) - positions;
      for (int64_t r = first; r < rows && positions[r] < (b + 1) * L; ++r) {
        const int64_t i = positions[r] % L;
        const T* hr = h + r * C;
        for (int64_t k = 0; k < used_taps(i, g.taps); ++k) {
          const T* w = taps_t + k * C;
          T* d = dw.data() + (i - k) * C;
          for (int64_t c = 0; c < C; ++c) {
            d[c] += w[c] * hr[c];
          }
        }
        T* dx2 = gx + i * R + C;
        for (int64_t c = 0; c < C; ++c) {
          dx2[c] = grad_out[r * C + c] * conv[r * C + c];
        }
      }
      const T* xb = x + b * L * R;
      for (int64_t t = 0; t < L; ++t) {
        const T* d = dw.data() + t * C;
        const T* x1 = xb + t * R;
        const T* v = x1 + 2 * C;
        T* dx1 = gx + t * R;
        T* dv = dx1 + 2 * C;
        for (int64_t c = 0; c < C; ++c) {
          dx1[c] = d[c] * v[c];
          dv[c] = d[c] * x1[c];
        }
      }
    }
  });
  taps_gradient(g, ConvStream<T>{x, x + 2 * C, R}, positions, rows, h, grad_taps_t);
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
      conv_at_rows<scalar_t>(g, ConvStream<scalar_t>{x.data_ptr<scalar_t>(), nullptr, g.channels},
                             taps_t.data_ptr<scalar_t>(), positions.data_ptr<int64_t>(), rows,
                             out.data_ptr<scalar_t>());
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

class HyenaGatedConvRows : public torch::autograd::Function<HyenaGatedConvRows> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x_in,
                               const torch::Tensor& taps, const torch::Tensor& positions) {
    const auto x = x_in.contiguous();
    const auto taps_t = taps.t().contiguous();  // (K, C)
    const ConvRowsGeometry g{x.size(0), x.size(1), x.size(2) / 3, taps.size(1)};
    const int64_t rows = positions.size(0);
    auto out = torch::empty({rows, g.channels}, x.options());   // (N, C)
    auto conv = torch::empty({rows, g.channels}, x.options());  // (N, C)
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "hyena_gated_conv_rows", [&] {
      hyena_rows_forward<scalar_t>(g, x.data_ptr<scalar_t>(), taps_t.data_ptr<scalar_t>(),
                                   positions.data_ptr<int64_t>(), rows, out.data_ptr<scalar_t>(),
                                   conv.data_ptr<scalar_t>());
    });
    ctx->save_for_backward({x, taps_t, positions, conv});
    return out;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& taps_t = saved[1];  // (K, C)
    const auto& positions = saved[2];
    const auto& conv = saved[3];
    const ConvRowsGeometry g{x.size(0), x.size(1), x.size(2) / 3, taps_t.size(0)};
    const auto grad_out = grad_outputs[0].contiguous();  // (N, C)
    auto h = torch::empty_like(grad_out);                // (N, C)
    auto grad_x = torch::empty_like(x);                  // (B, L, 3C): every example written
    auto grad_taps_t = torch::empty_like(taps_t);        // (K, C)
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "hyena_gated_conv_rows_backward", [&] {
      hyena_rows_backward<scalar_t>(
          g, x.data_ptr<scalar_t>(), taps_t.data_ptr<scalar_t>(), positions.data_ptr<int64_t>(),
          positions.size(0), conv.data_ptr<scalar_t>(), grad_out.data_ptr<scalar_t>(), h.data_ptr<scalar_t>(),
          grad_x.data_ptr<scalar_t>(), grad_taps_t.data_ptr<scalar_t>());
    });
    return {grad_x, grad_taps_t.t(), torch::Tensor()};
  }
};

bool fused_rows(const torch::Tensor& x, const torch::Tensor& taps) {
  return x.device().is_cpu() && taps.device().is_cpu() && x.scalar_type() == taps.scalar_type() &&
         (x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble);
}

}  // namespace

torch::Tensor hyena_gated_conv_rows(const torch::Tensor& x, const torch::Tensor& taps,
                                    const torch::Tensor& positions) {
  TORCH_CHECK(x.dim() == 3 && x.size(2) % 3 == 0 && taps.dim() == 2 && taps.size(0) == x.size(2) / 3 &&
                  taps.size(1) >= 1,
              "hyena_gated_conv_rows: x (B, L, 3C) and taps (C, K) expected, got ", x.sizes(), " and ",
              taps.sizes());
  const auto index = checked_row_positions("hyena_gated_conv_rows", positions, x.size(0) * x.size(1));
  if (!fused_rows(x, taps)) {
    return hyena_gated_conv_rows_reference(x, taps, index.to(x.device()));
  }
  return HyenaGatedConvRows::apply(x, taps, index);
}

torch::Tensor hyena_gated_conv_rows_reference(const torch::Tensor& x, const torch::Tensor& taps,
                                              const torch::Tensor& positions) {
  const auto whole = hyena_gated_conv_reference(x, taps);  // (B, L, C)
  return whole.reshape({-1, whole.size(-1)}).index_select(0, positions);
}

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
