#include "kernels/fft_conv.h"

#include <torch/torch.h>

#include "kernels/batched_matmul.h"

namespace zoolab::kernels {
namespace {

// y = first L samples of the circular convolution, of size n = 2L, of u zero-padded to n with k
// trimmed or zero-padded to n. Everything is linear, so the gradients are the adjoint operators:
//   du = first L samples of the circular correlation of dy (zero-padded) with k_n,
//   dk_n = Σ_b circular correlation of dy with u, of which k keeps its first min(Lk, n) taps.
// A correlation is a product with the conjugate spectrum, so each costs one rfft and one irfft.
class FftConv : public torch::autograd::Function<FftConv> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& u,
                               const torch::Tensor& k) {
    const int64_t seq_len = u.size(2), n = 2 * seq_len;
    const auto u_f = torch::fft::rfft(u, n);                          // (B, D, L+1)
    const auto k_f = torch::fft::rfft(k, n);                          // (D, L+1)
    auto y = torch::fft::irfft(u_f * k_f, n).narrow(-1, 0, seq_len);  // (B, D, L)
    ctx->save_for_backward({u_f, k_f});
    ctx->saved_data["filter_len"] = k.size(1);
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &u_f = saved[0], &k_f = saved[1];
    const auto& grad_y = grad_outputs[0];  // (B, D, L)
    const int64_t seq_len = grad_y.size(2), n = 2 * seq_len;
    const int64_t filter_len = ctx->saved_data["filter_len"].toInt();
    const auto g_f = torch::fft::rfft(grad_y, n);  // (B, D, L+1)
    torch::Tensor grad_u, grad_k;
    if (ctx->needs_input_grad(0)) {
      grad_u = torch::fft::irfft(g_f * k_f.conj(), n).narrow(-1, 0, seq_len);  // (B, D, L)
    }
    if (ctx->needs_input_grad(1)) {
      auto full = torch::fft::irfft((g_f * u_f.conj()).sum(0), n);  // (D, n)
      // Taps past n never entered the FFT (rfft trimmed them): their gradient is zero.
      grad_k = filter_len <= n ? full.narrow(-1, 0, filter_len).contiguous()
                               : torch::constant_pad_nd(full, {0, filter_len - n}, 0.0);  // (D, Lk)
    }
    return {grad_u, grad_k};
  }
};

// The same convolution as a product with each channel's (L, L) matrix T[s, t] = k_n[(t - s) mod n]:
// for t >= s that is the causal tap t - s; for t < s it is tap t - s + n > L, zero for a causal filter
// and the wrapped-around tap of Zoology's whole-filter convolution otherwise. The matrices are
// sliding windows (unfold) over the taps in the order they occur along a row, reversed; autograd
// differentiates the windows and the product.
torch::Tensor toeplitz_conv(const torch::Tensor& u, const torch::Tensor& k_n) {
  const int64_t seq_len = u.size(2), n = 2 * seq_len;
  // (D, 2L-1): the wrapped taps k_n[n-L+1 .. n-1], then k_n[0 .. L-1], so T[s, t] = row[L-1 + t - s].
  const auto row = torch::cat({k_n.narrow(1, n - seq_len + 1, seq_len - 1), k_n.narrow(1, 0, seq_len)}, 1);
  const auto matrices = row.unfold(1, seq_len, 1).flip({1});           // (D, L, L): window L-1-s is row s
  return batched_matmul(u.transpose(0, 1), matrices).transpose(0, 1);  // (B, D, L)
}

// The first n taps of k, zero-padded to n when k is shorter: what rfft(k, n) sees.
torch::Tensor first_taps(const torch::Tensor& k, int64_t n) {
  return k.size(1) >= n ? k.narrow(1, 0, n) : torch::constant_pad_nd(k, {0, n - k.size(1)}, 0.0);
}

bool use_toeplitz(ConvPath path, int64_t seq_len) {
  return path == ConvPath::kToeplitz || (path == ConvPath::kAuto && seq_len <= kToeplitzMaxLen);
}

void check_shapes(const char* name, const torch::Tensor& u, const torch::Tensor& k) {
  TORCH_CHECK(u.dim() == 3, name, ": u must be (B, D, L), got ", u.sizes());
  TORCH_CHECK(k.dim() == 2 && k.size(0) == u.size(1), name, ": k must be (D, Lk) with D = ", u.size(1),
              ", got ", k.sizes());
}

}  // namespace

ConvPath device_conv_path(const torch::Tensor& u, ConvPath path) {
  return path == ConvPath::kAuto && !u.device().is_cpu() ? ConvPath::kFft : path;
}

torch::Tensor causal_fft_conv(const torch::Tensor& u, const torch::Tensor& k, ConvPath requested) {
  check_shapes("causal_fft_conv", u, k);
  const ConvPath path = device_conv_path(u, requested);
  const int64_t seq_len = u.size(2);
  TORCH_CHECK(k.size(1) >= seq_len, "causal_fft_conv: filter of length ", k.size(1),
              " is shorter than the sequence (", seq_len, ")");
  // With only the first L taps, zero padding to 2L makes the circular convolution a linear one.
  const auto causal_taps = k.narrow(1, 0, seq_len).to(u.scalar_type());  // (D, L)
  if (use_toeplitz(path, seq_len)) {
    return toeplitz_conv(u, torch::constant_pad_nd(causal_taps, {0, seq_len}, 0.0));
  }
  return FftConv::apply(u, causal_taps);
}

torch::Tensor zoology_fft_conv(const torch::Tensor& u, const torch::Tensor& k, ConvPath requested) {
  check_shapes("zoology_fft_conv", u, k);
  const ConvPath path = device_conv_path(u, requested);
  const auto taps = k.to(u.scalar_type());
  if (use_toeplitz(path, u.size(2))) {
    return toeplitz_conv(u, first_taps(taps, 2 * u.size(2)));
  }
  return FftConv::apply(u, taps);
}

torch::Tensor fft_conv_reference(const torch::Tensor& u, const torch::Tensor& k) {
  check_shapes("fft_conv_reference", u, k);
  // Zoology's scaling: k_f / n, then irfft with norm="forward", the identity overall.
  const int64_t seq_len = u.size(2), n = 2 * seq_len;
  const auto k_f = torch::fft::rfft(k.to(u.scalar_type()), n) / static_cast<double>(n);  // (D, L+1)
  const auto u_f = torch::fft::rfft(u, n);                                               // (B, D, L+1)
  return torch::fft::irfft(u_f * k_f, n, /*dim=*/-1, /*norm=*/"forward").narrow(-1, 0, seq_len);
}

torch::Tensor causal_conv_reference(const torch::Tensor& u, const torch::Tensor& k) {
  const int64_t seq_len = u.size(2);
  auto y = torch::zeros_like(u);
  for (int64_t lag = 0; lag < seq_len; ++lag) {
    // y[..., t] += k[:, lag] * u[..., t - lag] for t >= lag.
    auto shifted = u.narrow(2, 0, seq_len - lag);
    y.narrow(2, lag, seq_len - lag).add_(shifted * k.select(1, lag).view({1, -1, 1}));
  }
  return y;
}

}  // namespace zoolab::kernels
