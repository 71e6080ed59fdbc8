#include "models/mixers/mamba2.h"

#include <cmath>
#include <string>

#include <torch/torch.h>

#include "kernels/ssd.h"
#include "models/mixers/option_error.h"

namespace zoolab {

namespace {
// Zoology's Mamba2 default head width; its RMSNorm eps (RMSNormGated(..., eps=1e-5)).
constexpr int64_t kMamba2DefaultHeaddim = 64;
constexpr double kMamba2NormEps = 1e-5;
}  // namespace

GroupedGatedRMSNormImpl::GroupedGatedRMSNormImpl(int64_t dim, int64_t group_size, bool norm_before_gate,
                                                 double eps)
    : m_group_size(group_size), m_norm_before_gate(norm_before_gate), m_eps(eps) {
  weight = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor GroupedGatedRMSNormImpl::forward(const torch::Tensor& x, const torch::Tensor& z) {
  // mamba_ssm's rms_norm_ref (ops/triton/layernorm_gated.py) with its upcast: float32 at least.
  const auto compute = x.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat;
  auto h = x.to(compute);
  const auto gate = torch::silu(z.to(compute));
  if (!m_norm_before_gate) {
    h = h * gate;
  }
  auto sizes = h.sizes().vec();
  const int64_t dim = sizes.back();
  sizes.back() = dim / m_group_size;
  sizes.push_back(m_group_size);
  const auto grouped = h.view(sizes);  // (..., dim / group, group)
  auto out = (grouped * torch::rsqrt(grouped.square().mean(-1, /*keepdim=*/true) + m_eps)).flatten(-2) *
             weight.to(compute);  // (..., dim)
  if (m_norm_before_gate) {
    out = out * gate;
  }
  return out.to(x.scalar_type());
}

Mamba2Impl::Mamba2Impl(const Mamba2Options& options) : m_options(options) {
  const int64_t d = options.d_model();
  const int64_t n = options.d_state();
  const int64_t g = options.ngroups();
  const auto text = [](auto v) { return std::to_string(v); };
  if (d < 1 || n < 1 || options.d_conv() < 1 || options.expand() < 1 || g < 1 || options.chunk_size() < 1) {
    refuse_option("mamba2", "d_model/d_state/d_conv/expand/ngroups/chunk_size",
                  text(d) + "/" + text(n) + "/" + text(options.d_conv()) + "/" + text(options.expand()) +
                      "/" + text(g) + "/" + text(options.chunk_size()),
                  "must all be positive");
  }
  m_d_inner = options.expand() * d;
  m_d_ssm = options.d_ssm() > 0 ? options.d_ssm() : m_d_inner;
  if (m_d_ssm > m_d_inner) {
    refuse_option("mamba2", "d_ssm", text(options.d_ssm()),
                  "must be at most d_inner = expand * d_model = " + text(m_d_inner) + " (0 for all of it)");
  }
  if ((m_d_inner - m_d_ssm) % 2 != 0) {
    // in_proj's width 2·d_inner + … splits into two MLP halves of d_inner - d_ssm each.
    refuse_option("mamba2", "d_ssm", text(options.d_ssm()),
                  "must leave an even d_inner - d_ssm (d_inner = " + text(m_d_inner) + ")");
  }
  // headdim 0: Zoology's 64, or all of d_ssm when that is narrower (Zoology would refuse d_ssm < 64;
  // this lets the defaults build at any d_model).
  m_headdim = options.headdim() > 0 ? options.headdim() : std::min(kMamba2DefaultHeaddim, m_d_ssm);
  if (m_d_ssm % m_headdim != 0) {
    refuse_option("mamba2", "headdim", text(m_headdim),
                  "must divide d_ssm = " + text(m_d_ssm) +
                      " (d_inner = expand * d_model = " + text(m_d_inner) + " unless d_ssm is given)");
  }
  m_nheads = m_d_ssm / m_headdim;
  if (m_nheads % g != 0) {
    refuse_option("mamba2", "ngroups", text(g),
                  "must divide the number of heads d_ssm / headdim = " + text(m_nheads));
  }
  if (!(options.A_init_min() > 0.0) || options.A_init_max() < options.A_init_min()) {
    refuse_option(
        "mamba2", "A_init_max", text(options.A_init_max()),
        "must be >= A_init_min (" + text(options.A_init_min()) + ") and A_init_min must be positive");
  }
  if (!(options.dt_min() > 0.0) || options.dt_max() < options.dt_min()) {
    refuse_option("mamba2", "dt_max", text(options.dt_max()),
                  "must be >= dt_min (" + text(options.dt_min()) + ") and dt_min must be positive");
  }
  if (options.dt_limit_max() > 0.0 && options.dt_limit_max() < options.dt_limit_min()) {
    refuse_option("mamba2", "dt_limit_max", text(options.dt_limit_max()),
                  "must be >= dt_limit_min (" + text(options.dt_limit_min()) + "), or 0 for no upper limit");
  }

  // Same construction order as Zoology's Mamba2.__init__, so a seed draws the initial weights in the
  // same sequence.
  const int64_t d_in_proj = 2 * m_d_inner + 2 * g * n + m_nheads;  // [z0, x0, z, x, B, C, dt]
  in_proj = register_module("in_proj",
                            torch::nn::Linear(torch::nn::LinearOptions(d, d_in_proj).bias(options.bias())));
  const int64_t conv_dim = m_d_ssm + 2 * g * n;
  conv1d = register_module("conv1d",
                           torch::nn::Conv1d(torch::nn::Conv1dOptions(conv_dim, conv_dim, options.d_conv())
                                                 .groups(conv_dim)
                                                 .padding(options.d_conv() - 1)
                                                 .bias(options.conv_bias())));
  torch::NoGradGuard no_grad;
  if (options.conv_init() > 0.0) {
    conv1d->weight.uniform_(-options.conv_init(), options.conv_init());
  }
  // dt_bias = softplus⁻¹(Δ₀) with Δ₀ log-uniform in [dt_min, dt_max] (floored): y + log(-expm1(-y)).
  const double log_min = std::log(options.dt_min()), log_max = std::log(options.dt_max());
  const auto dt0 =
      torch::exp(torch::rand({m_nheads}) * (log_max - log_min) + log_min).clamp_min(options.dt_init_floor());
  dt_bias = register_parameter("dt_bias", dt0 + torch::log(-torch::expm1(-dt0)));
  A_log = register_parameter(
      "A_log", torch::log(torch::empty({m_nheads}).uniform_(options.A_init_min(), options.A_init_max())));
  D = register_parameter("D", torch::ones({options.D_has_hdim() ? m_d_ssm : m_nheads}));
  if (options.rmsnorm()) {
    // Zoology passes group_size = d_ssm / ngroups: one normalisation group per (B, C) group.
    norm = register_module(
        "norm", GroupedGatedRMSNorm(m_d_ssm, m_d_ssm / g, options.norm_before_gate(), kMamba2NormEps));
  }
  out_proj = register_module("out_proj",
                             torch::nn::Linear(torch::nn::LinearOptions(m_d_inner, d).bias(options.bias())));
}

torch::Tensor Mamba2Impl::forward(const torch::Tensor& u) {
  const int64_t batch = u.size(0), len = u.size(1);
  const int64_t n = m_options.d_state(), g = m_options.ngroups();
  const int64_t d_mlp = m_d_inner - m_d_ssm;
  const auto parts = in_proj(u).split_with_sizes({d_mlp, d_mlp, m_d_ssm, m_d_ssm + 2 * g * n, m_nheads}, -1);
  const auto& z0 = parts[0];  // (B, L, d_mlp)
  const auto& x0 = parts[1];  // (B, L, d_mlp)
  const auto& z = parts[2];   // (B, L, d_ssm) gate
  // Padding d_conv-1 on both sides and keeping the first L outputs: causal.
  const auto xBC = torch::silu(conv1d(parts[3].transpose(1, 2)).narrow(2, 0, len)).transpose(1, 2);
  const auto xbc = xBC.split_with_sizes({m_d_ssm, g * n, g * n}, -1);
  auto dt = torch::softplus(parts[4] + dt_bias);  // (B, L, H); threshold 20 as mamba_ssm's softplus
  if (m_options.dt_limit_min() > 0.0 || m_options.dt_limit_max() > 0.0) {
    dt = m_options.dt_limit_max() > 0.0 ? dt.clamp(m_options.dt_limit_min(), m_options.dt_limit_max())
                                        : dt.clamp_min(m_options.dt_limit_min());
  }
  const auto A = -torch::exp(A_log);                                                    // (H,)
  const auto x = xbc[0].view({batch, len, m_nheads, m_headdim}).permute({0, 2, 1, 3});  // (B, H, L, P)
  const auto B = xbc[1].view({batch, len, g, n}).permute({0, 2, 1, 3});                 // (B, G, L, N)
  const auto C = xbc[2].view({batch, len, g, n}).permute({0, 2, 1, 3});                 // (B, G, L, N)
  const auto dt_h = dt.transpose(1, 2);                                                 // (B, H, L)
  if (capturing()) {
    torch::NoGradGuard no_grad;
    // The weights the scan applies to x, signed: C_t·B_s · decay from s to t · Δ_s (the D skip and the
    // gated norm come after). As "attention" the inspector gets their magnitudes normalised per row (rows
    // sum to 1, as an attention's do): the share of each earlier position in output t. And each head's
    // per-step decay exp(A·Δ_t): near 1 keeps the state, near 0 resets it.
    const auto weights = kernels::ssd_weights(dt_h, A, B, C);  // (B, H, L, L)
    capture_value_weights(weights);
    capture("decay", torch::exp(dt_h * A.view({1, -1, 1})));  // (B, H, L)
  }
  auto y = kernels::ssd_scan(x, dt_h, A, B, C, m_options.chunk_size());  // (B, H, L, P)
  const auto skip =
      m_options.D_has_hdim() ? D.view({1, m_nheads, 1, m_headdim}) : D.view({1, m_nheads, 1, 1});
  y = (y + x * skip).permute({0, 2, 1, 3}).reshape({batch, len, m_d_ssm});  // (B, L, d_ssm)
  y = m_options.rmsnorm() ? norm(y, z) : y * torch::silu(z);
  if (d_mlp > 0) {
    y = torch::cat({torch::silu(z0) * x0, y}, -1);  // (B, L, d_inner)
  }
  return out_proj(y);  // (B, L, D)
}

MixerSpec mamba2_spec() {
  MixerSpec spec;
  spec.name = "mamba2";
  spec.kind = MixerKind::Sequence;
  spec.summary =
      "Mamba-2: SSD scan with one scalar decay per head (input-dependent Δ, B, C) after a short "
      "causal conv, gated RMSNorm";
  const Mamba2Options defaults(1);
  spec.params = {
      ParamSpec::integer("d_state")
          .defaults_to(defaults.d_state())
          .at_least(1)
          .at_most(kMaxTapsKwarg)
          .described("State size N per head (B and C width per group)"),
      ParamSpec::integer("d_conv")
          .defaults_to(defaults.d_conv())
          .at_least(1)
          .at_most(kMaxTapsKwarg)
          .described("Taps of the causal depthwise convolution over x, B, C"),
      ParamSpec::number("conv_init")
          .defaults_to(defaults.conv_init())
          .at_least(0)
          .described("conv1d.weight ~ U(±conv_init); 0 = PyTorch's default (Zoology's None)"),
      ParamSpec::integer("expand")
          .defaults_to(defaults.expand())
          .at_least(1)
          .at_most(kMaxExpandKwarg)
          .described("Inner width d_inner = expand * d_model"),
      ParamSpec::integer("headdim")
          .defaults_to(defaults.headdim())
          .at_least(0)
          .at_most(kMaxWidthKwarg)
          .described("Head width P (heads = d_ssm / P); 0 = Zoology's 64, or d_ssm when narrower"),
      ParamSpec::integer("d_ssm")
          .defaults_to(defaults.d_ssm())
          .at_least(0)
          .at_most(kMaxWidthKwarg)
          .described("Channels through the SSM; 0 = all of d_inner (the rest is a gated MLP)"),
      ParamSpec::integer("ngroups")
          .defaults_to(defaults.ngroups())
          .at_least(1)
          .at_most(kMaxWidthKwarg)
          .described("Groups of heads sharing B and C (divides the number of heads)"),
      ParamSpec::number("A_init_min")
          .defaults_to(defaults.A_init_min())
          .at_least(0)
          .described("Lower end of A's initial range (Zoology's A_init_range[0]); A = -exp(A_log)"),
      ParamSpec::number("A_init_max")
          .defaults_to(defaults.A_init_max())
          .at_least(0)
          .described("Upper end of A's initial range (Zoology's A_init_range[1])"),
      ParamSpec::boolean("D_has_hdim")
          .defaults_to(defaults.D_has_hdim())
          .described("Skip weight D per channel rather than per head"),
      ParamSpec::boolean("rmsnorm")
          .defaults_to(defaults.rmsnorm())
          .described("Gated RMSNorm on the SSM output; false: y * silu(z)"),
      ParamSpec::boolean("norm_before_gate")
          .defaults_to(defaults.norm_before_gate())
          .described("RMSNorm(y) * silu(z) rather than RMSNorm(y * silu(z))"),
      ParamSpec::number("dt_min")
          .defaults_to(defaults.dt_min())
          .at_least(0)
          .described("Smallest initial step size Δ"),
      ParamSpec::number("dt_max")
          .defaults_to(defaults.dt_max())
          .at_least(0)
          .described("Largest initial step size Δ"),
      ParamSpec::number("dt_init_floor")
          .defaults_to(defaults.dt_init_floor())
          .at_least(0)
          .described("Floor of the initial step sizes"),
      ParamSpec::number("dt_limit_min")
          .defaults_to(defaults.dt_limit_min())
          .at_least(0)
          .described("Δ clamped from below (Zoology's dt_limit[0])"),
      ParamSpec::number("dt_limit_max")
          .defaults_to(defaults.dt_limit_max())
          .at_least(0)
          .described("Δ clamped from above (Zoology's dt_limit[1]); 0 = no limit (Zoology's inf)"),
      ParamSpec::boolean("bias").defaults_to(defaults.bias()).described("Biases in in_proj and out_proj"),
      ParamSpec::boolean("conv_bias").defaults_to(defaults.conv_bias()).described("Bias in the convolution"),
      ParamSpec::integer("chunk_size")
          .defaults_to(defaults.chunk_size())
          .at_least(1)
          .at_most(kMaxLengthKwarg)
          .described("Chunk length of the SSD scan: speed only, same values (Zoology's Triton default 256)"),
  };
  spec.factory = [](const MixerContext& context, const nlohmann::json& kwargs) -> MixerPtr {
    return std::make_shared<Mamba2Impl>(Mamba2Options(context.d_model)
                                            .d_state(kwargs.at("d_state").get<int64_t>())
                                            .d_conv(kwargs.at("d_conv").get<int64_t>())
                                            .conv_init(kwargs.at("conv_init").get<double>())
                                            .expand(kwargs.at("expand").get<int64_t>())
                                            .headdim(kwargs.at("headdim").get<int64_t>())
                                            .d_ssm(kwargs.at("d_ssm").get<int64_t>())
                                            .ngroups(kwargs.at("ngroups").get<int64_t>())
                                            .A_init_min(kwargs.at("A_init_min").get<double>())
                                            .A_init_max(kwargs.at("A_init_max").get<double>())
                                            .D_has_hdim(kwargs.at("D_has_hdim").get<bool>())
                                            .rmsnorm(kwargs.at("rmsnorm").get<bool>())
                                            .norm_before_gate(kwargs.at("norm_before_gate").get<bool>())
                                            .dt_min(kwargs.at("dt_min").get<double>())
                                            .dt_max(kwargs.at("dt_max").get<double>())
                                            .dt_init_floor(kwargs.at("dt_init_floor").get<double>())
                                            .dt_limit_min(kwargs.at("dt_limit_min").get<double>())
                                            .dt_limit_max(kwargs.at("dt_limit_max").get<double>())
                                            .bias(kwargs.at("bias").get<bool>())
                                            .conv_bias(kwargs.at("conv_bias").get<bool>())
                                            .chunk_size(kwargs.at("chunk_size").get<int64_t>()));
  };
  return spec;
}

}  // namespace zoolab
