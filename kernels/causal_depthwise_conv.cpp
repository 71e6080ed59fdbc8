#include "kernels/causal_depthwise_conv.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "kernels/causal_depthwise_conv_loops.h"

namespace zoolab::kernels {
namespace {

// One example's operands. Rows (positions) of x and dy are `*_row` elements apart, channels contiguous;
// taps_t is the (K, C) transpose of the taps, y/dx/dtaps contiguous.
template <typename T>
struct ConvArgs {
  const T* x = nullptr;
  int64_t x_batch = 0, x_row = 0;
  const T* dy = nullptr;
  int64_t dy_batch = 0, dy_row = 0;
  const T* taps_t = nullptr;  // (K, C)
  const T* bias = nullptr;    // (C) or null
  T* out = nullptr;           // y or dx: (B, L, C) contiguous
  int64_t len = 0, channels = 0, taps = 0;
};

// y[b, t] = bias + Σ_{j <= min(t, K-1)} taps[j] ⊙ x[b, t-j]: the taps walk x backwards from row t.
struct ForwardExamples {
  template <int64_t kBytes, typename T>
  static ZOOLAB_CONV_INLINE void run(const ConvArgs<T>& a, int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      const T* x = a.x + b * a.x_batch;
      T* y = a.out + b * a.len * a.channels;
      conv_loops::causal_rows<kBytes>(a.taps_t, x, a.x_row, a.len, a.taps, a.channels, a.bias, y, a.channels);
    }
  }
};

// The backward of examples [begin, end), one at a time (conv_loops::backward_example): dx into out when
// it is not null, the taps' and bias's gradients into partial and partial_bias when they are not.
struct BackwardExamples {
  template <int64_t kBytes, typename T>
  static ZOOLAB_CONV_INLINE void run(const ConvArgs<T>& a, int64_t begin, int64_t end, T* partial,
                                     T* partial_bias) {
    for (int64_t b = begin; b < end; ++b) {
      conv_loops::backward_example<kBytes>(
          a.taps_t, a.x + b * a.x_batch, a.x_row, a.dy + b * a.dy_batch, a.dy_row, a.len, a.taps, a.channels,
          a.out ? a.out + b * a.len * a.channels : nullptr, partial, partial_bias);
    }
  }
};

// The loops read channels with unit stride; anything else is copied once.
torch::Tensor unit_channel_stride(const torch::Tensor& t) {
  return t.stride(2) == 1 ? t : t.contiguous();
}

// Examples per parallel task: enough work per task that small inputs stay on one thread.
int64_t conv_grain(int64_t len, int64_t channels, int64_t taps) {
  return std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(1, len * channels * std::min(taps, len)));
}

template <typename T>
ConvArgs<T> make_conv_args(const torch::Tensor& x, const torch::Tensor& taps_t, int64_t taps) {
  ConvArgs<T> a;
  a.x = x.data_ptr<T>();
  a.x_batch = x.stride(0);
  a.x_row = x.stride(1);
  a.taps_t = taps_t.data_ptr<T>();
  a.len = x.size(1);
  a.channels = x.size(2);
  a.taps = taps;
  return a;
}

torch::Tensor conv_forward_cpu(const torch::Tensor& x, const torch::Tensor& taps, const torch::Tensor& bias) {
  const auto taps_t = taps.t().contiguous();  // (K, C)
  const auto bias_c = bias.defined() ? bias.contiguous() : bias;
  auto y = torch::empty(x.sizes(), x.options());  // (B, L, C)
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "causal_depthwise_conv_forward", [&] {
    auto a = make_conv_args<scalar_t>(x, taps_t, taps.size(1));
    a.bias = bias_c.defined() ? bias_c.data_ptr<scalar_t>() : nullptr;
    a.out = y.data_ptr<scalar_t>();
    at::parallel_for(0, x.size(0), conv_grain(a.len, a.channels, a.taps), [&](int64_t begin, int64_t end) {
      conv_loops::run_best_isa<ForwardExamples>(a, begin, end);
    });
  });
  return y;
}

struct ConvGrads {
  torch::Tensor x, taps, bias;
};

// The gradients asked for: of x (B, L, C), of the taps (C, K), of the bias (C). The examples are cut
// into one contiguous range a thread, each summing the taps' and bias's gradients into its own partials;
// the partials are added at the end in range order, so the result does not depend on the order the
// tasks run in.
ConvGrads conv_backward_cpu(const torch::Tensor& dy, const torch::Tensor& x, const torch::Tensor& taps,
                            bool want_x, bool want_taps, bool want_bias) {
  const int64_t batch = x.size(0), channels = x.size(2), n_taps = taps.size(1);
  const int64_t tasks = std::max<int64_t>(1, std::min<int64_t>(batch, at::get_num_threads()));
  const bool want_params = want_taps || want_bias;
  const auto taps_t = taps.t().contiguous();  // (K, C)
  ConvGrads grads;
  if (want_x) {
    grads.x = torch::empty(dy.sizes(), dy.options());
  }
  // (tasks, K + 1, C): rows 0..K-1 the taps, row K the bias.
  auto partials = want_params ? torch::zeros({tasks, n_taps + 1, channels}, x.options()) : torch::Tensor();
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "causal_depthwise_conv_backward", [&] {
    auto a = make_conv_args<scalar_t>(x, taps_t, n_taps);
    a.dy = dy.data_ptr<scalar_t>();
    a.dy_batch = dy.stride(0);
    a.dy_row = dy.stride(1);
    a.out = want_x ? grads.x.data_ptr<scalar_t>() : nullptr;
    scalar_t* p = want_params ? partials.data_ptr<scalar_t>() : nullptr;
    at::parallel_for(0, tasks, 1, [&](int64_t begin, int64_t end) {
      for (int64_t task = begin; task < end; ++task) {
        const int64_t first = batch * task / tasks, last = batch * (task + 1) / tasks;
        scalar_t* partial = p ? p + task * (n_taps + 1) * channels : nullptr;
        scalar_t* partial_bias = want_bias ? partial + n_taps * channels : nullptr;
        scalar_t* partial_taps = want_taps ? partial : nullptr;
        conv_loops::run_best_isa<BackwardExamples>(a, first, last, partial_taps, partial_bias);
      }
    });
  });
  if (want_params) {
    const auto total = partials.sum(0);  // (K + 1, C)
    if (want_taps) {
      grads.taps = total.narrow(0, 0, n_taps).t();
    }
    if (want_bias) {
      grads.bias = total.select(0, n_taps);
    }
  }
  return grads;
}

class CausalDepthwiseConv : public torch::autograd::Function<CausalDepthwiseConv> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& taps, const torch::Tensor& bias) {
    ctx->save_for_backward({x, taps});
    return conv_forward_cpu(x, taps, bias.numel() > 0 ? bias : torch::Tensor());
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &taps = saved[1];
    const auto dy = unit_channel_stride(grad_outputs[0]);  // (B, L, C)
    auto grads = conv_backward_cpu(dy, x, taps, ctx->needs_input_grad(0), ctx->needs_input_grad(1),
                                   ctx->needs_input_grad(2));
    return {grads.x, grads.taps, grads.bias};
  }
};

void check_conv_shapes(const torch::Tensor& x, const torch::Tensor& taps, const torch::Tensor& bias) {
  TORCH_CHECK(x.dim() == 3, "causal_depthwise_conv: x must be (B, L, C), got ", x.sizes());
  TORCH_CHECK(taps.dim() == 2 && taps.size(0) == x.size(2) && taps.size(1) >= 1,
              "causal_depthwise_conv: taps must be (C, K) with C = ", x.size(2), " and K >= 1, got ",
              taps.sizes());
  TORCH_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == x.size(2)),
              "causal_depthwise_conv: bias must be (C) with C = ", x.size(2), ", got ", bias.sizes());
}

}  // namespace

torch::Tensor causal_depthwise_conv(const torch::Tensor& x, const torch::Tensor& taps,
                                    const torch::Tensor& bias) {
  check_conv_shapes(x, taps, bias);
  const auto dtype = x.scalar_type();
  const bool fast = x.device().is_cpu() && taps.device().is_cpu() &&
                    (dtype == torch::kFloat || dtype == torch::kDouble) && taps.scalar_type() == dtype &&
                    (!bias.defined() || (bias.device().is_cpu() && bias.scalar_type() == dtype));
  if (!fast || x.numel() == 0) {
    return causal_depthwise_conv_reference(x, taps, bias);
  }
  // LibTorch 1.13's custom functions take no undefined inputs: no bias travels as an empty tensor.
  return CausalDepthwiseConv::apply(unit_channel_stride(x), taps, bias.defined() ? bias : x.new_empty({0}));
}

torch::Tensor causal_depthwise_conv_reference(const torch::Tensor& x, const torch::Tensor& taps,
                                              const torch::Tensor& bias) {
  check_conv_shapes(x, taps, bias);
  const int64_t len = x.size(1);
  auto y = x * taps.select(1, 0);  // (B, L, C)
  for (int64_t lag = 1; lag < std::min(taps.size(1), len); ++lag) {
    // y[:, t] += taps[:, lag] · x[:, t - lag] for t >= lag: x shifted down by `lag` rows.
    y = y + torch::constant_pad_nd(x.narrow(1, 0, len - lag) * taps.select(1, lag), {0, 0, lag, 0}, 0.0);
  }
  return bias.defined() ? y + bias : y;
}

}  // namespace zoolab::kernels
