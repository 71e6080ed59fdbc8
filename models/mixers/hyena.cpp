#include "models/mixers/hyena.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

#include "kernels/causal_depthwise_conv.h"
#include "kernels/fft_conv.h"
#include "kernels/gated_causal_conv.h"
#include "models/mixers/convolution.h"
#include "models/mixers/linear_rows.h"
#include "models/mixers/option_error.h"

namespace zoolab {

namespace {

// Zoology's Hyena splits the in_proj output into three streams (NUM_PROJECTIONS).
constexpr int64_t kProjections = 3;
// Filter defaults Zoology's Hyena leaves untouched: emb_dim 3 (t, cos, sin), two inner MLP layers.
constexpr int64_t kEmbDim = 3;
constexpr int64_t kInnerMlps = 2;
// ExponentialModulation defaults: decay to `target` over 30% (fast) .. 150% (slow) of the grid.
constexpr double kFastDecayPct = 0.3;
constexpr double kSlowDecayPct = 1.5;
constexpr double kTarget = 1e-2;

}  // namespace

HyenaSinImpl::HyenaSinImpl(int64_t dim) {
  freq = register_parameter("freq", torch::ones({1, dim}));
}

HyenaSinImpl::HyenaSinImpl(const torch::Tensor& owner_freq) {
  freq = register_parameter("freq", owner_freq.detach(), /*requires_grad=*/false);
}

void HyenaSinImpl::alias(const torch::Tensor& owner_freq) {
  if (!freq.is_alias_of(owner_freq)) {
    torch::NoGradGuard no_grad;
    freq.set_data(owner_freq.detach());
  }
}

HyenaFilterImpl::HyenaFilterImpl(int64_t d_model, int64_t order, int64_t l_max) {
  bias = register_parameter("bias", torch::randn({d_model}));
  // Same features as the implicit long convolution's (Zoology's two PositionalEmbedding classes
  // compute z identically), but Hyena trains z and also keeps t = linspace(0, 1, l_max).
  auto pos_emb = register_module("pos_emb", std::make_shared<torch::nn::Module>());
  m_z = pos_emb->register_parameter("z", PositionalEmbeddingImpl(kEmbDim, l_max).z.clone());
  m_t = pos_emb->register_parameter("t", torch::linspace(0, 1, l_max).view({1, l_max, 1}),
                                    /*requires_grad=*/false);

  m_act = HyenaSin(order);
  implicit_filter = torch::nn::Sequential();
  m_linears.push_back(torch::nn::Linear(kEmbDim, order));
  implicit_filter->push_back(m_linears.back());
  implicit_filter->push_back(m_act);
  for (int64_t i = 0; i < kInnerMlps; ++i) {
    m_linears.push_back(torch::nn::Linear(order, order));
    implicit_filter->push_back(m_linears.back());
    m_mirrors.push_back(HyenaSin(m_act->freq));
    implicit_filter->push_back(m_mirrors.back());
  }
  m_linears.push_back(torch::nn::Linear(torch::nn::LinearOptions(order, d_model).bias(false)));
  implicit_filter->push_back(m_linears.back());
  implicit_filter = register_module("implicit_filter", implicit_filter);

  // deltas = linspace(ln(target)/slow, ln(target)/fast, D): one decay rate per channel, fixed
  // (Zoology registers them with modulation_lr 0, i.e. as a buffer).
  auto modulation = register_module("modulation", std::make_shared<torch::nn::Module>());
  m_deltas = modulation->register_parameter(
      "deltas",
      torch::linspace(std::log(kTarget) / kSlowDecayPct, std::log(kTarget) / kFastDecayPct, d_model)
          .view({1, 1, d_model}),
      /*requires_grad=*/false);
}

void HyenaFilterImpl::realias_mirrors() {
  for (auto& mirror : m_mirrors) {
    mirror->alias(m_act->freq);
  }
}

void HyenaFilterImpl::to(torch::Device device, torch::Dtype dtype, bool non_blocking) {
  torch::nn::Module::to(device, dtype, non_blocking);
  realias_mirrors();
}

void HyenaFilterImpl::to(torch::Dtype dtype, bool non_blocking) {
  torch::nn::Module::to(dtype, non_blocking);
  realias_mirrors();
}

void HyenaFilterImpl::to(torch::Device device, bool non_blocking) {
  torch::nn::Module::to(device, non_blocking);
  realias_mirrors();
}

void HyenaFilterImpl::load(torch::serialize::InputArchive& archive) {
  torch::nn::Module::load(archive);
  realias_mirrors();  // the owner's value wins
}

torch::Tensor HyenaFilterImpl::filter(int64_t seq_len) {
  realias_mirrors();                   // cheap; covers state dicts written into the tensors by other means
  auto h = m_z.narrow(1, 0, seq_len);  // (1, L, 3)
  // The one shared Sin follows every Linear but the last (Zoology reuses a single `act` module).
  for (size_t i = 0; i + 1 < m_linears.size(); ++i) {
    h = m_act(m_linears[i](h));  // (1, L, order)
  }
  h = m_linears.back()(h);                                          // (1, L, D)
  h = h * torch::exp(-m_t.narrow(1, 0, seq_len) * m_deltas.abs());  // (1, L, D)
  return h[0].transpose(0, 1);                                      // (D, L)
}

HyenaImpl::HyenaImpl(const HyenaOptions& options) : m_options(options) {
  const int64_t d = options.d_model();
  const int64_t width = kProjections * d;
  in_proj = register_module("in_proj", torch::nn::Linear(d, width));
  out_proj = register_module("out_proj", torch::nn::Linear(d, d));
  // Depthwise over all three streams, padded by k-1 and cut to the first L outputs: causal.
  short_filter = register_module(
      "short_filter", torch::nn::Conv1d(torch::nn::Conv1dOptions(width, width, options.short_filter_order())
                                            .groups(width)
                                            .padding(options.short_filter_order() - 1)));
  filter_fn = register_module("filter_fn", HyenaFilter(d, options.filter_order(), options.l_max()));
  dropout = register_module("dropout", torch::nn::Dropout(options.dropout()));
}

torch::Tensor HyenaImpl::forward(const torch::Tensor& u) {
  const int64_t seq_len = u.size(1);
  if (seq_len > m_options.l_max()) {
    throw std::invalid_argument("hyena: sequence of length " + std::to_string(seq_len) +
                                " is longer than l_max " + std::to_string(m_options.l_max()) +
                                "; raise the mixer's l_max");
  }
  const int64_t d = m_options.d_model();
  if (cpu_path(u)) {
    return forward_cpu(u);
  }
  auto x = linear_rows(in_proj, u).transpose(1, 2);  // (B, 3D, L)
  x = short_filter(x).narrow(2, 0, seq_len);         // (B, 3D, L)
  // chunk, not three narrows: its backward is one cat, theirs three zero-filled (B, 3D, L) tensors.
  const auto streams = x.chunk(kProjections, 1);  // 3 × (B, D, L)
  const auto &x1 = streams[0], &x2 = streams[1];
  auto v = dropout(streams[2] * x1);  // (B, D, L) pre-gating
  // The filter has exactly L taps, so Zoology's fftconv_ref is the plain causal convolution; its
  // skip term is v scaled per channel by the filter's bias (gelu off).
  const auto k = filter_fn->filter(seq_len);  // (D, L)
  capture("filter", k);
  auto y = kernels::causal_fft_conv(v, k) + v * filter_fn->bias.view({1, d, 1});  // (B, D, L)
  return linear_rows(out_proj, (y * x2).transpose(1, 2));                         // (B, L, D) post-gating
}

bool HyenaImpl::cpu_path(const torch::Tensor& u) const {
  return u.device().is_cpu() && u.size(1) <= kernels::kToeplitzMaxLen;
}

torch::Tensor HyenaImpl::gated_cpu(const torch::Tensor& u) {
  const int64_t seq_len = u.size(1), d = m_options.d_model();
  // The same operations as forward, in the (B, L, ·) layout the projections produce: the short
  // filter's taps by lag are its Conv1d weights reversed, and the skip term bias ⊙ v is the long
  // filter's lag-0 tap plus bias, so both are causal depthwise convolutions (both fused with the gates
  // when dropout is off).
  const auto projected = linear_rows(in_proj, u);                     // (B, L, 3D)
  const auto short_taps = short_filter->weight.squeeze(1).flip({1});  // (3D, k), by lag
  const auto k = filter_fn->filter(seq_len);                          // (D, L)
  capture("filter", k);
  const auto taps =
      (k + torch::constant_pad_nd(filter_fn->bias.view({d, 1}), {0, seq_len - 1}, 0.0)).to(u.scalar_type());
  if (!dropout->is_training() || m_options.dropout() == 0.0) {
    // The short filter and x2 ⊙ (K ⋆ (x1 ⊙ v)) in one pass an example (kernels/gated_causal_conv.h).
    return kernels::hyena_gated_conv(projected, short_taps, short_filter->bias, taps);  // (B, L, D)
  }
  const auto x = kernels::causal_depthwise_conv(projected, short_taps, short_filter->bias);  // (B, L, 3D)
  const auto streams = x.chunk(kProjections, 2);                                             // 3 × (B, L, D)
  const auto &x1 = streams[0], &x2 = streams[1];
  auto v = dropout(streams[2] * x1);                    // (B, L, D) pre-gating
  return kernels::causal_depthwise_conv(v, taps) * x2;  // (B, L, D) post-gating
}

torch::Tensor HyenaImpl::forward_cpu(const torch::Tensor& u) {
  return linear_rows(out_proj, gated_cpu(u));  // (B, L, D)
}

torch::Tensor HyenaImpl::forward_at(const torch::Tensor& u, const torch::Tensor& positions) {
  if (capturing() || !cpu_path(u) || u.size(1) > m_options.l_max()) {
    return MixerImpl::forward_at(u, positions);
  }
  // The gated convolution whole (read at the rows alone it cost as much in bench_kernels), out_proj at
  // the rows.
  const auto gated = gated_cpu(u);  // (B, L, D) post-gating
  return linear_rows(out_proj, gated.view({-1, gated.size(-1)}).index_select(0, positions));  // (N, D)
}

MixerSpec hyena_spec() {
  MixerSpec spec;
  spec.name = "hyena";
  spec.kind = MixerKind::Sequence;
  spec.summary = "Hyena: short conv then gated implicit long convolution with a Sin-MLP, decaying filter";
  spec.params = {
      ParamSpec::integer("l_max")
          .at_least(1)
          .at_most(kMaxLengthKwarg)
          .described("Longest sequence (filter grid); default: the data's"),
      ParamSpec::integer("filter_order")
          .defaults_to(64)
          .at_least(1)
          .at_most(kMaxTapsKwarg)
          .described("Width of the MLP generating the long filter"),
      ParamSpec::integer("num_heads")
          .defaults_to(1)
          .at_least(1)
          .at_most(kMaxWidthKwarg)
          .described("Heads; only 1 (Zoology's forward fails for more)"),
      ParamSpec::integer("num_blocks")
          .defaults_to(1)
          .at_least(1)
          .at_most(kMaxWidthKwarg)
          .described("Blocks along the sequence; only 1 (Zoology's blocked path is not causal)"),
      ParamSpec::number("dropout").defaults_to(0.0).at_least(0).at_most(1).described(
          "Dropout on the pre-gated stream x1 * v"),
      ParamSpec::number("filter_dropout")
          .defaults_to(0.0)
          .at_least(0)
          .at_most(1)
          .described("Accepted for Zoology configs; Zoology's Filter never applies it, so it has no effect"),
      ParamSpec::integer("short_filter_order")
          .defaults_to(3)
          .at_least(1)
          .at_most(kMaxTapsKwarg)
          .described("Width of the short causal convolution"),
      ParamSpec::boolean("bidirectional")
          .defaults_to(false)
          .described(
              "Only false: a bidirectional filter is not causal (and Zoology's Filter lacks filter_rev)"),
  };
  spec.factory = [](const MixerContext& context, const nlohmann::json& kwargs) -> MixerPtr {
    // Refused rather than ignored: Zoology crashes on them (num_heads > 1 leaves no v stream after the
    // split; bidirectional calls a missing filter_rev) or leaks the future (num_blocks > 1 convolves
    // each block with a filter of the full length in an FFT too short for it).
    if (kwargs.at("num_heads").get<int64_t>() != 1) {
      refuse_option("hyena", "num_heads", kwargs.at("num_heads").dump(),
                    "is not supported; use 1 (Zoology's Hyena fails for more heads)");
    }
    if (kwargs.at("num_blocks").get<int64_t>() != 1) {
      refuse_option("hyena", "num_blocks", kwargs.at("num_blocks").dump(),
                    "is not supported; use 1 (blocked Hyena is not causal)");
    }
    if (kwargs.at("bidirectional").get<bool>()) {
      refuse_option("hyena", "bidirectional", "true", "is not supported; sequence mixers must be causal");
    }
    return std::make_shared<HyenaImpl>(HyenaOptions(context.d_model, kwargs.at("l_max").get<int64_t>())
                                           .filter_order(kwargs.at("filter_order").get<int64_t>())
                                           .short_filter_order(kwargs.at("short_filter_order").get<int64_t>())
                                           .dropout(kwargs.at("dropout").get<double>()));
  };
  return spec;
}

}  // namespace zoolab
