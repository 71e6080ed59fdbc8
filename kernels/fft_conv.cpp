#include "kernels/fft_conv.h"

#include <torch/torch.h>

namespace zoolab::kernels {

torch::Tensor causal_fft_conv(const torch::Tensor& u, const torch::Tensor& k) {
  TORCH_CHECK(u.dim() == 3, "causal_fft_conv: u must be (B, D, L), got ", u.sizes());
  TORCH_CHECK(k.dim() == 2 && k.size(0) == u.size(1), "causal_fft_conv: k must be (D, Lk) with D = ",
              u.size(1), ", got ", k.sizes());
  const int64_t seq_len = u.size(2);
  TORCH_CHECK(k.size(1) >= seq_len, "causal_fft_conv: filter of length ", k.size(1),
              " is shorter than the sequence (", seq_len, ")");
  // Zero padding to 2L turns the FFT's circular convolution into a linear one; the scaling
  // mirrors Zoology's (k_f / n, then irfft with norm="forward"), which is the identity overall.
  const int64_t n = 2 * seq_len;
  const auto k_used = k.narrow(1, 0, seq_len).to(u.scalar_type());
  const auto k_f = torch::fft::rfft(k_used, n) / static_cast<double>(n);  // (D, L+1)
  const auto u_f = torch::fft::rfft(u, n);                                // (B, D, L+1)
  auto y = torch::fft::irfft(u_f * k_f, n, /*dim=*/-1, /*norm=*/"forward");  // (B, D, 2L)
  return y.narrow(-1, 0, seq_len);
}

torch::Tensor zoology_fft_conv(const torch::Tensor& u, const torch::Tensor& k) {
  TORCH_CHECK(u.dim() == 3 && k.dim() == 2 && k.size(0) == u.size(1), "zoology_fft_conv: u (B, D, L), k (D, Lk)");
  const int64_t seq_len = u.size(2);
  const int64_t n = 2 * seq_len;
  const auto k_f = torch::fft::rfft(k.to(u.scalar_type()), n) / static_cast<double>(n);
  const auto u_f = torch::fft::rfft(u, n);
  return torch::fft::irfft(u_f * k_f, n, -1, "forward").narrow(-1, 0, seq_len);
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
