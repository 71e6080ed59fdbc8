#pragma once

// The two state-space convolution kernels H3 is built from (docs/reference.md#h3, Zoology's
// mixers/h3/ss_kernel_shift.py and ss_kernel_diag.py, themselves from the S4 code base). Each turns its
// SSM parameters into a causal convolution kernel (H, L) that H3 applies through the FFT. Parameter
// names and shapes match Zoology's state dict (B, C; C, log_dt, B, inv_A_real, A_imag), complex
// parameters stored as real tensors with a trailing (re, im) axis exactly as Zoology stores them
// (torch.view_as_real).

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace zoolab {

// SSKernelShift: a discrete SSM whose A is the N×N shift matrix, so its kernel is a finite impulse
// response of N taps, K[h, j] = Σ_n B[h, n] · C[h, n + j] (the cross-correlation of B and C; with
// Zoology's initial B = e1 the kernel is simply C). B (H, N) starts at e1 and is trained; C (1, H, N)
// starts like a Conv1d weight (kaiming-uniform, a = √5, fan-in N). State: H·N.
class SSKernelShiftImpl : public torch::nn::Module {
 public:
  SSKernelShiftImpl(int64_t channels, int64_t d_state);

  // The kernel for a sequence of `length`: (H, length); taps past N are zero, and only the first
  // `length` taps are kept when N > length (as Zoology's).
  torch::Tensor kernel(int64_t length) const;

  torch::Tensor B;  // (H, N)
  torch::Tensor C;  // (1, H, N): Zoology's (channels = 1, H, N)

 private:
  int64_t m_d_state;
};
TORCH_MODULE(SSKernelShift);

// SSKernelDiag with Zoology's H3 settings (mode "diag", measure "diag-lin", disc "bilinear",
// real_type "exp", one channel, n_ssm = H): the S4D kernel. N/2 complex modes per channel with
// A = -exp(inv_A_real) + i·A_imag (initially -0.5 + iπn), B = 1, C ~ CN(0, 1), step dt = exp(log_dt)
// with log_dt ~ U[ln dt_min, ln dt_max]. Bilinear discretisation:
//   dA = (1 + dt·A/2) / (1 - dt·A/2),   C̃ = B·C·dt / (1 - dt·A/2),   K[h, l] = 2·Re Σ_n C̃[h, n]·dA[h, n]^l
// (the conjugate modes give the factor 2). dA^l is computed as exp(l·log dA), as Zoology's
// log-Vandermonde product does. State: H·N/2 complex numbers (Zoology's H3 counts d·N).
class SSKernelDiagImpl : public torch::nn::Module {
 public:
  SSKernelDiagImpl(int64_t channels, int64_t d_state, double dt_min = 1e-3, double dt_max = 1e-1);

  // The kernel for a sequence of `length`: (H, length).
  torch::Tensor kernel(int64_t length) const;

  torch::Tensor C;           // (1, H, N/2, 2): complex C as (re, im)
  torch::Tensor log_dt;      // (H)
  torch::Tensor B;           // (H, N/2, 2): complex B as (re, im)
  torch::Tensor inv_A_real;  // (H, N/2): log(-Re A)
  torch::Tensor A_imag;      // (H, N/2)
};
TORCH_MODULE(SSKernelDiag);

}  // namespace zoolab
