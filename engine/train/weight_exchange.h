#pragma once

// Model weights in and out as safetensors, under Zoology's state-dict names, so a zoolab model and
// a Zoology (PyTorch) model exchange weights by name. Our LM head is tied to the word embeddings and
// is not a parameter of ours; Zoology's state dict lists it as `lm_head.weight`, so export writes it
// and import accepts it (and requires its shape to match the word embeddings').

#include <string>

#include <nlohmann/json.hpp>

#include "models/language_model.h"

namespace zoolab {

inline constexpr const char* kLmHeadName = "lm_head.weight";

// Writes every named parameter and buffer of `model` under its name, plus lm_head.weight, with
// metadata {"format": "zoolab", "zoolab_config": config.dump()}. Atomic (temp file + rename).
void export_model_weights(LanguageModel& model, const std::string& path, const nlohmann::json& config);

// Strict load: every parameter and buffer of `model` must be in the file with the same shape, and
// the file may hold nothing else but lm_head.weight; every floating-point tensor must be finite (a NaN
// weight would make a "finished" run whose metrics are all NaN). Values are converted to each
// parameter's dtype and device. Nothing is changed unless every check passes. Throws InputError naming
// the file and the tensor (with both shapes on a mismatch).
void import_model_weights(LanguageModel& model, const std::string& path);

}  // namespace zoolab
