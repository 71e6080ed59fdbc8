#include "engine/train/mixer_complaint.h"

#include <cctype>

#include "models/registry.h"

namespace zoolab {

namespace {

bool complaint_identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// Whether `word` occurs in `text` at `at` as a whole identifier ("heads" is not in "num_heads").
bool complaint_word_at(const std::string& text, size_t at, const std::string& word) {
  const size_t end = at + word.size();
  return (at == 0 || !complaint_identifier_char(text[at - 1])) &&
         (end >= text.size() || !complaint_identifier_char(text[end]));
}

// The parameter of `spec` that `text` names first, or "".
std::string first_parameter_named(const MixerSpec& spec, const std::string& text) {
  std::string first;
  size_t first_at = std::string::npos;
  for (const auto& param : spec.params) {
    if (param.name.empty()) {
      continue;
    }
    for (size_t at = text.find(param.name); at != std::string::npos && at < first_at;
         at = text.find(param.name, at + 1)) {
      if (complaint_word_at(text, at, param.name)) {
        first_at = at;
        first = param.name;
        break;
      }
    }
  }
  return first;
}

const MixerSpec* registered_mixer(const std::string& name) {
  for (const auto& spec : mixer_registry()) {
    if (spec.name == name) {
      return &spec;
    }
  }
  return nullptr;
}

// The kwargs path of the module that is `mixer`, or of a hybrid's first entry that is; "" if none.
std::string module_kwargs_path(const ModuleConfig& module, const std::string& path,
                               const std::string& mixer) {
  if (module.name == mixer) {
    return path + ".kwargs";
  }
  const auto configs = module.kwargs.find("configs");
  if (configs == module.kwargs.end() || !configs->is_array()) {
    return "";
  }
  for (size_t i = 0; i < configs->size(); ++i) {
    const auto& entry = (*configs)[i];
    if (entry.is_object() && entry.value("name", std::string()) == mixer) {
      return path + ".kwargs.configs[" + std::to_string(i) + "].kwargs";
    }
  }
  return "";
}

}  // namespace

std::string mixer_complaint_path(const ModelConfig& model, const std::string& complaint,
                                 const std::string& fallback) {
  const size_t colon = complaint.find(": ");
  if (colon == std::string::npos) {
    return fallback;
  }
  const std::string mixer = complaint.substr(0, colon);
  const MixerSpec* spec = registered_mixer(mixer);
  if (spec == nullptr) {
    return fallback;
  }
  for (const auto& [module, path] :
       {std::pair<const ModuleConfig*, std::string>{&model.sequence_mixer, "model.sequence_mixer"},
        std::pair<const ModuleConfig*, std::string>{&model.state_mixer, "model.state_mixer"}}) {
    const std::string base = module_kwargs_path(*module, path, mixer);
    if (base.empty()) {
      continue;
    }
    const std::string parameter = first_parameter_named(*spec, complaint.substr(colon + 2));
    return parameter.empty() ? base : base + "." + parameter;
  }
  return fallback;
}

}  // namespace zoolab
