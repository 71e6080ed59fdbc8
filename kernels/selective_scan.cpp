#include "kernels/selective_scan.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "kernels/chunking.h"

namespace zoolab::kernels {
namespace {

// ---- exponentials --------------------------------------------------------------------------------

// exp over a contiguous array. The scan spends much of its time here (2·B·D·L·N exponentials per
// forward+backward) and glibc's expf does not vectorise without -ffast-math, so floats use a
// Cephes-style exponential written to auto-vectorise at -O3 (no float compares, which
// -ftrapping-math keeps from being if-converted): |x| clamped to 87 through its bit pattern, 2^n
// by bit construction, a degree-6 polynomial on [-ln2/2, ln2/2]; relative error < 1e-7 on
// [-87, 87]. Below -87 it returns exp(-87) ≈ 1.6e-38 instead of a value closer to 0. Doubles keep
// std::exp (the tests compare in double).
inline void exp_inplace(double* __restrict v, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    v[i] = std::exp(v[i]);
  }
}

inline void exp_inplace(float* __restrict v, int64_t count) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;
  constexpr float kLn2Lo = -2.12194440e-4f;
  constexpr float kRound = 12582912.0f;       // 1.5·2^23: adding it leaves round(y) in the low bits
  constexpr int32_t kRoundBits = 0x4B400000;  // the bits of kRound
  constexpr int32_t kLimitBits = 0x42AE0000;  // the bits of 87.0f
  for (int64_t i = 0; i < count; ++i) {
    int32_t bits;
    std::memcpy(&bits, v + i, sizeof(bits));
    int32_t magnitude = bits & 0x7FFFFFFF;
    magnitude = magnitude > kLimitBits ? kLimitBits : magnitude;
    bits = (bits & static_cast<int32_t>(0x80000000u)) | magnitude;
    float x;
    std::memcpy(&x, &bits, sizeof(x));
    const float shifted = x * kLog2e + kRound;
    int32_t n_bits;
    std::memcpy(&n_bits, &shifted, sizeof(n_bits));
    const int32_t n_int = n_bits - kRoundBits;  // round(x / ln2), in [-126, 126]
    const float n = static_cast<float>(n_int);
    const float r = (x - n * kLn2Hi) - n * kLn2Lo;  // x - n·ln2
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    const int32_t scale_bits = (n_int + 127) << 23;  // 2^n
    float scale;
    std::memcpy(&scale, &scale_bits, sizeof(scale));
    v[i] = p * scale;
  }
}

// ---- shapes ---------------------------------------------------------------------------------------

void check_shapes(const torch::Tensor& u, const torch::Tensor& delta, const torch::Tensor& A,
                  const torch::Tensor& B, const torch::Tensor& C, const torch::Tensor& D,
                  const torch::Tensor& z, const torch::Tensor& delta_bias) {
  TORCH_CHECK(u.defined() && u.dim() == 3, "selective_scan: u must be (B, D, L), got ",
              u.defined() ? u.sizes() : torch::IntArrayRef{});
  const int64_t batch = u.size(0), dim = u.size(1), len = u.size(2);
  TORCH_CHECK(len > 0, "selective_scan: empty sequence (L = 0)");
  TORCH_CHECK(delta.defined() && delta.sizes() == u.sizes(),
              "selective_scan: delta must be (B, D, L) = ", u.sizes(), ", got ",
              delta.defined() ? delta.sizes() : torch::IntArrayRef{});
  TORCH_CHECK(A.defined() && A.dim() == 2 && A.size(0) == dim && A.size(1) > 0,
              "selective_scan: A must be (D, N) with D = ", dim, ", got ",
              A.defined() ? A.sizes() : torch::IntArrayRef{});
  TORCH_CHECK(!A.is_complex(), "selective_scan: complex A is not supported");
  const int64_t nstate = A.size(1);
  for (const auto* bc : {&B, &C}) {
    TORCH_CHECK(bc->defined() && bc->dim() == 3 && bc->size(0) == batch && bc->size(1) == nstate &&
                    bc->size(2) == len,
                "selective_scan: ", bc == &B ? "B" : "C", " must be (B, N, L) = (", batch, ", ", nstate, ", ",
                len, "), got ", bc->defined() ? bc->sizes() : torch::IntArrayRef{});
  }
  TORCH_CHECK(!D.defined() || (D.dim() == 1 && D.size(0) == dim),
              "selective_scan: D must be (D,) with D = ", dim, ", got ",
              D.defined() ? D.sizes() : torch::IntArrayRef{});
  TORCH_CHECK(!z.defined() || z.sizes() == u.sizes(), "selective_scan: z must be (B, D, L) = ", u.sizes(),
              ", got ", z.defined() ? z.sizes() : torch::IntArrayRef{});
  TORCH_CHECK(!delta_bias.defined() || (delta_bias.dim() == 1 && delta_bias.size(0) == dim),
              "selective_scan: delta_bias must be (D,) with D = ", dim, ", got ",
              delta_bias.defined() ? delta_bias.sizes() : torch::IntArrayRef{});
}

// Every tensor on the CPU in one dtype, float or double.
bool fast_path_applies(std::initializer_list<const torch::Tensor*> tensors) {
  const auto dtype = (*tensors.begin())->scalar_type();
  if (dtype != torch::kFloat && dtype != torch::kDouble) {
    return false;
  }
  for (const auto* t : tensors) {
    if (t->defined() && (!t->device().is_cpu() || t->scalar_type() != dtype)) {
      return false;
    }
  }
  return true;
}

// ---- the scan core --------------------------------------------------------------------------------
//
// The kernels below see only the recurrence y_t = Σ_n C_t,n x_t,n with x_t = exp(Δ_t A)·x_{t-1} +
// Δ_t B_t u_t, for given step sizes Δ. The elementwise rest (bias, softplus, D skip, silu gate and
// their gradients) runs as ATen ops around them, which are vectorised and parallel already. The
// inner loops run over the N states of one position with no reduction across them, so the
// compiler vectorises them; the sums over n are done afterwards, one position at a time.

// Raw views of the (contiguous) operands. B and C are transposed to (B, L, N) so that the states of
// one position sit next to each other.
template <typename T>
struct ScanData {
  int64_t batch = 0, dim = 0, len = 0, nstate = 0;
  const T* u = nullptr;   // (B, D, L)
  const T* dt = nullptr;  // (B, D, L) step sizes Δ
  const T* A = nullptr;   // (D, N)
  const T* Bt = nullptr;  // (B, L, N)
  const T* Ct = nullptr;  // (B, L, N)
};

template <typename T>
ScanData<T> scan_data(const torch::Tensor& u, const torch::Tensor& dt, const torch::Tensor& A,
                      const torch::Tensor& Bt, const torch::Tensor& Ct) {
  ScanData<T> s;
  s.batch = u.size(0);
  s.dim = u.size(1);
  s.len = u.size(2);
  s.nstate = A.size(1);
  s.u = u.data_ptr<T>();
  s.dt = dt.data_ptr<T>();
  s.A = A.data_ptr<T>();
  s.Bt = Bt.data_ptr<T>();
  s.Ct = Ct.data_ptr<T>();
  return s;
}

// Per-task scratch, one row (b, d) at a time: decay (L·N), states ((L+1)·N, row 0 = x_{-1} = 0),
// products (L·N).
template <typename T>
struct Scratch {
  Scratch(int64_t len, int64_t nstate)
      : decay(len * nstate), states((len + 1) * nstate, T(0)), products(len * nstate) {}
  std::vector<T> decay, states, products;
};

// Sum of each row of an (L, N) array: out[t] = Σ_n m[t, n].
template <typename T>
inline void row_sums(const T* __restrict m, int64_t len, int64_t nstate, T* __restrict out) {
  for (int64_t t = 0; t < len; ++t) {
    const T* row = m + t * nstate;
    T sum = 0;
    for (int64_t n = 0; n < nstate; ++n) {
      sum += row[n];
    }
    out[t] = sum;
  }
}

// Runs the recurrence of row (b, d): decay[t, n] = exp(Δ_t A_n), states[t+1, n] = x_t,n and
// products[t, n] = C_t,n x_t,n; y[t] = Σ_n products[t, n]. With keep_states false every x_t goes
// to states row 1 (the forward needs only y).
template <typename T>
void scan_row(const ScanData<T>& s, int64_t b, int64_t d, Scratch<T>& scratch, bool keep_states,
              T* __restrict y) {
  const int64_t len = s.len, nstate = s.nstate;
  const int64_t row = b * s.dim + d;
  const T* __restrict u = s.u + row * len;
  const T* __restrict dt = s.dt + row * len;
  const T* __restrict A = s.A + d * nstate;
  const T* __restrict Bt = s.Bt + b * len * nstate;
  const T* __restrict Ct = s.Ct + b * len * nstate;
  T* __restrict decay = scratch.decay.data();
  T* __restrict products = scratch.products.data();
  T* states = scratch.states.data();

  for (int64_t t = 0; t < len; ++t) {
    T* __restrict e = decay + t * nstate;
    const T step = dt[t];
    for (int64_t n = 0; n < nstate; ++n) {
      e[n] = step * A[n];
    }
  }
  exp_inplace(decay, len * nstate);  // one long vectorised pass

  for (int64_t t = 0; t < len; ++t) {
    const T* __restrict previous = states + (keep_states ? t : 1) * nstate;
    T* __restrict x = states + (keep_states ? t + 1 : 1) * nstate;
    const T* __restrict e = decay + t * nstate;
    const T* __restrict bt = Bt + t * nstate;
    const T* __restrict ct = Ct + t * nstate;
    T* __restrict q = products + t * nstate;
    const T du = dt[t] * u[t];
    if (keep_states || t > 0) {
      for (int64_t n = 0; n < nstate; ++n) {
        x[n] = e[n] * previous[n] + du * bt[n];
        q[n] = x[n] * ct[n];
      }
    } else {
      for (int64_t n = 0; n < nstate; ++n) {  // x_{-1} = 0 (and states row 1 may hold an old row)
        x[n] = du * bt[n];
        q[n] = x[n] * ct[n];
      }
    }
  }
  row_sums(products, len, nstate, y);
}

// Rows per task such that a task has at least ~32k state updates (tiny rows are not worth a task).
int64_t grain_rows(int64_t len, int64_t nstate) {
  return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, len * nstate));
}

template <typename T>
void forward_cpu(const ScanData<T>& s, T* y) {
  at::parallel_for(0, s.batch * s.dim, grain_rows(s.len, s.nstate), [&](int64_t begin, int64_t end) {
    Scratch<T> scratch(s.len, s.nstate);
    for (int64_t row = begin; row < end; ++row) {
      scan_row<T>(s, row / s.dim, row % s.dim, scratch, /*keep_states=*/false, y + row * s.len);
    }
  });
}

// Outputs of the backward core. dB/dC sum over channels and dA over the batch, so tasks write
// partial sums into slots no other task touches: task (b, g) handles the channels of group g in
// batch row b, writes dB/dC partials at [g, b] and dA partials at [b, d]; the partials are summed
// afterwards (deterministic for a given number of groups).
template <typename T>
struct CoreGrads {
  const T* gy = nullptr;  // (B, D, L) incoming gradient of y
  T* y = nullptr;         // (B, D, L) recomputed y (for the z gate's gradient)
  T* ddt = nullptr;       // (B, D, L)
  T* du = nullptr;        // (B, D, L) the scan's part of du
  T* dA = nullptr;        // (B, D, N) partials
  T* dBt = nullptr;       // (G, B, L, N) partials
  T* dCt = nullptr;       // (G, B, L, N) partials
};

// The reverse loop of one row (see backward_row), on raw pointers so the compiler can vectorise the
// loop over the states. h carries exp(Δ_{t+1}A)·h_{t+1}; on return decay[t] holds the terms of dΔ_t
// and products[t] those of Σ_n h B.
template <typename T>
void reverse_scan(const T* __restrict gy, const T* __restrict dt, const T* __restrict u,
                  const T* __restrict A, const T* __restrict Bt, const T* __restrict Ct,
                  const T* __restrict states, T* __restrict decay, T* __restrict products, T* __restrict h,
                  T* __restrict dA, T* __restrict dBt, T* __restrict dCt, int64_t len, int64_t nstate) {
  for (int64_t t = len - 1; t >= 0; --t) {
    const T g_t = gy[t], step = dt[t], u_t = u[t];
    T* __restrict e = decay + t * nstate;
    T* __restrict q = products + t * nstate;
    const T* __restrict x = states + (t + 1) * nstate;
    const T* __restrict x_prev = states + t * nstate;
    const T* __restrict bt = Bt + t * nstate;
    const T* __restrict ct = Ct + t * nstate;
    T* __restrict dbt = dBt + t * nstate;
    T* __restrict dct = dCt + t * nstate;
    for (int64_t n = 0; n < nstate; ++n) {
      const T ht = h[n] + g_t * ct[n];     // dL/dx_t,n
      const T de = ht * x_prev[n] * e[n];  // dL/d(Δ_t·A_n)
      dct[n] += g_t * x[n];
      dA[n] += de * step;
      dbt[n] += ht * step * u_t;
      h[n] = ht * e[n];
      e[n] = de * A[n] + ht * bt[n] * u_t;
      q[n] = ht * bt[n];
    }
  }
}

// Reverse scan of row (b, d). With h_t = dL/dx_t (total): h_t = gy_t C_t + exp(Δ_{t+1}A) h_{t+1};
// then dC_t += gy_t x_t, and through x_t = e_t x_{t-1} + Δ_t B_t u_t with e_t = exp(Δ_t A):
// dΔ_t = Σ_n (h e x_{t-1} A + h B u), dA += h e x_{t-1} Δ, dB_t += h Δ u, du_t = Δ_t Σ_n h B.
template <typename T>
void backward_row(const ScanData<T>& s, const CoreGrads<T>& g, int64_t b, int64_t d, int64_t group,
                  Scratch<T>& scratch, T* __restrict h) {
  const int64_t len = s.len, nstate = s.nstate;
  const int64_t row = b * s.dim + d;
  T* __restrict y = g.y + row * len;
  scan_row<T>(s, b, d, scratch, /*keep_states=*/true, y);

  const T* __restrict u = s.u + row * len;
  const T* __restrict dt = s.dt + row * len;
  const T* __restrict gy = g.gy + row * len;
  const T* __restrict A = s.A + d * nstate;
  const T* __restrict Bt = s.Bt + b * len * nstate;
  const T* __restrict Ct = s.Ct + b * len * nstate;
  T* __restrict dA = g.dA + row * nstate;
  const int64_t partial = (group * s.batch + b) * len * nstate;
  T* __restrict dBt = g.dBt + partial;
  T* __restrict dCt = g.dCt + partial;
  // After use, row t of decay holds the terms of dΔ_t and row t of products those of Σ_n h B.
  T* __restrict decay = scratch.decay.data();
  T* __restrict products = scratch.products.data();
  const T* __restrict states = scratch.states.data();

  std::fill(h, h + nstate, T(0));
  std::fill(dA, dA + nstate, T(0));
  reverse_scan(gy, dt, u, A, Bt, Ct, states, decay, products, h, dA, dBt, dCt, len, nstate);
  T* __restrict ddt = g.ddt + row * len;
  T* __restrict du = g.du + row * len;
  row_sums(decay, len, nstate, ddt);
  row_sums(products, len, nstate, du);
  for (int64_t t = 0; t < len; ++t) {
    du[t] *= dt[t];
  }
}

template <typename T>
void backward_cpu(const ScanData<T>& s, const CoreGrads<T>& g, int64_t groups) {
  at::parallel_for(0, s.batch * groups, 1, [&](int64_t begin, int64_t end) {
    Scratch<T> scratch(s.len, s.nstate);
    std::vector<T> h(s.nstate);
    for (int64_t task = begin; task < end; ++task) {
      const int64_t b = task / groups, group = task % groups;
      const int64_t first = group * s.dim / groups, last = (group + 1) * s.dim / groups;
      for (int64_t d = first; d < last; ++d) {
        backward_row(s, g, b, d, group, scratch, h.data());
      }
    }
  });
}

// ---- autograd -------------------------------------------------------------------------------------

// Optional inputs travel through autograd as c10::optional (an undefined tensor argument would be
// taken for a variable); inside, "absent" is an undefined tensor again.
torch::Tensor contiguous_or_undefined(const c10::optional<torch::Tensor>& t) {
  return t.has_value() && t->defined() ? t->contiguous() : torch::Tensor();
}

c10::optional<torch::Tensor> optional(const torch::Tensor& t) {
  return t.defined() ? c10::optional<torch::Tensor>(t) : c10::nullopt;
}

// delta + bias, before the softplus: (B, D, L).
torch::Tensor pre_step(const torch::Tensor& delta, const torch::Tensor& bias) {
  return bias.defined() ? delta + bias.view({1, -1, 1}) : delta;
}

class SelectiveScan : public torch::autograd::Function<SelectiveScan> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& u,
                               const torch::Tensor& delta, const torch::Tensor& A, const torch::Tensor& B,
                               const torch::Tensor& C, const c10::optional<torch::Tensor>& D,
                               const c10::optional<torch::Tensor>& z,
                               const c10::optional<torch::Tensor>& delta_bias, bool delta_softplus) {
    const auto uc = u.contiguous(), Ac = A.contiguous();
    const auto Bt = B.transpose(1, 2).contiguous();  // (B, L, N)
    const auto Ct = C.transpose(1, 2).contiguous();  // (B, L, N)
    const auto Dc = contiguous_or_undefined(D), zc = contiguous_or_undefined(z),
               bias = contiguous_or_undefined(delta_bias);
    const auto pre = pre_step(delta, bias);
    // torch's softplus (beta 1, threshold 20), as F.softplus in selective_scan_ref.
    const auto dt = (delta_softplus ? torch::softplus(pre, 1, 20) : pre).contiguous();  // (B, D, L)
    auto y = torch::empty_like(uc);                                                     // (B, D, L)
    AT_DISPATCH_FLOATING_TYPES(uc.scalar_type(), "selective_scan_forward", [&] {
      forward_cpu(scan_data<scalar_t>(uc, dt, Ac, Bt, Ct), y.data_ptr<scalar_t>());
    });
    if (Dc.defined()) {
      y.add_(uc * Dc.view({1, -1, 1}));
    }
    if (zc.defined()) {
      y.mul_(torch::silu(zc));
    }
    ctx->save_for_backward({uc, delta, Ac, Bt, Ct, Dc, zc, bias});
    ctx->saved_data["softplus"] = delta_softplus;
    return y;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &u = saved[0], &delta = saved[1], &A = saved[2], &Bt = saved[3], &Ct = saved[4], &D = saved[5],
               &z = saved[6], &bias = saved[7];
    const bool softplus = ctx->saved_data["softplus"].toBool();
    const auto gout = grad_outputs[0].contiguous();
    const int64_t batch = u.size(0), dim = u.size(1);

    const auto pre = pre_step(delta, bias);
    const auto dt = (softplus ? torch::softplus(pre, 1, 20) : pre).contiguous();
    // out = (y + D·u)·silu(z): the gradient reaching y.
    torch::Tensor gate_sigmoid;
    auto gy = gout;
    if (z.defined()) {
      gate_sigmoid = torch::sigmoid(z);
      gy = gout * z * gate_sigmoid;
    }
    gy = gy.contiguous();

    // Enough tasks for every thread even when the batch is small.
    const int64_t threads = std::max(1, at::get_num_threads());
    const int64_t groups = std::clamp<int64_t>((2 * threads + batch - 1) / batch, 1, dim);
    auto y = torch::empty_like(u), ddt = torch::empty_like(u), du = torch::empty_like(u);
    auto dA_partial = torch::empty({batch, dim, A.size(1)}, u.options());
    auto dBt_partial = torch::zeros({groups, batch, Bt.size(1), Bt.size(2)}, u.options());
    auto dCt_partial = torch::zeros_like(dBt_partial);
    AT_DISPATCH_FLOATING_TYPES(u.scalar_type(), "selective_scan_backward", [&] {
      CoreGrads<scalar_t> g;
      g.gy = gy.data_ptr<scalar_t>();
      g.y = y.data_ptr<scalar_t>();
      g.ddt = ddt.data_ptr<scalar_t>();
      g.du = du.data_ptr<scalar_t>();
      g.dA = dA_partial.data_ptr<scalar_t>();
      g.dBt = dBt_partial.data_ptr<scalar_t>();
      g.dCt = dCt_partial.data_ptr<scalar_t>();
      backward_cpu(scan_data<scalar_t>(u, dt, A, Bt, Ct), g, groups);
    });

    torch::Tensor dD, dz;
    if (D.defined()) {
      dD = (gy * u).sum(torch::IntArrayRef{0, 2});
      du.add_(gy * D.view({1, -1, 1}));
    }
    if (z.defined()) {
      // d silu(z)/dz = σ(z)·(1 + z·(1 - σ(z))).
      const auto skipped = D.defined() ? y + u * D.view({1, -1, 1}) : y;
      dz = gout * skipped * gate_sigmoid * (1 + z * (1 - gate_sigmoid));
    }
    // softplus' derivative: σ(x), and 1 above the threshold (torch's softplus_backward).
    auto ddelta = softplus ? ddt * torch::where(pre > 20, torch::ones_like(pre), torch::sigmoid(pre)) : ddt;
    torch::Tensor dbias = bias.defined() ? ddelta.sum(torch::IntArrayRef{0, 2}) : torch::Tensor();
    return {du,
            ddelta,
            dA_partial.sum(0),
            dBt_partial.sum(0).transpose(1, 2),  // (B, N, L)
            dCt_partial.sum(0).transpose(1, 2),  // (B, N, L)
            dD,
            dz,
            dbias,
            torch::Tensor()};
  }
};

}  // namespace

torch::Tensor selective_scan(const torch::Tensor& u, const torch::Tensor& delta, const torch::Tensor& A,
                             const torch::Tensor& B, const torch::Tensor& C, const torch::Tensor& D,
                             const torch::Tensor& z, const torch::Tensor& delta_bias, bool delta_softplus) {
  check_shapes(u, delta, A, B, C, D, z, delta_bias);
  if (!u.device().is_cpu()) {
    return selective_scan_chunked(u, delta, A, B, C, D, z, delta_bias, delta_softplus);
  }
  if (!fast_path_applies({&u, &delta, &A, &B, &C, &D, &z, &delta_bias})) {
    return selective_scan_reference(u, delta, A, B, C, D, z, delta_bias, delta_softplus);
  }
  return SelectiveScan::apply(u, delta, A, B, C, optional(D), optional(z), optional(delta_bias),
                              delta_softplus);
}

int64_t selective_scan_chunk_length(int64_t batch, int64_t dim, int64_t len, int64_t nstate,
                                    int64_t element_size, int64_t chunk_size) {
  TORCH_CHECK(chunk_size >= 1, "selective_scan_chunked: chunk_size must be at least 1, got ", chunk_size);
  const int64_t per_position = std::max<int64_t>(1, batch * dim * len * nstate * element_size);
  const int64_t fits = std::max<int64_t>(1, kSelectiveScanPairwiseBytes / per_position);
  return std::max<int64_t>(1, std::min({chunk_size, len, fits}));
}

torch::Tensor selective_scan_chunked(const torch::Tensor& u, const torch::Tensor& delta,
                                     const torch::Tensor& A, const torch::Tensor& B, const torch::Tensor& C,
                                     const torch::Tensor& D, const torch::Tensor& z,
                                     const torch::Tensor& delta_bias, bool delta_softplus,
                                     int64_t chunk_size) {
  check_shapes(u, delta, A, B, C, D, z, delta_bias);
  auto dt = delta_bias.defined() ? delta + delta_bias.unsqueeze(-1) : delta;  // (B, D, L)
  if (delta_softplus) {
    dt = torch::softplus(dt, /*beta=*/1, /*threshold=*/20);
  }
  const int64_t batch = u.size(0), dim = u.size(1), len = u.size(2), nstate = A.size(1);
  const int64_t chunk = selective_scan_chunk_length(batch, dim, len, nstate, u.element_size(), chunk_size);
  constexpr double kInf = std::numeric_limits<double>::infinity();
  // Zeros appended to L: Δ = 0 is an inert step (no decay, no input), and the padded positions only
  // reach outputs past L, which are cut.
  const auto dtc = split_into_chunks(dt, chunk);  // (B, D, n, c)
  const int64_t chunks = dtc.size(2);
  const auto xc = split_into_chunks(dt * u, chunk).unsqueeze(3);  // (B, D, n, 1, c): Δ u
  const auto Bc =
      split_into_chunks(B.transpose(1, 2).unsqueeze(1), chunk).permute({0, 1, 2, 4, 3});  // (B,1,n,N,c)
  const auto Cc =
      split_into_chunks(C.transpose(1, 2).unsqueeze(1), chunk).permute({0, 1, 2, 4, 3});  // (B,1,n,N,c)
  const auto cs = (dtc.unsqueeze(3) * A.view({1, dim, 1, nstate, 1})).cumsum(-1);         // (B, D, n, N, c)

  // Within a chunk: h_t,n = Σ_{s ≤ t} exp(cs_t,n - cs_s,n) Δ_s B_s,n u_s, the state each position
  // would have if the chunk started from zero. The difference is masked before the exp.
  const auto future = torch::ones({chunk, chunk}, u.options().dtype(torch::kBool)).triu(1);
  const auto decays =
      (cs.unsqueeze(-1) - cs.unsqueeze(-2)).masked_fill(future, -kInf).exp();  // (B,D,n,N,c,c)
  // A (c×c)·(c) product per (batch, channel, chunk, state): as a broadcast product and a sum over s, one
  // pass over the decays on any device (ATen's CPU bmm would dispatch each of the B·D·n·N tiny products).
  const auto inputs = (Bc * xc).unsqueeze(-2);    // (B,D,n,N,1,c)
  const auto within = (decays * inputs).sum(-1);  // (B,D,n,N,c)

  // Between chunks: the state entering chunk n is the one entering n-1 decayed over that chunk
  // (exp of its last cumulative decay) plus what n-1 built by its end (its last within-chunk state).
  const auto chunk_decay = cs.select(-1, chunk - 1).exp();  // (B, D, n, N)
  const auto chunk_state = within.select(-1, chunk - 1);    // (B, D, n, N)
  std::vector<torch::Tensor> entering;
  entering.reserve(static_cast<size_t>(chunks));
  auto h = torch::zeros({batch, dim, nstate}, u.options());  // (B, D, N)
  for (int64_t n = 0; n < chunks; ++n) {
    entering.push_back(h);
    if (n + 1 < chunks) {
      h = chunk_decay.select(2, n) * h + chunk_state.select(2, n);
    }
  }
  // The full state at each position: the entering state decayed from the chunk's start, plus within.
  const auto states = within + cs.exp() * torch::stack(entering, 2).unsqueeze(-1);          // (B, D, n, N, c)
  auto out = (states * Cc).sum(3).reshape({batch, dim, chunks * chunk}).narrow(2, 0, len);  // (B, D, L)
  if (D.defined()) {
    out = out + u * D.unsqueeze(-1);
  }
  if (z.defined()) {
    out = out * torch::silu(z);
  }
  return out;
}

torch::Tensor selective_scan_reference(const torch::Tensor& u, const torch::Tensor& delta,
                                       const torch::Tensor& A, const torch::Tensor& B, const torch::Tensor& C,
                                       const torch::Tensor& D, const torch::Tensor& z,
                                       const torch::Tensor& delta_bias, bool delta_softplus) {
  check_shapes(u, delta, A, B, C, D, z, delta_bias);
  auto dt = delta_bias.defined() ? delta + delta_bias.unsqueeze(-1) : delta;  // (B, D, L)
  if (delta_softplus) {
    dt = torch::softplus(dt, /*beta=*/1, /*threshold=*/20);
  }
  const int64_t batch = u.size(0), dim = u.size(1), len = u.size(2), nstate = A.size(1);
  const auto decay = torch::exp(dt.unsqueeze(-1) * A.unsqueeze(1));            // (B, D, L, N)
  const auto input = (dt * u).unsqueeze(-1) * B.transpose(1, 2).unsqueeze(1);  // (B, D, L, N)
  // unbind rather than select per step: the backward of L selects would zero-fill a full
  // (B, D, L, N) gradient per step (O(L²) memory traffic), unbind's backward stacks once.
  const auto decay_t = decay.unbind(2), input_t = input.unbind(2), C_t = C.unbind(2);
  auto x = torch::zeros({batch, dim, nstate}, u.options());  // (B, D, N)
  std::vector<torch::Tensor> ys;
  ys.reserve(len);
  for (int64_t t = 0; t < len; ++t) {
    x = decay_t[t] * x + input_t[t];                                // (B, D, N)
    ys.push_back(torch::bmm(x, C_t[t].unsqueeze(-1)).squeeze(-1));  // (B, D)
  }
  auto out = torch::stack(ys, 2);  // (B, D, L)
  if (D.defined()) {
    out = out + u * D.unsqueeze(-1);
  }
  if (z.defined()) {
    out = out * torch::silu(z);
  }
  return out;
}

}  // namespace zoolab::kernels
