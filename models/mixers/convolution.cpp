#include "models/mixers/convolution.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

#include "kernels/causal_depthwise_conv.h"
#include "kernels/fft_conv.h"

namespace zoolab {
namespace {

void check_length(const char* component, int64_t seq_len, int64_t l_max) {
  if (seq_len > l_max) {
    throw std::invalid_argument(std::string(component) + ": sequence of length " + std::to_string(seq_len) +
                                " is longer than l_max " + std::to_string(l_max) +
                                "; raise the mixer's l_max");
  }
}

// (B, L, D) input, (D, L) filter: causal FFT convolution plus the input, as Zoology's fft_conv.
torch::Tensor long_conv_with_skip(const torch::Tensor& u, const torch::Tensor& k, bool whole_filter) {
  auto x = u.transpose(1, 2);  // (B, D, L)
  auto y =
      (whole_filter ? kernels::zoology_fft_conv(x, k) : kernels::causal_fft_conv(x, k)) + x;  // (B, D, L)
  return y.transpose(1, 2);                                                                   // (B, L, D)
}

// Where the fused depthwise loop (kernels/causal_depthwise_conv.h) serves a long convolution: CPU
// tensors at lengths where its O(L²) sum is faster than the FFT (kernels::kToeplitzMaxLen).
bool fused_long_conv(const torch::Tensor& u) {
  return u.device().is_cpu() && u.size(1) <= kernels::kToeplitzMaxLen;
}

// A causal filter (D, >= L) with the skip term + u as one more unit tap at lag 0: (D, L) taps by lag.
torch::Tensor taps_with_skip(const torch::Tensor& u, const torch::Tensor& k) {
  const int64_t seq_len = u.size(1);
  auto impulse = torch::zeros({seq_len}, u.options());  // (L): 1 at lag 0
  impulse[0] = 1.0;
  return k.narrow(1, 0, seq_len).to(u.scalar_type()) + impulse;
}

}  // namespace

ShortConvolutionImpl::ShortConvolutionImpl(int64_t d_model, int64_t kernel_size)
    : m_d_model(d_model), m_kernel_size(kernel_size) {
  if (kernel_size < 1) {
    throw std::invalid_argument("short convolution: kernel_size must be >= 1, got " +
                                std::to_string(kernel_size));
  }
  conv = register_module(
      "conv",
      torch::nn::Conv1d(
          torch::nn::Conv1dOptions(d_model, d_model, kernel_size).groups(d_model).padding(kernel_size - 1)));
}

torch::Tensor ShortConvolutionImpl::forward(const torch::Tensor& u) {
  const int64_t seq_len = u.size(1);
  if (const auto [taps, bias] = causal_taps(u); taps.defined()) {
    return kernels::causal_depthwise_conv(u, taps, bias);  // (B, L, D)
  }
  // Padding k-1 on both sides, then keeping the first L outputs, makes the convolution causal.
  return conv(u.transpose(1, 2)).narrow(2, 0, seq_len).transpose(1, 2);  // (B, L, D)
}

std::pair<torch::Tensor, torch::Tensor> ShortConvolutionImpl::causal_taps(const torch::Tensor& u) {
  if (!u.device().is_cpu()) {
    return {};
  }
  // The same causal sum in the (B, L, D) layout without padding or copies; Conv1d's last tap
  // multiplies the current position, so the taps by lag are its weights reversed.
  return {conv->weight.squeeze(1).flip({1}), conv->bias};  // (D, K), (D)
}

LongConvolutionImpl::LongConvolutionImpl(int64_t d_model, int64_t l_max) : m_d_model(d_model) {
  filter_ = register_parameter("filter", torch::randn({d_model, l_max}));
}

torch::Tensor LongConvolutionImpl::forward(const torch::Tensor& u) {
  check_length("long convolution", u.size(1), filter_.size(1));
  if (const auto [taps, bias] = causal_taps(u); taps.defined()) {
    return kernels::causal_depthwise_conv(u, taps);  // (B, L, D)
  }
  // Zoology hands the whole l_max filter to fft_conv: shorter sequences see wrapped-around taps.
  return long_conv_with_skip(u, filter_, /*whole_filter=*/true);
}

std::pair<torch::Tensor, torch::Tensor> LongConvolutionImpl::causal_taps(const torch::Tensor& u) {
  // Only at l_max is Zoology's whole-filter convolution causal (no wrapped taps).
  if (!fused_long_conv(u) || u.size(1) != filter_.size(1)) {
    return {};
  }
  return {taps_with_skip(u, filter_), torch::Tensor()};
}

PositionalEmbeddingImpl::PositionalEmbeddingImpl(int64_t emb_dim, int64_t seq_len) {
  if (emb_dim < 3 || emb_dim % 2 == 0) {
    throw std::invalid_argument(
        "implicit long convolution: d_emb must be odd and >= 3 (time, cosine, sine), got " +
        std::to_string(emb_dim));
  }
  const int64_t bands = (emb_dim - 1) / 2;
  auto t = torch::linspace(0, 1, seq_len).view({1, seq_len, 1});  // (1, L, 1)
  // Angular positions on the "proper" grid 0..L-1, as Zoology's PositionalEmbedding computes them.
  auto w = (2 * M_PI) * torch::linspace(0, seq_len - 1, seq_len).view({1, seq_len, 1}) / seq_len;
  auto f = torch::linspace(1e-4, bands - 1, bands).view({1, 1, bands});
  // exp(-i f w) = cos(f w) - i sin(f w).
  auto phase = f * w;  // (1, L, bands)
  z = register_parameter("z", torch::cat({t, torch::cos(phase), -torch::sin(phase)}, -1),
                         /*requires_grad=*/false);
}

torch::Tensor PositionalEmbeddingImpl::forward(int64_t seq_len) const {
  return z.narrow(1, 0, seq_len);
}

ImplicitLongConvolutionImpl::ImplicitLongConvolutionImpl(int64_t d_model, int64_t l_max, int64_t d_emb,
                                                         int64_t d_hidden)
    : m_d_model(d_model), m_l_max(l_max) {
  pos_emb = register_module("pos_emb", PositionalEmbedding(d_emb, l_max));
  mlp = register_module("mlp", torch::nn::Sequential(torch::nn::Linear(d_emb, d_hidden), torch::nn::ReLU(),
                                                     torch::nn::Linear(d_hidden, d_model)));
}

torch::Tensor ImplicitLongConvolutionImpl::filter(int64_t seq_len) {
  check_length("implicit long convolution", seq_len, m_l_max);
  return mlp->forward(pos_emb->forward(seq_len))[0].transpose(0, 1);  // (D, L)
}

torch::Tensor ImplicitLongConvolutionImpl::forward(const torch::Tensor& u) {
  if (const auto [taps, bias] = causal_taps(u); taps.defined()) {
    return kernels::causal_depthwise_conv(u, taps);  // (B, L, D)
  }
  return long_conv_with_skip(u, filter(u.size(1)), /*whole_filter=*/false);
}

std::pair<torch::Tensor, torch::Tensor> ImplicitLongConvolutionImpl::causal_taps(const torch::Tensor& u) {
  if (!fused_long_conv(u)) {
    return {};
  }
  return {taps_with_skip(u, filter(u.size(1))), torch::Tensor()};
}

}  // namespace zoolab
