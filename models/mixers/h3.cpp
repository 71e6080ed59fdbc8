#include "models/mixers/h3.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "kernels/fft_conv.h"
#include "models/mixers/option_error.h"

namespace zoolab {

namespace {

// Causal convolution of u (B, C, L) with a kernel (C, Lk) of Lk <= L taps. Zoology convolves with an
// FFT of size Lk + L; zero-padding the kernel to L and using 2L computes the same linear
// convolution, which is what kernels::causal_fft_conv does.
torch::Tensor ssm_conv(const torch::Tensor& u, const torch::Tensor& k) {
  const int64_t seq_len = u.size(2);
  const auto padded = k.size(1) < seq_len ? torch::constant_pad_nd(k, {0, seq_len - k.size(1)}, 0.0) : k;
  return kernels::causal_fft_conv(u, padded);
}

}  // namespace

H3Impl::H3Impl(const H3Options& options) : m_options(options) {
  const int64_t d = options.d_model();
  if (d < 1) {
    refuse_option("h3", "d_model", std::to_string(d), "must be at least 1");
  }
  if (options.head_dim() < 1 || d % options.head_dim() != 0) {
    refuse_option("h3", "head_dim", std::to_string(options.head_dim()),
                  "must divide d_model (" + std::to_string(d) + ")");
  }
  if (options.d_state() < 2) {
    refuse_option("h3", "d_state", std::to_string(options.d_state()),
                  "must be at least 2 (the S4D kernel has d_state / 2 modes)");
  }
  if (options.l_max() < 1) {
    refuse_option("h3", "l_max", std::to_string(options.l_max()), "must be at least 1");
  }
  const int64_t heads = d / options.head_dim();
  q_proj = register_module("q_proj", torch::nn::Linear(d, d));
  k_proj = register_module("k_proj", torch::nn::Linear(d, d));
  v_proj = register_module("v_proj", torch::nn::Linear(d, d));
  // Zoology holds each kernel inside an SSKernel wrapper under the name "kernel".
  auto shift_wrapper = register_module("ssm_k_kernel", std::make_shared<torch::nn::Module>());
  shift_kernel = shift_wrapper->register_module("kernel", SSKernelShift(d, options.d_state()));
  ssm_k_D = register_parameter("ssm_k_D", torch::randn({d}));
  auto diag_wrapper = register_module("kernel", std::make_shared<torch::nn::Module>());
  diag_kernel = diag_wrapper->register_module("kernel", SSKernelDiag(heads, options.d_state()));
  D = register_parameter("D", torch::randn({heads}));
  // A plain Linear named output_linear (not output_linear.0): the GPT-2 init gives it std 0.02, not
  // the residual-scaled std (docs/reference.md#initialisation).
  output_linear = register_module("output_linear", torch::nn::Linear(d, d));
}

torch::Tensor H3Impl::forward(const torch::Tensor& u) {
  const int64_t batch = u.size(0), seq_len = u.size(1);
  const int64_t d = m_options.d_model(), hd = m_options.head_dim(), heads = d / hd;
  const int64_t kernel_len = std::min(seq_len, m_options.l_max());

  auto q = q_proj(u).transpose(1, 2);  // (B, D, L)
  auto k = k_proj(u).transpose(1, 2);  // (B, D, L)
  auto v = v_proj(u).transpose(1, 2);  // (B, D, L)

  const auto shift = shift_kernel->kernel(kernel_len);   // (D, Lk)
  k = ssm_conv(k, shift) + ssm_k_D.view({1, d, 1}) * k;  // (B, D, L)

  // Outer product within each head: key channel h·hd + d1 times value channel h·hd + d2, as hd² plain
  // (B, H, L) products over unbind/stack. Broadcasting 5-d products computed the same, but their
  // backward reduces over the broadcast dimensions, a large part of the CPU profile of a step.
  const auto keys = k.reshape({batch, heads, hd, seq_len}).unbind(2);     // hd × (B, H, L)
  const auto values = v.reshape({batch, heads, hd, seq_len}).unbind(2);   // hd × (B, H, L)
  const auto queries = q.reshape({batch, heads, hd, seq_len}).unbind(2);  // hd × (B, H, L)
  std::vector<torch::Tensor> products;
  products.reserve(static_cast<size_t>(hd * hd));
  for (int64_t d1 = 0; d1 < hd; ++d1) {
    for (int64_t d2 = 0; d2 < hd; ++d2) {
      products.push_back(keys[d1] * values[d2]);
    }
  }
  const auto kv = torch::stack(products, 2);         // (B, H, hd², L), entry d1·hd + d2
  const auto ssm = diag_kernel->kernel(kernel_len);  // (H, Lk), shared by the hd² products of a head
  capture("filter", ssm);
  capture("shift_filter", shift.narrow(1, 0, std::min(m_options.d_state(), kernel_len)));
  const auto y = (ssm_conv(kv.reshape({batch, heads * hd * hd, seq_len}), ssm.repeat_interleave(hd * hd, 0))
                      .reshape({batch, heads, hd * hd, seq_len}) +
                  kv * D.view({1, heads, 1, 1}))
                     .unbind(2);  // hd² × (B, H, L)

  // o[d2·H + h] = Σ_d1 q[h·hd + d1] · y[h, d1, d2]
  std::vector<torch::Tensor> outputs;
  outputs.reserve(static_cast<size_t>(hd));
  for (int64_t d2 = 0; d2 < hd; ++d2) {
    auto o = queries[0] * y[d2];
    for (int64_t d1 = 1; d1 < hd; ++d1) {
      o = o + queries[d1] * y[d1 * hd + d2];
    }
    outputs.push_back(o);
  }
  const auto o =
      torch::stack(outputs, 1).reshape({batch, d, seq_len});  // (B, hd, H, L) -> (B, D, L), channel d2·H + h
  return output_linear(o.transpose(1, 2));                    // (B, L, D)
}

MixerSpec h3_spec() {
  MixerSpec spec;
  spec.name = "h3";
  spec.kind = MixerKind::Sequence;
  spec.summary = "H3: shift-SSM keys times values, through a diagonal SSM (S4D), contracted with queries";
  spec.params = {
      ParamSpec::integer("d_state")
          .defaults_to(64)
          .at_least(2)
          .at_most(kMaxTapsKwarg)
          .described("State size N: taps of the shift SSM; the diagonal SSM has N/2 complex modes"),
      ParamSpec::integer("l_max")
          .at_least(1)
          .at_most(kMaxLengthKwarg)
          .described("Longest kernel; longer sequences use l_max taps; default: the data's"),
      ParamSpec::integer("head_dim")
          .defaults_to(1)
          .at_least(1)
          .at_most(kMaxWidthKwarg)
          .described("Channels per head of the key-value outer product; must divide d_model"),
      ParamSpec::boolean("use_fast_fftconv")
          .defaults_to(false)
          .described("Accepted for Zoology configs: Zoology's CUDA fftconv computes the same convolutions"),
      ParamSpec::number("dropout").defaults_to(0.0).at_least(0).at_most(1).described(
          "Accepted for Zoology configs; Zoology's H3 never applies it, so it has no effect"),
  };
  spec.factory = [](const MixerContext& context, const nlohmann::json& kwargs) -> MixerPtr {
    return std::make_shared<H3Impl>(H3Options(context.d_model, kwargs.at("l_max").get<int64_t>())
                                        .d_state(kwargs.at("d_state").get<int64_t>())
                                        .head_dim(kwargs.at("head_dim").get<int64_t>()));
  };
  return spec;
}

}  // namespace zoolab
