#include "engine/analysis/run_facts.h"

#include <algorithm>
#include <map>

#include "engine/analysis/seed_group.h"
#include "engine/store/store.h"
#include "engine/util/strict_json.h"

namespace zoolab {

namespace {

using nlohmann::json;

int64_t integer_at(const json& object, const char* key) {
  if (!object.is_object()) {
    return 0;
  }
  const auto found = object.find(key);
  return found != object.end() && found->is_number() ? found->get<int64_t>() : 0;
}

// The label of one mixer reference {"name", "kwargs"}; a hybrid recurses into its configs.
std::string mixer_label(const json& mixer) {
  if (!mixer.is_object() || !mixer.contains("name") || !mixer["name"].is_string()) {
    return "";
  }
  const std::string name = mixer["name"].get<std::string>();
  if (name != "hybrid") {
    return name;
  }
  const json* configs = nullptr;
  if (mixer.contains("kwargs") && mixer["kwargs"].is_object() && mixer["kwargs"].contains("configs") &&
      mixer["kwargs"]["configs"].is_array()) {
    configs = &mixer["kwargs"]["configs"];
  }
  if (configs == nullptr || configs->empty()) {
    return name;
  }
  // Zoology's plots name Hybrid[BaseConv, Based] "based" (docs/reference.md#choosing-the-best-run): the short
  // BaseConv layers are the scaffolding every Based-paper model shares, the other mixer is the model.
  std::vector<std::string> parts;
  for (const auto& config : *configs) {
    const std::string part = mixer_label(config);
    if (part != "base_conv" && std::find(parts.begin(), parts.end(), part) == parts.end()) {
      parts.push_back(part);
    }
  }
  if (parts.empty()) {
    return "base_conv";
  }
  std::string label;
  for (const auto& part : parts) {
    label += (label.empty() ? "" : "+") + part;
  }
  return label;
}

}  // namespace

std::string model_label(const json& model_config) {
  if (!model_config.is_object() || !model_config.contains("sequence_mixer")) {
    return "";
  }
  return mixer_label(model_config["sequence_mixer"]);
}

RunFacts make_run_facts(RunRecord run, json config, const std::vector<MetricSummary>& summaries,
                        std::string sweep) {
  RunFacts facts;
  facts.config = std::move(config);
  const json& parsed = facts.config;
  facts.seed_group = seed_group_key(parsed);
  const json model = parsed.is_object() && parsed.contains("model") ? parsed["model"] : json();
  facts.model = model_label(model);
  if (facts.model.empty()) {
    facts.model = run.mixer;  // an unparsable configuration still has the recorded mixer name
  }
  facts.d_model = integer_at(model, "d_model");
  if (parsed.is_object() && parsed.contains("data") && parsed["data"].is_object() &&
      parsed["data"].contains("train") && parsed["data"]["train"].is_array()) {
    for (const auto& segment : parsed["data"]["train"]) {
      const int64_t length = integer_at(segment, "input_seq_len");
      if (length > facts.seq_len) {  // the first segment of the longest length gives the kv pairs
        facts.seq_len = length;
        facts.num_kv_pairs = integer_at(segment, "num_kv_pairs");
      }
    }
  }
  if (parsed.is_object() && parsed.contains("train") && parsed["train"].is_object() &&
      parsed["train"].contains("learning_rate") && parsed["train"]["learning_rate"].is_number()) {
    facts.learning_rate = parsed["train"]["learning_rate"].get<double>();
  }
  facts.sweep = std::move(sweep);
  for (const auto& summary : summaries) {
    facts.summaries.emplace(summary.key, summary);
  }
  facts.run = std::move(run);
  return facts;
}

std::vector<RunFacts> load_run_facts(const Store& store) {
  std::map<int64_t, std::string> sweep_names;
  for (const auto& sweep : store.list_sweeps()) {
    sweep_names[sweep.id] = sweep.name;
  }
  auto summaries = store.all_summaries();
  std::vector<RunFacts> out;
  for (auto& run : store.list_runs()) {
    json config;
    try {
      config = parse_strict_json(run.config_json);
    } catch (const JsonSyntaxError&) {
      config = json();  // shown without its configuration, as one that does not parse
    }
    std::string sweep;
    if (run.sweep_id) {
      const auto found = sweep_names.find(*run.sweep_id);
      sweep = found == sweep_names.end() ? "" : found->second;
    }
    const auto found = summaries.find(run.id);
    static const std::vector<MetricSummary> kNone;
    out.push_back(make_run_facts(std::move(run), std::move(config),
                                 found == summaries.end() ? kNone : found->second, std::move(sweep)));
  }
  return out;
}

}  // namespace zoolab
