#include "kernels/gated_causal_conv.h"

#include <algorithm>
#include <type_traits>
#include <utility>
#include <vector>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "kernels/causal_depthwise_conv.h"
#include "kernels/causal_depthwise_conv_loops.h"

namespace zoolab::kernels {
namespace {

// A (B, L, C) operand: element (b, t, c) at data[b·batch + t·row + c].
template <typename T>
struct GatedRows {
  T* data = nullptr;
  int64_t batch = 0, row = 0;
  T* example(int64_t b) const { return data + b * batch; }
};

template <typename T>
GatedRows<T> gated_rows(const torch::Tensor& t) {
  return {t.data_ptr<std::remove_const_t<T>>(), t.stride(0), t.stride(1)};
}

// z = g ⊙ (bias + taps ⋆ (a ⊙ b)) [+ a], b optional. Forward writes z and the convolution c (kept
// for the backward); the backward writes da, db, dg and adds into (K, C) and (C) partial sums.
template <typename T>
struct GatedArgs {
  GatedRows<const T> a, b, g, dz;  // b.data null: no product stream
  GatedRows<T> z, c, da, db, dg;
  const T* taps_t = nullptr;  // (K, C)
  const T* bias = nullptr;    // (C) or null
  bool residual = false;
  int64_t len = 0, channels = 0, taps = 0;
};

// The convolved stream of one example: a ⊙ b into `buffer`, or a itself.
template <typename T>
ZOOLAB_CONV_INLINE const T* gated_conv_input(const GatedArgs<T>& p, int64_t b, T* buffer, int64_t* row) {
  const T* a = p.a.example(b);
  if (!p.b.data) {
    *row = p.a.row;
    return a;
  }
  const T* bb = p.b.example(b);
  for (int64_t t = 0; t < p.len; ++t) {
    for (int64_t c = 0; c < p.channels; ++c) {
      buffer[t * p.channels + c] = a[t * p.a.row + c] * bb[t * p.b.row + c];
    }
  }
  *row = p.channels;
  return buffer;
}

struct GatedForward {
  template <int64_t kBytes, typename T>
  static ZOOLAB_CONV_INLINE void run(const GatedArgs<T>& p, int64_t begin, int64_t end, T* buffer) {
    const int64_t ch = p.channels;
    for (int64_t b = begin; b < end; ++b) {
      int64_t v_row = 0;
      const T* v = gated_conv_input(p, b, buffer, &v_row);
      T* c = p.c.example(b);
      conv_loops::causal_rows<kBytes>(p.taps_t, v, v_row, p.len, p.taps, ch, p.bias, c, ch);
      const T* g = p.g.example(b);
      const T* a = p.a.example(b);
      T* z = p.z.example(b);
      for (int64_t t = 0; t < p.len; ++t) {
        for (int64_t k = 0; k < ch; ++k) {
          z[t * ch + k] = g[t * p.g.row + k] * c[t * ch + k] + (p.residual ? a[t * p.a.row + k] : T(0));
        }
      }
    }
  }
};

// dc = dz ⊙ g and dg = dz ⊙ c; dv = the adjoint convolution of dc; da = dv ⊙ b (+ dz), db = dv ⊙ a;
// dtaps[j] += Σ_t dc[t] ⊙ v[t-j]; dbias += Σ_t dc[t]. buffer: three (L, C) scratch rows.
struct GatedBackward {
  template <int64_t kBytes, typename T>
  static ZOOLAB_CONV_INLINE void run(const GatedArgs<T>& p, int64_t begin, int64_t end, T* buffer,
                                     T* partial_taps, T* partial_bias) {
    const int64_t ch = p.channels, len = p.len, plane = len * ch;
    T* dc = buffer;
    T* dv = buffer + plane;
    T* product = buffer + 2 * plane;
    for (int64_t b = begin; b < end; ++b) {
      const T* dz = p.dz.example(b);
      const T* g = p.g.example(b);
      const T* c = p.c.example(b);
      T* dg = p.dg.example(b);
      for (int64_t t = 0; t < len; ++t) {
        for (int64_t k = 0; k < ch; ++k) {
          const T dzk = dz[t * p.dz.row + k];
          dc[t * ch + k] = dzk * g[t * p.g.row + k];
          dg[t * p.dg.row + k] = dzk * c[t * ch + k];
        }
      }
      conv_loops::adjoint_rows<kBytes>(p.taps_t, dc, ch, len, p.taps, ch, dv, ch);
      const T* a = p.a.example(b);
      T* da = p.da.example(b);
      if (p.b.data) {
        const T* bb = p.b.example(b);
        T* db = p.db.example(b);
        for (int64_t t = 0; t < len; ++t) {
          for (int64_t k = 0; k < ch; ++k) {
            const T dvk = dv[t * ch + k];
            da[t * p.da.row + k] = dvk * bb[t * p.b.row + k] + (p.residual ? dz[t * p.dz.row + k] : T(0));
            db[t * p.db.row + k] = dvk * a[t * p.a.row + k];
          }
        }
      } else {
        for (int64_t t = 0; t < len; ++t) {
          for (int64_t k = 0; k < ch; ++k) {
            da[t * p.da.row + k] = dv[t * ch + k] + (p.residual ? dz[t * p.dz.row + k] : T(0));
          }
        }
      }
      int64_t v_row = 0;
      const T* v = gated_conv_input(p, b, product, &v_row);
      conv_loops::correlate_example<kBytes>(v, v_row, dc, ch, len, ch, std::min(p.taps, len), partial_taps);
      if (partial_bias) {
        for (int64_t t = 0; t < len; ++t) {
          for (int64_t k = 0; k < ch; ++k) {
            partial_bias[k] += dc[t * ch + k];
          }
        }
      }
    }
  }
};

int64_t gated_grain(int64_t len, int64_t channels, int64_t taps) {
  return std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(1, len * channels * std::min(taps, len)));
}

// Runs the forward over all examples; `fill` sets the operands of `args` for scalar type T.
template <typename T>
void gated_forward(GatedArgs<T>& args, int64_t batch) {
  at::parallel_for(0, batch, gated_grain(args.len, args.channels, args.taps),
                   [&](int64_t begin, int64_t end) {
                     std::vector<T> scratch(args.b.data ? args.len * args.channels : 0);
                     T* buffer = scratch.data();
                     conv_loops::run_best_isa<GatedForward>(args, begin, end, buffer);
                   });
}

// Runs the backward in a fixed number of tasks, each with its own partial sums, added at the end so
// the result does not depend on the order the tasks run in. Returns (dtaps (C, K), dbias (C)).
template <typename T>
std::pair<torch::Tensor, torch::Tensor> gated_backward(GatedArgs<T>& args, int64_t batch,
                                                       const torch::TensorOptions& options, bool with_bias) {
  const int64_t tasks = std::max<int64_t>(1, std::min<int64_t>(batch, at::get_num_threads()));
  const int64_t ch = args.channels;
  torch::Tensor taps_partials = torch::zeros({tasks, args.taps, ch}, options);  // (tasks, K, C)
  torch::Tensor bias_partials = torch::zeros({tasks, with_bias ? ch : 0}, options);
  T* taps_p = taps_partials.data_ptr<T>();
  T* bias_p = bias_partials.data_ptr<T>();
  at::parallel_for(0, tasks, 1, [&](int64_t task_begin, int64_t task_end) {
    std::vector<T> scratch(3 * args.len * ch);
    T* buffer = scratch.data();
    for (int64_t task = task_begin; task < task_end; ++task) {
      const int64_t first = batch * task / tasks, last = batch * (task + 1) / tasks;
      T* partial_taps = taps_p + task * args.taps * ch;
      T* partial_bias = with_bias ? bias_p + task * ch : nullptr;
      conv_loops::run_best_isa<GatedBackward>(args, first, last, buffer, partial_taps, partial_bias);
    }
  });
  return {taps_partials.sum(0).t(), with_bias ? bias_partials.sum(0) : torch::Tensor()};
}

template <typename T>
void gated_set_common(GatedArgs<T>& p, const torch::Tensor& taps_t, int64_t len, int64_t channels,
                      int64_t taps) {
  p.taps_t = taps_t.data_ptr<T>();
  p.len = len;
  p.channels = channels;
  p.taps = taps;
}

torch::Tensor gated_unit_rows(const torch::Tensor& t) {
  return t.stride(2) == 1 ? t : t.contiguous();
}

// BaseConv's form: a = u, no product stream, gate g.
class GatedCausalConv : public torch::autograd::Function<GatedCausalConv> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& u,
                               const torch::Tensor& g, const torch::Tensor& taps, const torch::Tensor& bias,
                               bool residual) {
    const auto taps_t = taps.t().contiguous();  // (K, C)
    const bool with_bias = bias.numel() > 0;
    const auto bias_c = bias.contiguous();
    auto z = torch::empty(u.sizes(), u.options());  // (B, L, C)
    auto c = torch::empty(u.sizes(), u.options());  // (B, L, C): bias + taps ⋆ u
    AT_DISPATCH_FLOATING_TYPES(u.scalar_type(), "gated_causal_conv_forward", [&] {
      GatedArgs<scalar_t> p;
      p.a = gated_rows<const scalar_t>(u);
      p.g = gated_rows<const scalar_t>(g);
      p.z = gated_rows<scalar_t>(z);
      p.c = gated_rows<scalar_t>(c);
      p.bias = with_bias ? bias_c.data_ptr<scalar_t>() : nullptr;
      p.residual = residual;
      gated_set_common(p, taps_t, u.size(1), u.size(2), taps.size(1));
      gated_forward(p, u.size(0));
    });
    ctx->save_for_backward({u, g, taps, c});
    ctx->saved_data["residual"] = residual;
    ctx->saved_data["with_bias"] = with_bias;
    return z;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &u = saved[0], &g = saved[1], &taps = saved[2], &c = saved[3];
    const bool with_bias = ctx->saved_data["with_bias"].toBool();
    const auto dz = gated_unit_rows(grad_outputs[0]);  // (B, L, C)
    const auto taps_t = taps.t().contiguous();         // (K, C)
    auto du = torch::empty(u.sizes(), u.options());
    auto dg = torch::empty(u.sizes(), u.options());
    std::pair<torch::Tensor, torch::Tensor> grads;
    AT_DISPATCH_FLOATING_TYPES(u.scalar_type(), "gated_causal_conv_backward", [&] {
      GatedArgs<scalar_t> p;
      p.a = gated_rows<const scalar_t>(u);
      p.g = gated_rows<const scalar_t>(g);
      p.c = gated_rows<scalar_t>(c);
      p.dz = gated_rows<const scalar_t>(dz);
      p.da = gated_rows<scalar_t>(du);
      p.dg = gated_rows<scalar_t>(dg);
      p.residual = ctx->saved_data["residual"].toBool();
      gated_set_common(p, taps_t, u.size(1), u.size(2), taps.size(1));
      grads = gated_backward(p, u.size(0), u.options(), with_bias);
    });
    return {du, dg, grads.first, with_bias ? grads.second : torch::Tensor(), torch::Tensor()};
  }
};

// Hyena's short filter, formed one example at a time: s = bias + short ⋆ x over the 3C channels of the
// input projection x (B, L, 3C), into a (L, 3C) scratch that the gated convolution then reads its
// three streams s = [x1 | x2 | v] from, in cache. s is never stored: the backward forms it again.
template <typename T>
struct ShortFilterArgs {
  const T* x = nullptr;  // (B, L, 3C), rows `row` apart
  int64_t batch = 0, row = 0;
  const T* taps_t = nullptr;  // (S, 3C)
  const T* bias = nullptr;    // (3C)
  int64_t taps = 0, width = 0;
  T* dx = nullptr;  // (B, L, 3C) contiguous: the backward's output
};

// The gated operands in the scratch streams: a = v, product stream x1, gate x2, and their gradients
// when dstreams is given; every example at the same place (batch stride 0).
template <typename T>
void point_at_streams(GatedArgs<T>& p, const T* streams, T* dstreams, int64_t channels) {
  const int64_t width = 3 * channels;
  p.b = {streams, 0, width};
  p.g = {streams + channels, 0, width};
  p.a = {streams + 2 * channels, 0, width};
  if (dstreams) {
    p.db = {dstreams, 0, width};
    p.dg = {dstreams + channels, 0, width};
    p.da = {dstreams + 2 * channels, 0, width};
  }
}

struct HyenaForward {
  template <int64_t kBytes, typename T>
  static ZOOLAB_CONV_INLINE void run(const ShortFilterArgs<T>& f, const GatedArgs<T>& p, int64_t begin,
                                     int64_t end, T* streams, T* buffer) {
    for (int64_t b = begin; b < end; ++b) {
      conv_loops::causal_rows<kBytes>(f.taps_t, f.x + b * f.batch, f.row, p.len, f.taps, f.width, f.bias,
                                      streams, f.width);
      GatedForward::run<kBytes>(p, b, b + 1, buffer);
    }
  }
};

// The gated backward into the scratch ds, then the short filter's: dx = its adjoint applied to ds,
// dshort[j] += Σ_t ds[t] ⊙ x[t-j] and dbias += Σ_t ds[t] into partial_short (S + 1, 3C).
struct HyenaBackward {
  template <int64_t kBytes, typename T>
  static ZOOLAB_CONV_INLINE void run(const ShortFilterArgs<T>& f, const GatedArgs<T>& p, int64_t begin,
                                     int64_t end, T* streams, T* dstreams, T* buffer, T* partial_taps,
                                     T* partial_short) {
    const int64_t len = p.len, width = f.width;
    for (int64_t b = begin; b < end; ++b) {
      const T* x = f.x + b * f.batch;
      conv_loops::causal_rows<kBytes>(f.taps_t, x, f.row, len, f.taps, width, f.bias, streams, width);
      GatedBackward::run<kBytes>(p, b, b + 1, buffer, partial_taps, static_cast<T*>(nullptr));
      conv_loops::backward_example<kBytes>(f.taps_t, x, f.row, dstreams, width, len, f.taps, width,
                                           f.dx + b * len * width, partial_short,
                                           partial_short + f.taps * width);
    }
  }
};

template <typename T>
ShortFilterArgs<T> short_filter_args(const torch::Tensor& x, const torch::Tensor& short_t,
                                     const torch::Tensor& bias) {
  ShortFilterArgs<T> f;
  f.x = x.data_ptr<T>();
  f.batch = x.stride(0);
  f.row = x.stride(1);
  f.taps_t = short_t.data_ptr<T>();
  f.bias = bias.data_ptr<T>();
  f.taps = short_t.size(0);
  f.width = short_t.size(1);
  return f;
}

// Hyena's forward: z (B, L, C) and, with keep_c, the convolution c = taps ⋆ (x1 ⊙ v) (B, L, C) that the
// backward needs; without (no gradient wanted), each task's c lives in its scratch, one example at a
// time, and is never written to memory.
std::pair<torch::Tensor, torch::Tensor> hyena_forward_cpu(const torch::Tensor& x,
                                                          const torch::Tensor& short_taps,
                                                          const torch::Tensor& short_bias,
                                                          const torch::Tensor& taps, bool keep_c) {
  const int64_t batch = x.size(0), len = x.size(1), ch = taps.size(0);
  const auto short_t = short_taps.t().contiguous();      // (S, 3C)
  const auto bias_c = short_bias.contiguous();           // (3C)
  const auto taps_t = taps.t().contiguous();             // (K, C)
  auto z = torch::empty({batch, len, ch}, x.options());  // (B, L, C)
  auto c = keep_c ? torch::empty_like(z) : torch::Tensor();
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "hyena_gated_conv_forward", [&] {
    using T = scalar_t;
    const auto f = short_filter_args<T>(x, short_t, bias_c);
    GatedArgs<T> p;
    p.z = gated_rows<T>(z);
    if (keep_c) {
      p.c = gated_rows<T>(c);
    }
    gated_set_common(p, taps_t, len, ch, taps.size(1));
    at::parallel_for(0, batch, gated_grain(len, ch, taps.size(1)), [&](int64_t begin, int64_t end) {
      // The streams (L, 3C), then x1 ⊙ v (L, C), then c (L, C) when it is not kept.
      std::vector<T> scratch(len * (3 * ch + ch + (keep_c ? 0 : ch)));
      T* streams = scratch.data();
      T* buffer = streams + len * 3 * ch;
      GatedArgs<T> local = p;
      point_at_streams<T>(local, streams, nullptr, ch);
      if (!keep_c) {
        local.c = {buffer + len * ch, 0, ch};
      }
      conv_loops::run_best_isa<HyenaForward>(f, local, begin, end, streams, buffer);
    });
  });
  return {z, c};
}

// Hyena's form, from the input projection x through its short filter (short_taps (3C, S) by lag,
// short_bias (3C)) to z = x2 ⊙ (taps ⋆ (x1 ⊙ v)).
class HyenaGatedConv : public torch::autograd::Function<HyenaGatedConv> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& short_taps, const torch::Tensor& short_bias,
                               const torch::Tensor& taps) {
    auto [z, c] = hyena_forward_cpu(x, short_taps, short_bias, taps, /*keep_c=*/true);
    ctx->save_for_backward({x, short_taps, short_bias, taps, c});
    return z;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &short_taps = saved[1], &short_bias = saved[2], &taps = saved[3], &c = saved[4];
    const int64_t batch = x.size(0), len = x.size(1), ch = taps.size(0), width = 3 * ch;
    const int64_t n_short = short_taps.size(1), n_taps = taps.size(1);
    const auto dz = gated_unit_rows(grad_outputs[0]);  // (B, L, C)
    const auto short_t = short_taps.t().contiguous();  // (S, 3C)
    const auto bias_c = short_bias.contiguous();
    const auto taps_t = taps.t().contiguous();       // (K, C)
    auto dx = torch::empty(x.sizes(), x.options());  // (B, L, 3C), every element written
    // One contiguous range of examples a task, each with its own partial sums, added in task order.
    const int64_t tasks = std::max<int64_t>(1, std::min<int64_t>(batch, at::get_num_threads()));
    auto taps_partials = torch::zeros({tasks, n_taps, ch}, x.options());           // (tasks, K, C)
    auto short_partials = torch::zeros({tasks, n_short + 1, width}, x.options());  // (tasks, S + 1, 3C)
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "hyena_gated_conv_backward", [&] {
      using T = scalar_t;
      auto f = short_filter_args<T>(x, short_t, bias_c);
      f.dx = dx.data_ptr<T>();
      GatedArgs<T> p;
      p.c = gated_rows<T>(c);
      p.dz = gated_rows<const T>(dz);
      gated_set_common(p, taps_t, len, ch, n_taps);
      T* taps_p = taps_partials.data_ptr<T>();
      T* short_p = short_partials.data_ptr<T>();
      at::parallel_for(0, tasks, 1, [&](int64_t task_begin, int64_t task_end) {
        // The streams and their gradient (L, 3C) each, then the gated backward's three (L, C) rows.
        std::vector<T> scratch(len * (2 * width + 3 * ch));
        T* streams = scratch.data();
        T* dstreams = streams + len * width;
        T* buffer = dstreams + len * width;
        GatedArgs<T> local = p;
        point_at_streams<T>(local, streams, dstreams, ch);
        for (int64_t task = task_begin; task < task_end; ++task) {
          const int64_t first = batch * task / tasks, last = batch * (task + 1) / tasks;
          T* partial_taps = taps_p + task * n_taps * ch;
          T* partial_short = short_p + task * (n_short + 1) * width;
          conv_loops::run_best_isa<HyenaBackward>(f, local, first, last, streams, dstreams, buffer,
                                                  partial_taps, partial_short);
        }
      });
    });
    const auto short_total = short_partials.sum(0);  // (S + 1, 3C)
    return {dx, short_total.narrow(0, 0, n_short).t(), short_total.select(0, n_short),
            taps_partials.sum(0).t()};
  }
};

bool gated_fused_ok(const torch::Tensor& x, std::initializer_list<torch::Tensor> others) {
  const auto dtype = x.scalar_type();
  if (!x.device().is_cpu() || (dtype != torch::kFloat && dtype != torch::kDouble) || x.numel() == 0) {
    return false;
  }
  for (const auto& t : others) {
    if (t.defined() && (!t.device().is_cpu() || t.scalar_type() != dtype)) {
      return false;
    }
  }
  return true;
}

}  // namespace

torch::Tensor gated_causal_conv(const torch::Tensor& u, const torch::Tensor& g, const torch::Tensor& taps,
                                const torch::Tensor& bias, bool residual) {
  TORCH_CHECK(u.dim() == 3 && g.sizes() == u.sizes(),
              "gated_causal_conv: u and g must be (B, L, C) alike, got ", u.sizes(), " and ", g.sizes());
  TORCH_CHECK(taps.dim() == 2 && taps.size(0) == u.size(2) && taps.size(1) >= 1,
              "gated_causal_conv: taps must be (C, K) with C = ", u.size(2), ", got ", taps.sizes());
  TORCH_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == u.size(2)),
              "gated_causal_conv: bias must be (C) with C = ", u.size(2));
  if (!gated_fused_ok(u, {g, taps, bias})) {
    return gated_causal_conv_reference(u, g, taps, bias, residual);
  }
  // LibTorch 1.13's custom functions take no undefined inputs: no bias travels as an empty tensor.
  return GatedCausalConv::apply(gated_unit_rows(u), gated_unit_rows(g), taps,
                                bias.defined() ? bias : u.new_empty({0}), residual);
}

torch::Tensor gated_causal_conv_reference(const torch::Tensor& u, const torch::Tensor& g,
                                          const torch::Tensor& taps, const torch::Tensor& bias,
                                          bool residual) {
  auto z = g * causal_depthwise_conv_reference(u, taps, bias);
  return residual ? z + u : z;
}

torch::Tensor hyena_gated_conv(const torch::Tensor& x, const torch::Tensor& short_taps,
                               const torch::Tensor& short_bias, const torch::Tensor& taps) {
  TORCH_CHECK(taps.dim() == 2 && taps.size(1) >= 1, "hyena_gated_conv: taps must be (C, K), got ",
              taps.sizes());
  TORCH_CHECK(x.dim() == 3 && x.size(2) == 3 * taps.size(0),
              "hyena_gated_conv: x must be (B, L, 3C) with C = ", taps.size(0), ", got ", x.sizes());
  TORCH_CHECK(short_taps.dim() == 2 && short_taps.size(0) == x.size(2) && short_taps.size(1) >= 1,
              "hyena_gated_conv: short_taps must be (3C, S) with 3C = ", x.size(2), ", got ",
              short_taps.sizes());
  TORCH_CHECK(short_bias.dim() == 1 && short_bias.size(0) == x.size(2),
              "hyena_gated_conv: short_bias must be (3C) with 3C = ", x.size(2), ", got ",
              short_bias.sizes());
  if (!gated_fused_ok(x, {short_taps, short_bias, taps})) {
    return hyena_gated_conv_reference(x, short_taps, short_bias, taps);
  }
  if (!torch::GradMode::is_enabled()) {
    return hyena_forward_cpu(gated_unit_rows(x), short_taps, short_bias, taps, /*keep_c=*/false).first;
  }
  return HyenaGatedConv::apply(gated_unit_rows(x), short_taps, short_bias, taps);
}

torch::Tensor hyena_gated_conv_reference(const torch::Tensor& x, const torch::Tensor& short_taps,
                                         const torch::Tensor& short_bias, const torch::Tensor& taps) {
  const auto streams = causal_depthwise_conv_reference(x, short_taps, short_bias).chunk(3, 2);  // x1, x2, v
  return streams[1] * causal_depthwise_conv_reference(streams[0] * streams[2], taps);
}

}  // namespace zoolab::kernels
