#include "kernels/layer_norm_rows.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "kernels/causal_depthwise_conv_loops.h"
#include "kernels/cpu_features.h"

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#include <immintrin.h>
#define ZOOLAB_NORM_AVX512 1
#endif

namespace zoolab::kernels {
namespace {

// Partial sums per row: 16 floats are one AVX-512 register.
constexpr int64_t kLanes = 16;

template <typename T>
struct NormArgs {
  const T* x = nullptr;  // (N, D)
  const T* weight = nullptr;
  const T* bias = nullptr;
  const T* dy = nullptr;  // (N, D), backward only
  T* y = nullptr;         // forward: the output; backward: dx
  T* mean = nullptr;      // (N)
  T* rstd = nullptr;      // (N)
  int64_t width = 0;
  T eps = 0;
};

// The lanes added pairwise, halves onto halves: four dependent additions instead of fifteen in lane order.
template <typename T>
ZOOLAB_CONV_INLINE T lanes_total(T (&lanes)[kLanes]) {
  for (int64_t half = kLanes / 2; half > 0; half /= 2) {
    for (int64_t l = 0; l < half; ++l) {
      lanes[l] += lanes[l + half];
    }
  }
  return lanes[0];
}

struct NormForward {
  template <int64_t, typename T>
  static ZOOLAB_CONV_INLINE void run(const NormArgs<T>& p, int64_t begin, int64_t end) {
    const int64_t d = p.width, body = d - d % kLanes;
    for (int64_t r = begin; r < end; ++r) {
      const T* x = p.x + r * d;
      T lanes[kLanes] = {};
      for (int64_t i = 0; i < body; i += kLanes) {
        for (int64_t l = 0; l < kLanes; ++l) {
          lanes[l] += x[i + l];
        }
      }
      T sum = lanes_total(lanes);
      for (int64_t i = body; i < d; ++i) {
        sum += x[i];
      }
      const T mean = sum / static_cast<T>(d);
      // Two passes, not Σx² − mean²: no cancellation when |mean| is large against the spread.
      T squares[kLanes] = {};
      for (int64_t i = 0; i < body; i += kLanes) {
        for (int64_t l = 0; l < kLanes; ++l) {
          const T centred = x[i + l] - mean;
          squares[l] += centred * centred;
        }
      }
      T var = lanes_total(squares);
      for (int64_t i = body; i < d; ++i) {
        var += (x[i] - mean) * (x[i] - mean);
      }
      const T rstd = T(1) / std::sqrt(var / static_cast<T>(d) + p.eps);
      T* y = p.y + r * d;
      for (int64_t i = 0; i < d; ++i) {
        y[i] = (x[i] - mean) * rstd * p.weight[i] + p.bias[i];
      }
      p.mean[r] = mean;
      p.rstd[r] = rstd;
    }
  }
};

// dx for rows [begin, end), and dweight, dbias added into that part's partial sums.
struct NormBackward {
  template <int64_t, typename T>
  static ZOOLAB_CONV_INLINE void run(const NormArgs<T>& p, int64_t begin, int64_t end, T* dweight, T* dbias) {
    const int64_t d = p.width, body = d - d % kLanes;
    for (int64_t r = begin; r < end; ++r) {
      const T* x = p.x + r * d;
      const T* dy = p.dy + r * d;
      const T mean = p.mean[r], rstd = p.rstd[r];
      T g_lanes[kLanes] = {}, gx_lanes[kLanes] = {};
      for (int64_t i = 0; i < body; i += kLanes) {
        for (int64_t l = 0; l < kLanes; ++l) {
          const T x_hat = (x[i + l] - mean) * rstd;
          const T g = dy[i + l] * p.weight[i + l];
          g_lanes[l] += g;
          gx_lanes[l] += g * x_hat;
          dweight[i + l] += dy[i + l] * x_hat;
          dbias[i + l] += dy[i + l];
        }
      }
      T g_sum = lanes_total(g_lanes), gx_sum = lanes_total(gx_lanes);
      for (int64_t i = body; i < d; ++i) {
        const T x_hat = (x[i] - mean) * rstd;
        const T g = dy[i] * p.weight[i];
        g_sum += g;
        gx_sum += g * x_hat;
        dweight[i] += dy[i] * x_hat;
        dbias[i] += dy[i];
      }
      const T g_mean = g_sum / static_cast<T>(d), gx_mean = gx_sum / static_cast<T>(d);
      T* dx = p.y + r * d;
      for (int64_t i = 0; i < d; ++i) {
        const T x_hat = (x[i] - mean) * rstd;
        dx[i] = rstd * (dy[i] * p.weight[i] - g_mean - x_hat * gx_mean);
      }
    }
  }
};

#ifdef ZOOLAB_NORM_AVX512
// float rows of a multiple of 16 values (d_model 64: four registers a row) on AVX-512: the same three
// passes with the sums in registers and a tree reduction at the end of each. GCC keeps the generic loops'
// lanes on the stack: 127–161 µs a forward over 4,096 rows against 73–86 µs here (bench_kernels, one
// thread).
#define ZOOLAB_NORM_TARGET __attribute__((target("avx512f")))

// The 16 lanes' sum, halves folded onto halves. The zero-masked forms with every lane selected: GCC 12's
// unmasked ones (and _mm512_reduce_add_ps) start from an undefined register its own header then warns of.
ZOOLAB_NORM_TARGET inline float register_sum(__m512 v) {
  constexpr __mmask16 kAll = 0xFFFF;
  v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(kAll, v, v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(kAll, v, v, _MM_SHUFFLE(2, 3, 0, 1)));
  v = _mm512_add_ps(v, _mm512_maskz_permute_ps(kAll, v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm512_add_ps(v, _mm512_maskz_permute_ps(kAll, v, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm512_cvtss_f32(v);
}

ZOOLAB_NORM_TARGET void forward_rows_avx512(const NormArgs<float>& p, int64_t begin, int64_t end) {
  const int64_t d = p.width;
  const float width = static_cast<float>(d);
  for (int64_t r = begin; r < end; ++r) {
    const float* x = p.x + r * d;
    __m512 sum = _mm512_setzero_ps();
    for (int64_t i = 0; i < d; i += 16) {
      sum = _mm512_add_ps(sum, _mm512_loadu_ps(x + i));
    }
    const float mean = register_sum(sum) / width;
    const __m512 mean_v = _mm512_set1_ps(mean);
    __m512 squares = _mm512_setzero_ps();
    for (int64_t i = 0; i < d; i += 16) {
      const __m512 centred = _mm512_sub_ps(_mm512_loadu_ps(x + i), mean_v);
      squares = _mm512_fmadd_ps(centred, centred, squares);
    }
    const float rstd = 1.0f / std::sqrt(register_sum(squares) / width + p.eps);
    const __m512 rstd_v = _mm512_set1_ps(rstd);
    float* y = p.y + r * d;
    for (int64_t i = 0; i < d; i += 16) {
      const __m512 x_hat = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), mean_v), rstd_v);
      _mm512_storeu_ps(y + i,
                       _mm512_fmadd_ps(x_hat, _mm512_loadu_ps(p.weight + i), _mm512_loadu_ps(p.bias + i)));
    }
    p.mean[r] = mean;
    p.rstd[r] = rstd;
  }
}

ZOOLAB_NORM_TARGET void backward_rows_avx512(const NormArgs<float>& p, int64_t begin, int64_t end,
                                             float* dweight, float* dbias) {
  const int64_t d = p.width;
  const float width = static_cast<float>(d);
  for (int64_t r = begin; r < end; ++r) {
    const float* x = p.x + r * d;
    const float* dy = p.dy + r * d;
    const __m512 mean_v = _mm512_set1_ps(p.mean[r]), rstd_v = _mm512_set1_ps(p.rstd[r]);
    __m512 g_sum = _mm512_setzero_ps(), gx_sum = _mm512_setzero_ps();
    for (int64_t i = 0; i < d; i += 16) {
      const __m512 x_hat = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), mean_v), rstd_v);
      const __m512 dy_v = _mm512_loadu_ps(dy + i);
      const __m512 g = _mm512_mul_ps(dy_v, _mm512_loadu_ps(p.weight + i));
      g_sum = _mm512_add_ps(g_sum, g);
      gx_sum = _mm512_fmadd_ps(g, x_hat, gx_sum);
      _mm512_storeu_ps(dweight + i, _mm512_fmadd_ps(dy_v, x_hat, _mm512_loadu_ps(dweight + i)));
      _mm512_storeu_ps(dbias + i, _mm512_add_ps(_mm512_loadu_ps(dbias + i), dy_v));
    }
    const __m512 g_mean = _mm512_set1_ps(register_sum(g_sum) / width);
    const __m512 gx_mean = _mm512_set1_ps(register_sum(gx_sum) / width);
    float* dx = p.y + r * d;
    for (int64_t i = 0; i < d; i += 16) {
      const __m512 x_hat = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), mean_v), rstd_v);
      const __m512 g = _mm512_mul_ps(_mm512_loadu_ps(dy + i), _mm512_loadu_ps(p.weight + i));
      const __m512 inner = _mm512_sub_ps(_mm512_sub_ps(g, g_mean), _mm512_mul_ps(x_hat, gx_mean));
      _mm512_storeu_ps(dx + i, _mm512_mul_ps(rstd_v, inner));
    }
  }
}
#endif

template <typename T>
bool vector_rows(const NormArgs<T>& p) {
#ifdef ZOOLAB_NORM_AVX512
  return std::is_same_v<T, float> && p.width % 16 == 0 && cpu_has_avx512f();
#else
  (void)p;
  return false;
#endif
}

template <typename T>
void forward_rows(const NormArgs<T>& p, int64_t begin, int64_t end) {
#ifdef ZOOLAB_NORM_AVX512
  if constexpr (std::is_same_v<T, float>) {
    if (vector_rows(p)) {
      return forward_rows_avx512(p, begin, end);
    }
  }
#endif
  conv_loops::run_best_isa<NormForward>(p, begin, end);
}

template <typename T>
void backward_rows(const NormArgs<T>& p, int64_t begin, int64_t end, T* dweight, T* dbias) {
#ifdef ZOOLAB_NORM_AVX512
  if constexpr (std::is_same_v<T, float>) {
    if (vector_rows(p)) {
      return backward_rows_avx512(p, begin, end, dweight, dbias);
    }
  }
#endif
  conv_loops::run_best_isa<NormBackward>(p, begin, end, dweight, dbias);
}

// Rows per task: about 16k values, so that a task is worth a thread.
int64_t norm_grain(int64_t width) {
  return std::max<int64_t>(1, (1 << 14) / width);
}

// The operands both directions share: x, the weight, each row's mean and rstd, and the output (y forward,
// dx backward).
template <typename T>
NormArgs<T> norm_args(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& mean,
                      const torch::Tensor& rstd, torch::Tensor& out) {
  NormArgs<T> p;
  p.x = x.data_ptr<T>();
  p.weight = weight.data_ptr<T>();
  p.y = out.data_ptr<T>();
  p.mean = mean.data_ptr<T>();
  p.rstd = rstd.data_ptr<T>();
  p.width = x.size(-1);
  return p;
}

class LayerNormRows : public torch::autograd::Function<LayerNormRows> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
    const int64_t d = x.size(-1), rows = x.numel() / d;
    auto y = torch::empty_like(x);                  // (..., D)
    auto mean = torch::empty({rows}, x.options());  // (N)
    auto rstd = torch::empty({rows}, x.options());  // (N)
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "layer_norm_rows_forward", [&] {
      auto p = norm_args<scalar_t>(x, weight, mean, rstd, y);
      p.bias = bias.data_ptr<scalar_t>();
      p.eps = static_cast<scalar_t>(eps);
      at::parallel_for(0, rows, norm_grain(d),
                       [&](int64_t begin, int64_t end) { forward_rows(p, begin, end); });
    });
    ctx->save_for_backward({x, weight, mean, rstd});
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &weight = saved[1], &mean = saved[2], &rstd = saved[3];
    const auto dy = grad_outputs[0].contiguous();  // (..., D)
    const int64_t d = x.size(-1), rows = x.numel() / d;
    auto dx = torch::empty_like(x);
    // One part a thread, each with its own (2, D) partial sums, added in part order at the end.
    const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(rows, at::get_num_threads()));
    auto partials = torch::zeros({parts, 2, d}, x.options());  // (parts, [dweight, dbias], D)
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "layer_norm_rows_backward", [&] {
      auto p = norm_args<scalar_t>(x, weight, mean, rstd, dx);
      p.dy = dy.data_ptr<scalar_t>();
      scalar_t* partial = partials.data_ptr<scalar_t>();
      at::parallel_for(0, parts, 1, [&](int64_t part_begin, int64_t part_end) {
        for (int64_t part = part_begin; part < part_end; ++part) {
          int64_t first = rows * part / parts, last = rows * (part + 1) / parts;
          scalar_t* dweight = partial + part * 2 * d;
          scalar_t* dbias = dweight + d;
          backward_rows(p, first, last, dweight, dbias);
        }
      });
    });
    const auto sums = partials.sum(0);  // (2, D)
    return {dx, sums[0], sums[1], torch::Tensor()};
  }
};

}  // namespace

torch::Tensor layer_norm_rows(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                              double eps) {
  TORCH_CHECK(x.dim() >= 1, "layer_norm_rows: x must have a last dimension, got ", x.sizes());
  const int64_t d = x.size(-1);
  TORCH_CHECK(!weight.defined() || (weight.dim() == 1 && weight.size(0) == d),
              "layer_norm_rows: weight must be (D) with D = ", d);
  TORCH_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == d),
              "layer_norm_rows: bias must be (D) with D = ", d);
  const auto dtype = x.scalar_type();
  const bool fused = weight.defined() && bias.defined() && x.numel() > 0 && x.device().is_cpu() &&
                     (dtype == torch::kFloat || dtype == torch::kDouble) && weight.device().is_cpu() &&
                     bias.device().is_cpu() && weight.scalar_type() == dtype && bias.scalar_type() == dtype;
  if (!fused) {
    return layer_norm_rows_reference(x, weight, bias, eps);
  }
  return LayerNormRows::apply(x.contiguous(), weight.contiguous(), bias.contiguous(), eps);
}

torch::Tensor layer_norm_rows_reference(const torch::Tensor& x, const torch::Tensor& weight,
                                        const torch::Tensor& bias, double eps) {
  return torch::layer_norm(x, {x.size(-1)}, weight, bias, eps);
}

}  // namespace zoolab::kernels
