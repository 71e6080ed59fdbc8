#include "kernels/wkv.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "kernels/chunking.h"

namespace zoolab::kernels {
namespace {

// Channels per task: one cache line of floats, so a task reads whole lines of k, v and the output
// gradient while it walks over time (the layout is (B, T, C): channels are the fast axis).
constexpr int64_t kChannelBlock = 16;

// "No contribution yet": the running maximum exponent before the first token (as the CUDA kernel's
// MIN_VALUE); exp(kEmpty - x) underflows to 0 for any finite x, and it is finite in float.
constexpr double kEmpty = -1e38;

// One pair of weights e^{x - m}, e^{y - m} with m = max(x, y): one of them is exactly 1, so a
// single exp per pair suffices.
template <typename T>
struct Pair {
  T first, second, max;
};

template <typename T>
inline Pair<T> normalised_pair(T x, T y) {
  if (x >= y) {
    return {T(1), std::exp(y - x), x};
  }
  return {std::exp(x - y), T(1), y};
}

// The tensors of one call, as raw contiguous (B, T, C) data plus the per-channel w = -exp(time_decay)
// and u = time_first.
template <typename T>
struct Rows {
  const T* w;
  const T* u;
  const T* k;
  const T* v;
  int64_t batch, len, channels;
};

// Forward over channels [c0, c0 + n) of batch row b, walking over time. State per channel: the
// numerator a and denominator d of the past tokens' weighted average, both divided by e^p.
template <typename T>
void forward_block(const Rows<T>& r, T* y, int64_t b, int64_t c0, int64_t n) {
  T a[kChannelBlock], d[kChannelBlock], p[kChannelBlock];
  std::fill(a, a + n, T(0));
  std::fill(d, d + n, T(0));
  std::fill(p, p + n, T(kEmpty));
  for (int64_t t = 0; t < r.len; ++t) {
    const int64_t row = (b * r.len + t) * r.channels + c0;
    for (int64_t j = 0; j < n; ++j) {
      const int64_t c = c0 + j;
      const T kk = r.k[row + j], vv = r.v[row + j];
      // Output: the past (weight e^p) against the current token with its bonus u (weight e^{u+k}).
      const auto out = normalised_pair<T>(p[j], r.u[c] + kk);
      y[row + j] = (out.first * a[j] + out.second * vv) / (out.first * d[j] + out.second);
      // State: decay the past by e^w, add the current token with weight e^k.
      const auto next = normalised_pair<T>(r.w[c] + p[j], kk);
      a[j] = next.first * a[j] + next.second * vv;
      d[j] = next.first * d[j] + next.second;
      p[j] = next.max;
    }
  }
}

// Backward over the same block: a forward sweep that recomputes the outputs (keeping what the
// reverse sweep needs) and accumulates d/dw and d/du, then a reverse sweep that carries the sums of
// g_t / D_t (D_t the true denominator) seen by earlier tokens, again scaled by a running maximum.
// gw, gu receive this row's contributions to d/d time_decay and d/d time_first.
template <typename T>
void backward_block(const Rows<T>& r, const T* gy, T* gk, T* gv, T* gw, T* gu, int64_t b, int64_t c0,
                    int64_t n, std::vector<T>& scratch) {
  // Per (t, channel): the output y, z = 1 / (scaled denominator), e^{u+k_t} / D_t, and the
  // normalising exponent m_t (D_t = (scaled denominator) · e^{m_t}).
  const int64_t stride = r.len * n;
  scratch.resize(static_cast<size_t>(4 * stride));
  T* ys = scratch.data();
  T* zs = ys + stride;
  T* now_weights = zs + stride;
  T* exponents = now_weights + stride;

  T a[kChannelBlock], d[kChannelBlock], p[kChannelBlock];
  T da[kChannelBlock], dd[kChannelBlock];  // d a / d w, d d / d w, scaled like a and d
  T sum_w[kChannelBlock], sum_u[kChannelBlock];
  std::fill(a, a + n, T(0));
  std::fill(d, d + n, T(0));
  std::fill(p, p + n, T(kEmpty));
  std::fill(da, da + n, T(0));
  std::fill(dd, dd + n, T(0));
  std::fill(sum_w, sum_w + n, T(0));
  std::fill(sum_u, sum_u + n, T(0));
  for (int64_t t = 0; t < r.len; ++t) {
    const int64_t row = (b * r.len + t) * r.channels + c0;
    for (int64_t j = 0; j < n; ++j) {
      const int64_t c = c0 + j;
      const T kk = r.k[row + j], vv = r.v[row + j], g = gy[row + j];
      const auto out = normalised_pair<T>(p[j], r.u[c] + kk);
      const T z = T(1) / (out.first * d[j] + out.second);
      const T yy = (out.first * a[j] + out.second * vv) * z;
      const int64_t at = t * n + j;
      ys[at] = yy;
      zs[at] = z;
      now_weights[at] = out.second * z;
      exponents[at] = out.max;
      // dy/dw = (da - y·dd) / D (the current token's weight does not depend on w);
      // dy/du = e^{u+k}(v - y) / D.
      sum_w[j] += g * (da[j] - dd[j] * yy) * z * out.first;
      sum_u[j] += g * (vv - yy) * out.second * z;
      const auto next = normalised_pair<T>(r.w[c] + p[j], kk);
      // a' = e^w a + e^k v  ⇒  da' = e^w (a + da), likewise for d.
      da[j] = next.first * (a[j] + da[j]);
      dd[j] = next.first * (d[j] + dd[j]);
      a[j] = next.first * a[j] + next.second * vv;
      d[j] = next.first * d[j] + next.second;
      p[j] = next.max;
    }
  }
  for (int64_t j = 0; j < n; ++j) {
    // Chain rule through w = -exp(time_decay): d/d time_decay = (d/dw) · w.
    gw[j] = sum_w[j] * r.w[c0 + j];
    gu[j] = sum_u[j];
  }

  // Reverse sweep. For token i: gv_i = g_i e^{u+k_i}/D_i + e^{k_i} Σ_{t>i} e^{(t-1-i)w} g_t/D_t and
  // gk_i = g_i e^{u+k_i}(v_i - y_i)/D_i + e^{k_i} Σ_{t>i} e^{(t-1-i)w} g_t (v_i - y_t)/D_t.
  // sp = Σ e^{(t-1-i)w} g_t/D_t and sq = -Σ e^{(t-1-i)w} g_t y_t/D_t, both divided by e^s.
  T sp[kChannelBlock], sq[kChannelBlock], s[kChannelBlock];
  std::fill(sp, sp + n, T(0));
  std::fill(sq, sq + n, T(0));
  std::fill(s, s + n, T(kEmpty));
  for (int64_t t = r.len - 1; t >= 0; --t) {
    const int64_t row = (b * r.len + t) * r.channels + c0;
    for (int64_t j = 0; j < n; ++j) {
      const int64_t c = c0 + j;
      const int64_t at = t * n + j;
      const T kk = r.k[row + j], vv = r.v[row + j], g = gy[row + j];
      const T yy = ys[at];
      const T now = g * now_weights[at];
      const T later = std::exp(kk + s[j]);  // e^{k_i} times the scale of sp, sq (≤ 1)
      gk[row + j] = now * (vv - yy) + later * (sp[j] * vv + sq[j]);
      gv[row + j] = now + later * sp[j];
      // Fold g_t / D_t = g z e^{-m} into the sums: sp ← e^w sp + g z e^{-m}.
      const auto next = normalised_pair<T>(r.w[c] + s[j], -exponents[at]);
      const T fresh = next.second * g * zs[at];
      sp[j] = next.first * sp[j] + fresh;
      sq[j] = next.first * sq[j] - fresh * yy;
      s[j] = next.max;
    }
  }
}

// Runs `block(b, c0, n)` over every (batch row, channel block), in parallel.
template <typename Block>
void for_each_block(int64_t batch, int64_t channels, Block&& block) {
  const int64_t blocks = (channels + kChannelBlock - 1) / kChannelBlock;
  at::parallel_for(0, batch * blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t b = task / blocks, c0 = (task % blocks) * kChannelBlock;
      block(b, c0, std::min(kChannelBlock, channels - c0));
    }
  });
}

template <typename T>
Rows<T> rows_of(const torch::Tensor& w, const torch::Tensor& u, const torch::Tensor& k,
                const torch::Tensor& v) {
  return {w.data_ptr<T>(), u.data_ptr<T>(), k.data_ptr<T>(), v.data_ptr<T>(),
          k.size(0),       k.size(1),       k.size(2)};
}

class Wkv : public torch::autograd::Function<Wkv> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& time_decay,
                               const torch::Tensor& time_first, const torch::Tensor& k,
                               const torch::Tensor& v) {
    ctx->save_for_backward({time_decay, time_first, k, v});
    const auto w = -torch::exp(time_decay);  // Zoology's w = -exp(time_decay), taken here (see wkv.h)
    auto y = torch::empty_like(k);           // (B, T, C)
    AT_DISPATCH_FLOATING_TYPES(k.scalar_type(), "wkv_forward", [&] {
      const auto r = rows_of<scalar_t>(w, time_first, k, v);
      scalar_t* out = y.data_ptr<scalar_t>();
      for_each_block(r.batch, r.channels,
                     [&](int64_t b, int64_t c0, int64_t n) { forward_block(r, out, b, c0, n); });
    });
    return y;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& time_decay = saved[0];
    const auto& time_first = saved[1];
    const auto& k = saved[2];
    const auto& v = saved[3];
    const auto gy = grad_outputs[0].contiguous();  // (B, T, C)
    const auto w = -torch::exp(time_decay);
    auto gk = torch::empty_like(k);
    auto gv = torch::empty_like(v);
    // Per batch row first (each task owns its slots), summed over the batch after, as the CUDA
    // backward does.
    auto gw = torch::empty({k.size(0), k.size(2)}, k.options());  // (B, C)
    auto gu = torch::empty({k.size(0), k.size(2)}, k.options());  // (B, C)
    AT_DISPATCH_FLOATING_TYPES(k.scalar_type(), "wkv_backward", [&] {
      const auto r = rows_of<scalar_t>(w, time_first, k, v);
      const scalar_t* g = gy.data_ptr<scalar_t>();
      scalar_t* gk_data = gk.data_ptr<scalar_t>();
      scalar_t* gv_data = gv.data_ptr<scalar_t>();
      scalar_t* gw_data = gw.data_ptr<scalar_t>();
      scalar_t* gu_data = gu.data_ptr<scalar_t>();
      for_each_block(r.batch, r.channels, [&](int64_t b, int64_t c0, int64_t n) {
        thread_local std::vector<scalar_t> scratch;
        const int64_t slot = b * r.channels + c0;
        backward_block(r, g, gk_data, gv_data, gw_data + slot, gu_data + slot, b, c0, n, scratch);
      });
    });
    return {gw.sum(0), gu.sum(0), gk, gv};
  }
};

void check_shapes(const torch::Tensor& time_decay, const torch::Tensor& time_first, const torch::Tensor& k,
                  const torch::Tensor& v) {
  TORCH_CHECK(k.dim() == 3, "wkv: k must be (B, T, C), got ", k.sizes());
  TORCH_CHECK(v.sizes() == k.sizes(), "wkv: v must have k's shape ", k.sizes(), ", got ", v.sizes());
  TORCH_CHECK(time_decay.dim() == 1 && time_decay.size(0) == k.size(2),
              "wkv: time_decay must be (C,) with C = ", k.size(2), ", got ", time_decay.sizes());
  TORCH_CHECK(time_first.dim() == 1 && time_first.size(0) == k.size(2),
              "wkv: time_first must be (C,) with C = ", k.size(2), ", got ", time_first.sizes());
  TORCH_CHECK(time_decay.scalar_type() == k.scalar_type() && time_first.scalar_type() == k.scalar_type() &&
                  v.scalar_type() == k.scalar_type(),
              "wkv: time_decay, time_first, k and v must share one dtype");
}

}  // namespace

torch::Tensor wkv(const torch::Tensor& time_decay, const torch::Tensor& time_first, const torch::Tensor& k,
                  const torch::Tensor& v) {
  check_shapes(time_decay, time_first, k, v);
  const bool fast =
      k.device().is_cpu() && (k.scalar_type() == torch::kFloat || k.scalar_type() == torch::kDouble);
  if (!k.device().is_cpu()) {
    return wkv_chunked(time_decay, time_first, k, v);
  }
  if (!fast) {
    return wkv_reference(time_decay, time_first, k, v);
  }
  return Wkv::apply(time_decay.contiguous(), time_first.contiguous(), k.contiguous(), v.contiguous());
}

torch::Tensor wkv_reference(const torch::Tensor& time_decay, const torch::Tensor& time_first,
                            const torch::Tensor& k, const torch::Tensor& v) {
  check_shapes(time_decay, time_first, k, v);
  const auto w = -torch::exp(time_decay);  // (C,)
  const int64_t len = k.size(1);
  // Numerator a and denominator d of the past, divided by e^p. p is only a scale: the outputs do
  // not depend on its value, so it is detached and autograd differentiates the exact function.
  auto a = torch::zeros({k.size(0), k.size(2)}, k.options());  // (B, C)
  auto d = torch::zeros_like(a);
  auto p = torch::full_like(a, kEmpty);
  std::vector<torch::Tensor> outputs;
  outputs.reserve(static_cast<size_t>(len));
  for (int64_t t = 0; t < len; ++t) {
    const auto kt = k.select(1, t), vt = v.select(1, t);  // (B, C)
    const auto now = time_first + kt;
    auto m = torch::maximum(p, now).detach();
    auto past_weight = torch::exp(p - m), now_weight = torch::exp(now - m);
    outputs.push_back((past_weight * a + now_weight * vt) / (past_weight * d + now_weight));
    const auto decayed = w + p;
    m = torch::maximum(decayed, kt).detach();
    past_weight = torch::exp(decayed - m);
    now_weight = torch::exp(kt - m);
    a = past_weight * a + now_weight * vt;
    d = past_weight * d + now_weight;
    p = m;
  }
  return torch::stack(outputs, 1);  // (B, T, C)
}

torch::Tensor wkv_chunked(const torch::Tensor& time_decay, const torch::Tensor& time_first,
                          const torch::Tensor& k, const torch::Tensor& v, int64_t chunk_size) {
  check_shapes(time_decay, time_first, k, v);
  TORCH_CHECK(chunk_size >= 1, "wkv_chunked: chunk_size must be at least 1, got ", chunk_size);
  const int64_t batch = k.size(0), len = k.size(1), channels = k.size(2);
  if (len == 0) {
    return torch::zeros_like(k);
  }
  const int64_t chunk = std::min(chunk_size, len);
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const auto w = -torch::exp(time_decay);  // (C,)
  // Channels before time, so the chunks split the last axes: zeros appended to T are inert (they
  // only reach outputs past T, which are cut, and the state after the last chunk, which is unused).
  const auto kc = split_into_chunks(k.transpose(1, 2), chunk);  // (B, C, N, c)
  const auto vc = split_into_chunks(v.transpose(1, 2), chunk);  // (B, C, N, c)
  const int64_t chunks = kc.size(2);

  // Per channel, what is added to k_i in the logit of (output t, token i) of one chunk:
  // (t-1-i)·w for i < t, u for i = t, -inf for i > t (the future, weight 0).
  const auto position = torch::arange(chunk, k.options().requires_grad(false));       // (c,)
  const auto distance = (position.view({chunk, 1}) - 1 - position.view({1, chunk}));  // (c, c): t-1-i
  const auto before = torch::ones({chunk, chunk}, k.options().dtype(torch::kBool)).tril(-1);
  const auto diagonal = torch::eye(chunk, k.options().dtype(torch::kBool));
  const auto offsets = torch::where(
      before, distance * w.view({channels, 1, 1}),
      torch::where(diagonal, time_first.view({channels, 1, 1}), torch::full({1, 1, 1}, -kInf, k.options())));
  const auto logits = kc.unsqueeze(3) + offsets.unsqueeze(1);  // (B, C, N, c, c): [t, i]

  // What each chunk adds to the state by its end, relative to its own largest exponent:
  // Σ_i e^{(c-1-i)·w + k_i - M} v_i and Σ_i e^{(c-1-i)·w + k_i - M}.
  const auto to_end = kc + (chunk - 1 - position) * w.view({channels, 1, 1});  // (B, C, N, c)
  const auto chunk_max = std::get<0>(to_end.max(-1)).detach();                 // (B, C, N)
  const auto end_weights = torch::exp(to_end - chunk_max.unsqueeze(-1));       // (B, C, N, c)
  const auto chunk_num = (end_weights * vc).sum(-1);                           // (B, C, N)
  const auto chunk_den = end_weights.sum(-1);                                  // (B, C, N)

  // State passing, one step per chunk: the state entering chunk n decays by e^{c·w} over it and
  // takes what it added; (a, d) are divided by e^p, p detached as in the reference.
  const auto chunk_decay = w * static_cast<double>(chunk);  // (C,)
  auto a = torch::zeros({batch, channels}, k.options());    // (B, C)
  auto d = torch::zeros_like(a);
  auto p = torch::full_like(a, kEmpty);
  std::vector<torch::Tensor> nums, dens, maxima;
  nums.reserve(static_cast<size_t>(chunks));
  dens.reserve(static_cast<size_t>(chunks));
  maxima.reserve(static_cast<size_t>(chunks));
  for (int64_t n = 0; n < chunks; ++n) {
    nums.push_back(a);
    dens.push_back(d);
    maxima.push_back(p);
    if (n + 1 < chunks) {
      const auto decayed = p + chunk_decay;
      const auto fresh = chunk_max.select(2, n);
      const auto m = torch::maximum(decayed, fresh).detach();
      const auto past_weight = torch::exp(decayed - m), new_weight = torch::exp(fresh - m);
      a = past_weight * a + new_weight * chunk_num.select(2, n);
      d = past_weight * d + new_weight * chunk_den.select(2, n);
      p = m;
    }
  }
  const auto past_num = torch::stack(nums, 2);  // (B, C, N)
  const auto past_den = torch::stack(dens, 2);  // (B, C, N)
  // The past's log weight at output t of the chunk: p + t·w.
  const auto past_logit =
      torch::stack(maxima, 2).unsqueeze(-1) + position * w.view({channels, 1, 1});  // (B,C,N,c)

  // Each output row shifted by its own maximum (over the chunk's tokens and the past): the largest
  // weight is 1, so neither a large k nor a strong decay overflows or empties a row.
  const auto row_max = torch::maximum(std::get<0>(logits.max(-1)), past_logit).detach();  // (B, C, N, c)
  const auto weights = torch::exp(logits - row_max.unsqueeze(-1));                        // (B, C, N, c, c)
  const auto past_weight = torch::exp(past_logit - row_max);                              // (B, C, N, c)
  const auto num =
      torch::matmul(weights, vc.unsqueeze(-1)).squeeze(-1) + past_weight * past_num.unsqueeze(-1);
  const auto den = weights.sum(-1) + past_weight * past_den.unsqueeze(-1);
  const auto y = (num / den).reshape({batch, channels, chunks * chunk});  // (B, C, N·c)
  return y.narrow(2, 0, len).transpose(1, 2).contiguous();                // (B, T, C)
}

torch::Tensor wkv_weights(const torch::Tensor& time_decay, const torch::Tensor& time_first,
                          const torch::Tensor& k) {
  check_shapes(time_decay, time_first, k, k);
  const int64_t channels = k.size(2), len = k.size(1);
  const auto w = -torch::exp(time_decay).view({1, channels, 1, 1});  // (1, C, 1, 1)
  const auto positions = torch::arange(len, k.options().requires_grad(false));
  const auto distance = (positions.view({len, 1}) - 1 - positions.view({1, len}));  // (T, T): t - 1 - i
  const auto keys = k.permute({0, 2, 1}).unsqueeze(2);                              // (B, C, 1, T): k_i
  auto logits = distance * w + keys;                                                // (B, C, T, T)
  const auto diagonal = torch::eye(len, k.options().dtype(torch::kBool));
  logits = torch::where(diagonal, time_first.view({1, channels, 1, 1}) + keys, logits);
  const auto future = torch::ones({len, len}, k.options().dtype(torch::kBool)).triu(1);
  return torch::softmax(logits.masked_fill(future, -std::numeric_limits<double>::infinity()), -1);
}

}  // namespace zoolab::kernels
