#include "models/mixers/selective.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <torch/torch.h>

#include "models/mixers/attention.h"
#include "models/mixers/option_error.h"

namespace zoolab {

namespace {

const std::vector<std::string>& selector_names() {
  static const std::vector<std::string> names = {"sigmoid", "softmax", "sma"};
  return names;
}

}  // namespace

SelectiveImpl::SelectiveImpl(const SelectiveOptions& options) : m_options(options) {
  const int64_t d = options.d_model(), heads = options.num_heads();
  if (heads <= 0 || d % heads != 0) {
    refuse_option("selective", "num_heads", std::to_string(heads),
                  "must divide d_model (" + std::to_string(d) + ")");
  }
  const auto& names = selector_names();
  if (std::find(names.begin(), names.end(), options.selector()) == names.end()) {
    refuse_option("selective", "selector", "\"" + options.selector() + "\"",
                  "is not one of: sigmoid, softmax, sma");
  }
  if (options.dropout() < 0.0 || options.dropout() >= 1.0) {
    refuse_option("selective", "dropout", std::to_string(options.dropout()), "must be in [0, 1)");
  }
  if (options.selection_penalty() < 0.0) {
    refuse_option("selective", "selection_penalty", std::to_string(options.selection_penalty()),
                  "must be non-negative");
  }
  if (options.n_lookups() < 0) {
    refuse_option("selective", "n_lookups", std::to_string(options.n_lookups()),
                  "must be positive (or 0 for sqrt(L))");
  }
  if (options.n_lookups() > 0 && options.selector() != "sigmoid") {
    // Only SigmoidLookups reads it; elsewhere it would be silently ignored.
    refuse_option("selective", "n_lookups", std::to_string(options.n_lookups()),
                  "applies to selector \"sigmoid\" only");
  }
  if (options.alpha() <= 0.0) {
    refuse_option("selective", "alpha", std::to_string(options.alpha()),
                  "must be positive (the temperature divides)");
  }
  // Registration order follows the reference's constructors.
  Wqkv = register_module("Wqkv", torch::nn::Linear(torch::nn::LinearOptions(d, 3 * d).bias(options.bias())));
  if (options.selector() == "sma") {
    selection_proj = register_module("selection_proj", torch::nn::Linear(d, 2));
  } else {
    // SigmoidLookups' selector has no bias; SelectiveLookups' has one.
    selecting = register_module(
        "selecting", torch::nn::Linear(torch::nn::LinearOptions(d, 1).bias(options.selector() == "softmax")));
  }
  out_proj = register_module("out_proj", torch::nn::Linear(d, d));
  if (options.selector() == "sma") {
    temperature = register_parameter("temperature",
                                     torch::full({1}, std::sqrt(static_cast<double>(d)) * options.alpha()));
  }
}

int64_t SelectiveImpl::lookups_kept(int64_t seq_len) const {
  // ⌈√L⌉ unless n_lookups is given (sigmoid). The reference would fail for k > L; we keep all L.
  const int64_t k = m_options.n_lookups() > 0
                        ? m_options.n_lookups()
                        : static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(seq_len))));
  return std::min(k, seq_len);
}

torch::Tensor SelectiveImpl::selection(const torch::Tensor& x) {
  if (m_options.selector() == "sigmoid") {
    return torch::sigmoid(selecting->forward(x));  // (B, L, 1)
  }
  if (m_options.selector() == "softmax") {
    return torch::softmax(selecting->forward(x), /*dim=*/1);  // (B, L, 1): over positions (not causal)
  }
  // sma: a two-way softmax per position; the second share is the selection.
  return torch::softmax(selection_proj->forward(x) / temperature, -1).narrow(-1, 1, 1);  // (B, L, 1)
}

torch::Tensor SelectiveImpl::eval_mask(const torch::Tensor& s) const {
  const int64_t len = s.size(1), k = lookups_kept(len);
  const auto scores = s.detach().squeeze(-1);  // (B, L)
  if (m_options.causal_topk()) {
    // Streaming top-k: keep i when fewer than k positions j < i score at least s_i.
    const auto at_least = scores.unsqueeze(1).ge(scores.unsqueeze(2));  // (B, L_i, L_j)
    const auto earlier = torch::ones({len, len}, torch::dtype(torch::kBool).device(s.device())).tril(-1);
    const auto rank = (at_least & earlier).sum(-1);       // (B, L)
    return rank.lt(k).to(s.scalar_type()).unsqueeze(-1);  // (B, L, 1)
  }
  // The reference: the k best positions of the whole sequence.
  const auto indices = std::get<1>(scores.topk(k, /*dim=*/1, /*largest=*/true, /*sorted=*/false));  // (B, k)
  return torch::zeros_like(scores).scatter_(1, indices, 1.0).unsqueeze(-1);  // (B, L, 1)
}

torch::Tensor SelectiveImpl::forward(const torch::Tensor& x) {
  const int64_t batch = x.size(0), len = x.size(1), d = x.size(2);
  const int64_t heads = m_options.num_heads(), head_dim = d / heads;
  m_auxiliary_loss = torch::Tensor();

  // Causal softmax attention exactly as MHA (Wqkv laid out "(three h d)", mask -10000, scale 1/√hd).
  const auto qkv = Wqkv(x).chunk(3, -1);            // 3 × (B, L, D)
  auto split_heads = [&](const torch::Tensor& t) {  // (B, L, D) -> (B·H, L, hd)
    return heads == 1 ? t
                      : t.view({batch, len, heads, head_dim}).transpose(1, 2).reshape({-1, len, head_dim});
  };
  if (!m_mask.defined() || m_mask.size(0) != len || m_mask.scalar_type() != x.scalar_type() ||
      m_mask.device() != x.device()) {
    m_mask = torch::full({len, len}, -10000.0, x.options()).triu(1);  // (L, L)
  }
  torch::Tensor probs;
  auto context =
      masked_softmax_attention(split_heads(qkv[0]), split_heads(qkv[1]), split_heads(qkv[2]), m_mask,
                               1.0 / std::sqrt(static_cast<double>(head_dim)), m_options.dropout(),
                               is_training(), capturing() ? &probs : nullptr);  // (B·H, L, hd)
  if (heads > 1) {
    context = context.view({batch, heads, len, head_dim}).transpose(1, 2);
  }
  const auto attn_output = out_proj(context.reshape({batch, len, d}));  // (B, L, D)

  const auto s = selection(x);  // (B, L, 1)
  if (capturing()) {
    capture("attention", probs.view({batch, heads, len, len}));
    capture("selector", s.squeeze(-1));  // (B, L)
  }
  if (is_training()) {
    if (m_options.selector() == "sigmoid") {
      // Pushes the mean selection down to n_lookups / L (√L / L by default) and no further.
      const double lookups = m_options.n_lookups() > 0 ? static_cast<double>(m_options.n_lookups())
                                                       : std::sqrt(static_cast<double>(len));
      m_auxiliary_loss =
          torch::relu(s.mean() - lookups / static_cast<double>(len)) * m_options.selection_penalty();
    }
    return attn_output * s + x;  // (B, L, D)
  }
  // Eval: the attention term only at the kept positions. The reference scatter_adds into its input
  // in place (which breaks backward through Wqkv); the sum below is the same value without that.
  return x + attn_output * s * eval_mask(s);  // (B, L, D)
}

MixerSpec selective_spec() {
  MixerSpec spec;
  spec.name = "selective";
  spec.kind = MixerKind::Sequence;
  spec.summary = "Input-dependent sparse attention (Zoology §5 SigmoidLookups / SelectiveLookups / SMA)";
  const SelectiveOptions defaults(1);
  spec.params = {
      ParamSpec::integer("num_heads")
          .defaults_to(defaults.num_heads())
          .at_least(1)
          .at_most(kMaxWidthKwarg)
          .described("Attention heads; must divide d_model"),
      ParamSpec::boolean("bias").defaults_to(defaults.bias()).described("Bias in the fused Wqkv projection"),
      ParamSpec::number("dropout")
          .defaults_to(defaults.dropout())
          .at_least(0)
          .at_most(0.999)
          .described("Dropout on attention probabilities while training"),
      ParamSpec::string("selector")
          .defaults_to(defaults.selector())
          .one_of(selector_names())
          .described("sigmoid: SigmoidLookups (with sparsity penalty); softmax: SelectiveLookups (over "
                     "positions, not causal); sma: SMA (2-way softmax with temperature)"),
      ParamSpec::number("selection_penalty")
          .defaults_to(defaults.selection_penalty())
          .at_least(0)
          .described("sigmoid: weight of the auxiliary loss relu(mean(s) - n_lookups/L)"),
      ParamSpec::integer("n_lookups")
          .defaults_to(defaults.n_lookups())
          .at_least(0)
          .at_most(kMaxLengthKwarg)
          .described("sigmoid: target lookups per sequence; 0 = sqrt(L) (the reference's None)"),
      ParamSpec::number("alpha")
          .defaults_to(defaults.alpha())
          .described("sma: initial temperature sqrt(d_model) * alpha"),
      ParamSpec::boolean("causal_topk")
          .defaults_to(defaults.causal_topk())
          .described("Eval keeps i when fewer than k earlier positions score higher (causal); false = the "
                     "reference's top-k of the whole sequence (leaks the future at eval)"),
  };
  spec.factory = [](const MixerContext& context, const nlohmann::json& kwargs) -> MixerPtr {
    return std::make_shared<SelectiveImpl>(
        SelectiveOptions(context.d_model)
            .num_heads(kwargs.at("num_heads").get<int64_t>())
            .bias(kwargs.at("bias").get<bool>())
            .dropout(kwargs.at("dropout").get<double>())
            .selector(kwargs.at("selector").get<std::string>())
            .selection_penalty(kwargs.at("selection_penalty").get<double>())
            .n_lookups(kwargs.at("n_lookups").get<int64_t>())
            .alpha(kwargs.at("alpha").get<double>())
            .causal_topk(kwargs.at("causal_topk").get<bool>()));
  };
  return spec;
}

}  // namespace zoolab
