#pragma once

// RWKV v4's WKV recurrence (docs/reference.md#rwkv; Zoology's mixers/rwkv.py and the CUDA
// kernel rwkv/v4/wkv_cuda.cu). Per batch row b and channel c, with w = -exp(time_decay[c]) and
// u = time_first[c]:
//   wkv_t = (Σ_{i<t} e^{(t-1-i)·w + k_i} v_i + e^{u + k_t} v_t) / (Σ_{i<t} e^{(t-1-i)·w + k_i} + e^{u +
//   k_t}),
// a normalised (softmax-like) weighted average of v_0..v_t. The fast path carries the numerator a
// and denominator b divided by e^p, p the running maximum exponent, so large |k| cannot overflow.
//
// Convention on w: Zoology's module hands its raw `time_decay` parameter to its autograd function,
// which takes w = -exp(time_decay) before calling the CUDA kernel (and the CUDA backward multiplies
// the kernel's dw by w to return d/d time_decay). These functions take the same raw `time_decay`
// and take the exp inside, so gradients are with respect to time_decay as in Zoology.
//
// Precision: Zoology sets RWKV_FLOAT_MODE='bf16', so its WKV output (and the gradients it returns)
// are rounded to bfloat16. We keep full precision (the input dtype) throughout; the rounding is an
// artefact of the GPU setting, not of the model (docs/reference.md#rwkv).

#include <torch/types.h>

namespace zoolab::kernels {

// time_decay, time_first: (C,); k, v: (B, T, C). Returns wkv: (B, T, C). Differentiable with
// respect to all four inputs; the gradients of time_decay and time_first sum over the batch.
// Float and double on CPU use the fast kernel; other devices use wkv_chunked; other dtypes on CPU use
// wkv_reference.
torch::Tensor wkv(const torch::Tensor& time_decay, const torch::Tensor& time_first, const torch::Tensor& k,
                  const torch::Tensor& v);

// The same recurrence in plain differentiable torch ops (one vectorised step per position).
torch::Tensor wkv_reference(const torch::Tensor& time_decay, const torch::Tensor& time_first,
                            const torch::Tensor& k, const torch::Tensor& v);

// The chunk length wkv_chunked uses when wkv dispatches to it: its pairwise weights are a (B, C, L, chunk)
// tensor (at 32 in float, 128 MiB per million B·C·L; 0.5 GiB for Figure 2's RWKV at L 512, B 128,
// d_model 64), and the state passes between chunks in L / chunk steps.
constexpr int64_t kWkvChunk = 32;

// The same recurrence chunkwise, for devices where a loop over positions is a launch per step (any
// device and floating dtype; the default for non-CPU tensors). Within a chunk of `chunk_size`
// positions, output t is a softmax-like average over the chunk's pairwise logits (t-1-i)·w + k_i
// (i < t), u + k_t (i = t), and the past carried in from earlier chunks (log weight p + t·w, p its
// running maximum exponent), each row shifted by its own maximum before the exp; between chunks the
// state (numerator, denominator, maximum exponent) is carried as in the reference, one step per
// chunk. Batched products and elementwise ops only; gradients by autograd through it (the maxima are
// detached scales, as in the reference).
torch::Tensor wkv_chunked(const torch::Tensor& time_decay, const torch::Tensor& time_first,
                          const torch::Tensor& k, const torch::Tensor& v, int64_t chunk_size = kWkvChunk);

// The mixing weights the recurrence applies, explicitly: (B, C, T, T) with row t holding
// softmax_i over i ≤ t of [(t-1-i)·w + k_i for i < t; u + k_t for i = t] (zeros above the diagonal),
// so wkv[b, t, c] = Σ_i weights[b, c, t, i] · v[b, i, c]. O(T²) memory: for inspection and tests.
torch::Tensor wkv_weights(const torch::Tensor& time_decay, const torch::Tensor& time_first,
                          const torch::Tensor& k);

}  // namespace zoolab::kernels
