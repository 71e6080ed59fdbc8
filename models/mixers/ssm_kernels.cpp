#include "models/mixers/ssm_kernels.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

namespace zoolab {
namespace {

// S4D-Lin's initial state matrix (Zoology's dplr with scaling "linear"): A_n = -0.5 + iπn.
constexpr double kInitialDecay = 0.5;

void check_sizes(const char* what, int64_t channels, int64_t d_state, int64_t min_state) {
  if (channels < 1 || d_state < min_state) {
    throw std::invalid_argument(
        std::string(what) + ": needs channels >= 1 and d_state >= " + std::to_string(min_state) +
        ", got channels " + std::to_string(channels) + ", d_state " + std::to_string(d_state));
  }
}

}  // namespace

SSKernelShiftImpl::SSKernelShiftImpl(int64_t channels, int64_t d_state) : m_d_state(d_state) {
  check_sizes("SSKernelShift", channels, d_state, 1);
  // B = e1: the input enters the first state slot and is shifted along from there.
  auto b = torch::zeros({channels, d_state});
  b.select(1, 0).fill_(1.0);
  // Zoology draws C as an (H, channels = 1, N) Conv1d-like weight, then moves the channel axis first.
  auto c = torch::empty({channels, 1, d_state});
  torch::nn::init::kaiming_uniform_(c, std::sqrt(5.0));
  B = register_parameter("B", b);
  C = register_parameter("C", c.permute({1, 0, 2}).contiguous());
}

torch::Tensor SSKernelShiftImpl::kernel(int64_t length) const {
  // The cross-correlation of B and C through an FFT of size 2N (no wrap-around for lags < N).
  const int64_t n = 2 * m_d_state;
  const auto b_f = torch::fft::rfft(B, n);               // (H, N+1)
  const auto c_f = torch::fft::rfft(C.select(0, 0), n);  // (H, N+1)
  const int64_t taps = std::min(m_d_state, length);
  auto k = torch::fft::irfft(b_f.conj() * c_f, n, -1).narrow(-1, 0, taps);  // (H, taps)
  if (taps < length) {
    k = torch::constant_pad_nd(k, {0, length - taps}, 0.0);  // (H, length)
  }
  return k;
}

SSKernelDiagImpl::SSKernelDiagImpl(int64_t channels, int64_t d_state, double dt_min, double dt_max) {
  check_sizes("SSKernelDiag", channels, d_state, 2);
  if (!(dt_min > 0.0 && dt_max >= dt_min)) {
    throw std::invalid_argument("SSKernelDiag: needs 0 < dt_min <= dt_max, got " + std::to_string(dt_min) +
                                ", " + std::to_string(dt_max));
  }
  const int64_t modes = d_state / 2;  // the other half are the complex conjugates (Zoology: N // 2)
  const auto lo = std::log(dt_min), hi = std::log(dt_max);
  const auto log_dt_init = torch::rand({channels}) * (hi - lo) + lo;
  // torch.randn(cfloat) draws re and im each with variance 1/2 (so |C|² has mean 1); Zoology stores
  // conj(C), which has the same distribution.
  const auto c_init = torch::randn({1, channels, modes, 2}) * std::sqrt(0.5);
  // Registered in Zoology's order: C, log_dt, B, inv_A_real, A_imag.
  C = register_parameter("C", c_init);
  log_dt = register_parameter("log_dt", log_dt_init);
  B = register_parameter("B",
                         torch::stack({torch::ones({channels, modes}), torch::zeros({channels, modes})}, -1));
  inv_A_real = register_parameter("inv_A_real",
                                  torch::full({channels, modes}, std::log(kInitialDecay), torch::kFloat));
  A_imag = register_parameter(
      "A_imag", (torch::arange(modes, torch::kFloat) * M_PI).expand({channels, modes}).contiguous());
}

torch::Tensor SSKernelDiagImpl::kernel(int64_t length) const {
  const auto dt = torch::exp(log_dt).unsqueeze(-1);                                  // (H, 1)
  const auto c = torch::view_as_complex(C).select(0, 0);                             // (H, N/2)
  const auto b = torch::view_as_complex(B);                                          // (H, N/2)
  const auto dt_a = torch::complex(-torch::exp(inv_A_real), A_imag) * dt;            // (H, N/2)
  const auto denominator = 1.0 - dt_a / 2.0;                                         // (H, N/2)
  const auto c_tilde = b * c * denominator.reciprocal() * dt;                        // (H, N/2)
  const auto d_a = (1.0 + dt_a / 2.0) / denominator;                                 // (H, N/2)
  const auto steps = torch::arange(length, log_dt.options());                        // (L)
  const auto powers = torch::exp(torch::log(d_a).unsqueeze(-1) * steps);             // (H, N/2, L): dA^l
  return 2.0 * torch::real(torch::matmul(c_tilde.unsqueeze(1), powers).squeeze(1));  // (H, L)
}

}  // namespace zoolab
