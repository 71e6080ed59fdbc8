#include "engine/train/weight_exchange.h"

#include <map>
#include <stdexcept>

#include <torch/torch.h>

#include "engine/text/utf8.h"
#include "engine/train/safetensors.h"
#include "engine/util/input_error.h"

namespace zoolab {
namespace {

std::string shape_text(const torch::IntArrayRef& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    text += (i ? ", " : "") + std::to_string(shape[i]);
  }
  return text + "]";
}

std::string quote_name(const std::string& name) {
  return "\"" + escape_for_terminal(name) + "\"";
}

// Parameters then buffers, each in registration order.
NamedTensors model_tensors(LanguageModel& model) {
  NamedTensors tensors;
  for (const auto& item : model->named_parameters(/*recurse=*/true)) {
    tensors.emplace_back(item.key(), item.value());
  }
  for (const auto& item : model->named_buffers(/*recurse=*/true)) {
    tensors.emplace_back(item.key(), item.value());
  }
  return tensors;
}

}  // namespace

void export_model_weights(LanguageModel& model, const std::string& path, const nlohmann::json& config) {
  auto tensors = model_tensors(model);
  tensors.emplace_back(kLmHeadName, model->head_weight());
  write_safetensors(path, tensors, {{"format", "zoolab"}, {"zoolab_config", config.dump()}});
}

void import_model_weights(LanguageModel& model, const std::string& path) {
  auto file = read_safetensors(path);
  std::map<std::string, torch::Tensor> loaded;
  for (auto& [name, tensor] : file.tensors) {
    loaded.emplace(name, tensor);
  }
  const auto ours = model_tensors(model);
  for (const auto& [name, tensor] : ours) {
    const auto found = loaded.find(name);
    if (found == loaded.end()) {
      throw InputError("weights file " + path + " lacks tensor " + quote_name(name) + " (shape " +
                       shape_text(tensor.sizes()) + ") of this model");
    }
    if (found->second.sizes() != tensor.sizes()) {
      throw InputError("tensor " + quote_name(name) + " has shape " + shape_text(found->second.sizes()) +
                       " in " + path + " but shape " + shape_text(tensor.sizes()) + " in this model");
    }
  }
  std::map<std::string, bool> known;
  for (const auto& [name, tensor] : ours) {
    known[name] = true;
  }
  for (const auto& [name, tensor] : file.tensors) {
    if (tensor.is_floating_point()) {
      const int64_t bad = tensor.numel() - torch::isfinite(tensor).sum().item<int64_t>();
      if (bad > 0) {
        throw InputError("weights file " + path + ": tensor " + quote_name(name) + " holds " +
                         std::to_string(bad) + " non-finite value" + (bad == 1 ? "" : "s") +
                         " (NaN or infinity); a model with them cannot be evaluated");
      }
    }
    if (known.count(name)) {
      continue;
    }
    if (name == kLmHeadName) {
      const auto& head = model->head_weight();
      if (tensor.sizes() != head.sizes()) {
        throw InputError("tensor " + quote_name(name) + " has shape " + shape_text(tensor.sizes()) + " in " +
                         path + " but the word embeddings it is tied to have shape " +
                         shape_text(head.sizes()));
      }
      continue;
    }
    throw InputError("weights file " + path + " has tensor " + quote_name(name) +
                     ", which this model does not have");
  }
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : ours) {
    auto target = tensor;  // shares storage with the parameter or buffer
    // A finite F64 value can still overflow the parameter's dtype (1e300 into F32 is infinity).
    const auto converted = loaded.at(name).to(target.scalar_type());
    if (converted.is_floating_point() && !torch::isfinite(converted).all().item<bool>()) {
      throw InputError("weights file " + path + ": tensor " + quote_name(name) +
                       " has values too large for " + std::string(c10::toString(target.scalar_type())) +
                       " (they become infinite)");
    }
  }
  for (const auto& [name, tensor] : ours) {
    auto target = tensor;
    target.copy_(loaded.at(name).to(target.scalar_type()));
  }
}

}  // namespace zoolab
