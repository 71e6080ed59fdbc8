#include "engine/config/run_memory.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <vector>

#include "common/json_rules.h"
#include "engine/util/memory_budget.h"

namespace zoolab {

namespace {

using nlohmann::json;

constexpr uint64_t kFloatBytes = 4;
constexpr uint64_t kTokenBytes = 8;  // int64 inputs and labels
// Weights, gradients and AdamW's two moments, fp32.
constexpr uint64_t kTrainingBytesPerParameter = 4 * kFloatBytes;

// The costs of one layer's mixer.
struct MixerCost {
  CheckedSize parameters;
  CheckedSize widest_per_token;  // floats of the widest intermediate one token has in this mixer
  CheckedSize score_maps;        // L × L maps per sequence (one per head for attention)
};

CheckedSize larger(CheckedSize a, CheckedSize b) {
  if (!a.ok() || !b.ok()) {
    return CheckedSize::invalid();
  }
  return *a.value() >= *b.value() ? a : b;
}

// An integer kwarg; `fallback` when it is missing (the registry fills every default in, but an entry
// of a hybrid's default list may leave kwargs out).
int64_t int_kwarg(const json& kwargs, const char* key, int64_t fallback) {
  if (!kwargs.is_object()) {
    return fallback;
  }
  const auto it = kwargs.find(key);
  if (it == kwargs.end()) {
    return fallback;
  }
  if (it->is_number_unsigned()) {
    return static_cast<int64_t>(std::min<uint64_t>(it->get<uint64_t>(), std::numeric_limits<int64_t>::max()));
  }
  if (it->is_number_integer()) {
    return it->get<int64_t>();
  }
  if (it->is_array()) {  // a per-layer list (base_conv's kernel_size): the largest entry counts
    int64_t widest = fallback;
    for (const auto& item : *it) {
      if (item.is_number_integer()) {
        widest = std::max(widest, item.get<int64_t>());
      }
    }
    return widest;
  }
  return fallback;
}

// Parameters and intermediates of one layer of mixer `name` (the formulas follow the mixers' own
// constructors in models/mixers/; biases are counted where they scale with the width).
MixerCost mixer_cost(const std::string& name, const json& kwargs, int64_t d_model, int64_t l_max) {
  const CheckedSize d(d_model);
  const CheckedSize dd = d * d;
  const CheckedSize l(int_kwarg(kwargs, "l_max", l_max));
  if (name == "identity") {
    return {0, 0, 0};
  }
  if (name == "mlp" || name == "glu") {
    const int64_t mult = int_kwarg(kwargs, "hidden_mult", 1);
    const uint64_t matrices = name == "mlp" ? 2 : 3;
    const CheckedSize hidden = d * mult;
    return {dd * mult * matrices + hidden * (matrices - 1) + d, hidden * (matrices - 1), 0};
  }
  if (name == "attention" || name == "selective" || name == "sliding_window") {
    const int64_t heads = name == "sliding_window" ? 1 : int_kwarg(kwargs, "num_heads", 1);
    return {dd * 4 + d * 4, d * 3, heads};
  }
  if (name == "based") {
    const int64_t f = int_kwarg(kwargs, "feature_dim", 16);
    const int64_t heads = int_kwarg(kwargs, "num_heads", 12);
    const int64_t kv_heads = std::max<int64_t>(1, int_kwarg(kwargs, "num_key_value_heads", 12));
    const CheckedSize head_dim(d_model / kv_heads);
    const CheckedSize features = CheckedSize(1) + f + CheckedSize(f) * f;  // Taylor map: 1 + f + f²
    return {d * f * heads * 2 + d * kv_heads * head_dim + head_dim * heads * d + CheckedSize(f) * f * 2,
            features * heads * 2, 0};
  }
  if (name == "base_conv") {
    const int64_t kernel = int_kwarg(kwargs, "kernel_size", 3);
    const bool implicit = !kwargs.is_object() || kwargs.value("implicit_long_conv", true);
    CheckedSize conv;
    if (kernel < 1) {  // -1: a long convolution over l_max taps
      conv = implicit ? l * 3 + d * 16 + 64 : d * l;
    } else {
      conv = d * kernel + d;
    }
    return {dd + d + conv, d * 4, 0};  // the FFT of 2L taps: 4 floats a token per channel
  }
  if (name == "hyena") {
    const CheckedSize order(int_kwarg(kwargs, "filter_order", 64));
    const int64_t short_taps = int_kwarg(kwargs, "short_filter_order", 3);
    return {dd * 4 + d * 4 + d * 3 * short_taps + d * 3 + l * 4 + order * order * 2 + order * d + d * 2,
            d * 7, 0};
  }
  if (name == "h3") {
    const int64_t state = int_kwarg(kwargs, "d_state", 64);
    const int64_t head_dim = std::max<int64_t>(1, int_kwarg(kwargs, "head_dim", 1));
    const CheckedSize heads(d_model / head_dim);
    return {dd * 4 + d * 4 + d * state * 2 + d + heads * state * 4 + heads, d * head_dim + d * 4, 0};
  }
  if (name == "mamba") {
    const int64_t state = int_kwarg(kwargs, "d_state", 16);
    const int64_t dt_rank_given = int_kwarg(kwargs, "dt_rank", 0);
    const CheckedSize rank(dt_rank_given > 0 ? dt_rank_given : (d_model + 15) / 16);
    const CheckedSize inner = d * int_kwarg(kwargs, "expand", 2);
    const CheckedSize conv_taps(int_kwarg(kwargs, "d_conv", 4));
    return {d * inner * 2 + inner * conv_taps + inner + inner * (rank + CheckedSize(state) * 2) +
                rank * inner + inner * state + inner * 3 + inner * d,
            inner * state + inner * 2, 0};  // the selective scan's (d_inner, d_state) per token
  }
  if (name == "rwkv") {
    return {dd * 4 + d * 5, d * 4, 0};
  }
  // The modern recurrences run chunkwise (kernels/): besides their projections, a token holds a few
  // rows of its chunk's (C, C) maps per head, C = 64.
  constexpr int64_t kChunk = 64;
  const double expand_v_default = name == "gated_delta_net" ? 2.0 : 1.0;
  const auto expand = [&kwargs](const char* key, double fallback) {
    return kwargs.is_object() && kwargs.contains(key) && kwargs[key].is_number() ? kwargs[key].get<double>()
                                                                                 : fallback;
  };
  if (name == "delta_net" || name == "gated_delta_net" || name == "gla") {
    const int64_t heads = int_kwarg(kwargs, "num_heads", name == "gated_delta_net" ? 6 : 4);
    const double key = expand("expand_k", name == "gla" ? 0.5 : 1.0);
    const double value = expand("expand_v", expand_v_default);
    // q and k, v, the output gate and o_proj, in units of d² (rounded up).
    const auto projections = static_cast<int64_t>(2.0 * key + 3.0 * value + 1.0);
    return {dd * projections + d * 32, d * 8 + CheckedSize(heads) * kChunk * 4, 0};
  }
  if (name == "mamba2") {
    const int64_t state = int_kwarg(kwargs, "d_state", 128);
    const CheckedSize inner = d * int_kwarg(kwargs, "expand", 2);
    const CheckedSize heads(std::max<int64_t>(1, d_model * int_kwarg(kwargs, "expand", 2) / 64));
    return {d * inner * 2 + d * state * 2 + inner * d + inner * 8,
            inner * 4 + CheckedSize(state) * 4 + heads * kChunk * 2, 0};
  }
  if (name == "rwkv7") {
    return {dd * 4 + d * 256, d * 12 + CheckedSize(kChunk) * 8, 0};
  }
  if (name == "ttt") {
    const int64_t heads = std::max<int64_t>(1, int_kwarg(kwargs, "num_heads", 4));
    const CheckedSize width(d_model / heads);
    const CheckedSize batch(int_kwarg(kwargs, "mini_batch_size", 16));
    return {dd * 5 + width * width * heads * 9, d * 8 + batch * heads * 4, 0};
  }
  if (name == "nsa") {
    // Attention's projections and the compression MLPs; three (L, L) maps a head (compressed, selected,
    // sliding) as attention's one.
    return {dd * 5 + d * 64, d * 6, CheckedSize(int_kwarg(kwargs, "num_heads", 2)) * 3};
  }
  if (name == "hybrid") {
    MixerCost widest{0, 0, 0};
    const auto configs = kwargs.is_object() ? kwargs.find("configs") : kwargs.end();
    if (configs != kwargs.end() && configs->is_array()) {
      for (const auto& entry : *configs) {
        if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string()) {
          continue;
        }
        const MixerCost cost = mixer_cost(entry["name"].get<std::string>(),
                                          entry.value("kwargs", json::object()), d_model, l_max);
        widest = {larger(widest.parameters, cost.parameters),
                  larger(widest.widest_per_token, cost.widest_per_token),
                  larger(widest.score_maps, cost.score_maps)};
      }
    }
    return widest;
  }
  return {dd * 4 + d * 4, d * 3, 0};  // a mixer this estimate does not know: an attention's worth
}

std::string bytes_text(CheckedSize bytes) {
  return bytes.ok() ? format_bytes(*bytes.value()) : "more than 2^64 bytes";
}

std::string count_text(CheckedSize count) {
  if (!count.ok()) {
    return "more than 2^64";
  }
  char text[32];
  std::snprintf(text, sizeof(text), *count.value() < 1000000 ? "%.0f" : "%.3g",
                static_cast<double>(*count.value()));
  return text;
}

// A field that may be named in the error, and how far it is above a value typical of the runs zoolab
// trains (Figure 2 and the paper's 125M text models sit at or below 1 on every ratio).
struct Suspect {
  std::string path;
  int64_t value = 0;
  double typical = 1.0;
  double ratio() const { return static_cast<double>(value) / typical; }
};

// The mixer kwargs that scale a layer's parameters or intermediates, with typical values.
void add_kwarg_suspects(const std::string& path, const json& kwargs, std::vector<Suspect>& suspects) {
  static const std::vector<std::pair<const char*, double>> kTypical = {
      {"hidden_mult", 4},  {"expand", 2},        {"d_state", 64},           {"d_conv", 4},
      {"feature_dim", 16}, {"filter_order", 64}, {"short_filter_order", 3}, {"head_dim", 16},
      {"kernel_size", 3},  {"l_max", 2048}};
  for (const auto& [key, typical] : kTypical) {
    if (kwargs.is_object() && kwargs.contains(key)) {
      suspects.push_back({path + "." + key, int_kwarg(kwargs, key, 0), typical});
    }
  }
}

const Suspect& most_suspect(const std::vector<Suspect>& suspects) {
  return *std::max_element(suspects.begin(), suspects.end(),
                           [](const Suspect& a, const Suspect& b) { return a.ratio() < b.ratio(); });
}

// Where the longest sequence is configured.
std::string sequence_length_path(const DataConfig& data) {
  if (is_text_task(data)) {
    return "data.text.context_length";
  }
  const int64_t longest = max_seq_len(data);
  for (size_t i = 0; i < data.train.size(); ++i) {
    if (data.train[i].input_seq_len == longest) {
      return json_index_path("data.train", i) + ".input_seq_len";
    }
  }
  for (size_t i = 0; i < data.test.size(); ++i) {
    if (data.test[i].input_seq_len == longest) {
      return json_index_path("data.test", i) + ".input_seq_len";
    }
  }
  return "data";
}

// The longest sequence of the train (or test) split; a text run's context length.
int64_t longest(const DataConfig& data, bool train) {
  if (is_text_task(data)) {
    return data.text.context_length;
  }
  int64_t length = 0;
  for (const auto& segment : train ? data.train : data.test) {
    length = std::max(length, segment.input_seq_len);
  }
  return length;
}

// Is `a` the larger part? An overflowed part is larger than any other.
bool above(CheckedSize a, CheckedSize b) {
  if (!a.ok()) {
    return b.ok();
  }
  return b.ok() && *a.value() > *b.value();
}

}  // namespace

CheckedSize segment_bytes(const SegmentConfig& segment) {
  return CheckedSize(segment.num_examples) * segment.input_seq_len * 2 * kTokenBytes;
}

RunMemoryEstimate estimate_run_memory(const RunConfig& config, const json& sequence_kwargs,
                                      const json& state_kwargs) {
  const ModelConfig& model = config.model;
  const int64_t l_max = max_seq_len(config.data);
  const MixerCost sequence = mixer_cost(model.sequence_mixer.name, sequence_kwargs, model.d_model, l_max);
  const MixerCost state = mixer_cost(model.state_mixer.name, state_kwargs, model.d_model, l_max);
  const CheckedSize d(model.d_model);

  RunMemoryEstimate estimate;
  // Tied token embeddings (the LM head reuses them), learned positions, two norms a layer, a final norm.
  const CheckedSize embeddings =
      (CheckedSize(effective_vocab_size(config)) + model.max_position_embeddings) * d;
  const CheckedSize per_layer = sequence.parameters + state.parameters + d * 4;
  estimate.parameters = embeddings + per_layer * model.n_layers + d * 2;
  estimate.model_bytes = estimate.parameters * kTrainingBytesPerParameter;

  // Training batches hold the longest train sequence, evaluation batches the longest test sequence.
  const CheckedSize per_token =
      d * 2 * model.n_layers + larger(sequence.widest_per_token, state.widest_per_token);
  const CheckedSize maps = larger(sequence.score_maps, state.score_maps);
  const auto batch_bytes = [&](int64_t batch, int64_t length) {
    return (CheckedSize(batch) * length * per_token + CheckedSize(batch) * maps * length * length) *
           kFloatBytes;
  };
  estimate.activation_bytes = larger(batch_bytes(config.data.train_batch_size, longest(config.data, true)),
                                     batch_bytes(config.data.test_batch_size, longest(config.data, false)));

  estimate.data_bytes = 0;
  for (const auto* segments : {&config.data.train, &config.data.test}) {
    for (const auto& segment : *segments) {
      estimate.data_bytes += segment_bytes(segment);
    }
  }
  return estimate;
}

void check_run_memory(const RunConfig& config, const json& sequence_kwargs, const json& state_kwargs) {
  const RunMemoryEstimate estimate = estimate_run_memory(config, sequence_kwargs, state_kwargs);
  const auto shortfall = memory_shortfall(estimate.total());
  if (!shortfall) {
    return;
  }
  const DataConfig& data = config.data;
  const ModelConfig& model = config.model;
  const std::string parts =
      "model: " + count_text(estimate.parameters) + " parameters, " + bytes_text(estimate.model_bytes) +
      " with gradients and optimizer state; one batch: " + bytes_text(estimate.activation_bytes) +
      (is_text_task(data) ? std::string() : "; examples: " + bytes_text(estimate.data_bytes));

  // The largest part of the estimate, then the field in it furthest above its typical value.
  if (above(estimate.data_bytes, estimate.model_bytes) &&
      above(estimate.data_bytes, estimate.activation_bytes)) {
    std::string path;
    const SegmentConfig* largest = nullptr;
    for (const auto& [split, segments] :
         {std::make_pair("train", &data.train), std::make_pair("test", &data.test)}) {
      for (size_t i = 0; i < segments->size(); ++i) {
        const SegmentConfig& segment = (*segments)[i];
        if (largest == nullptr || above(segment_bytes(segment), segment_bytes(*largest))) {
          largest = &segment;
          path = json_index_path(std::string("data.") + split, i);
        }
      }
    }
    const std::string what = std::to_string(largest->num_examples) + " examples of " +
                             std::to_string(largest->input_seq_len) + " tokens";
    if (const auto alone = memory_shortfall(segment_bytes(*largest))) {
      throw ConfigError(path + ".num_examples", what + ": holding their inputs and labels (" +
                                                    std::to_string(kTokenBytes) + " bytes a token) " +
                                                    *alone);
    }
    throw ConfigError(path + ".num_examples",
                      what + " are the largest part of the run, which " + *shortfall + "; " + parts);
  }

  const int64_t vocab = effective_vocab_size(config);
  const std::string vocab_path = model.vocab_size > 0 ? "model.vocab_size" : "data.vocab_size";
  std::vector<Suspect> suspects = {{"model.n_layers", model.n_layers, 24},
                                   {"model.d_model", model.d_model, 1024}};
  if (above(estimate.activation_bytes, estimate.model_bytes)) {
    suspects.push_back({"data.batch_size", std::max(data.train_batch_size, data.test_batch_size), 256});
    suspects.push_back({sequence_length_path(data), max_seq_len(data), 2048});
  } else {
    suspects.push_back({vocab_path, vocab, 65536});
    suspects.push_back({"model.max_position_embeddings", model.max_position_embeddings, 2048});
  }
  add_kwarg_suspects("model.sequence_mixer.kwargs", sequence_kwargs, suspects);
  add_kwarg_suspects("model.state_mixer.kwargs", state_kwargs, suspects);
  const Suspect& suspect = most_suspect(suspects);
  throw ConfigError(suspect.path,
                    std::to_string(suspect.value) + " is too large: the run " + *shortfall + "; " + parts);
}

}  // namespace zoolab
