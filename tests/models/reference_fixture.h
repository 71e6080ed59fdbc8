#pragma once

// Reading the fixtures that running the reference Zoology code produced (tests/models/fixtures,
// tests/engine/train/fixtures): tensors as {"shape", "values"} and state dicts under Zoology's names.

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <stdexcept>
#include <string>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "models/language_model.h"

namespace zoolab::reference_fixture {

// A fixture by its path under the source tree, e.g. "tests/models/fixtures/parity_hyena.json".
inline nlohmann::json load(const std::string& relative_path) {
  const std::string path = std::string(ZOOLAB_SOURCE_DIR) + "/" + relative_path;
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("missing fixture " + path);
  }
  return nlohmann::json::parse(in);
}

// {"shape": [...], "values": [...]} (written in double) as a float tensor.
inline torch::Tensor to_tensor(const nlohmann::json& entry) {
  const auto shape = entry.at("shape").get<std::vector<int64_t>>();
  const auto values = entry.at("values").get<std::vector<double>>();
  return torch::tensor(values, torch::kDouble).view(shape).to(torch::kFloat);
}

// Copies a reference state dict into `model` by name. Every reference tensor must map onto one of ours
// of the same shape and every one of ours must be covered; lm_head.weight must equal the word
// embeddings (tied). Failures are reported through gtest (check HasFatalFailure() after).
inline void load_state_dict(LanguageModel& model, const nlohmann::json& state_dict) {
  auto ours = model->named_parameters();
  std::set<std::string> loaded;
  torch::NoGradGuard no_grad;
  for (const auto& [name, entry] : state_dict.items()) {
    const auto value = to_tensor(entry);
    if (name == "lm_head.weight") {
      EXPECT_TRUE(
          torch::equal(value, to_tensor(state_dict.at("backbone.embeddings.word_embeddings.weight"))));
      continue;
    }
    auto* ours_tensor = ours.find(name);
    ASSERT_NE(ours_tensor, nullptr) << "reference tensor " << name << " has no counterpart";
    ASSERT_EQ(ours_tensor->sizes(), value.sizes()) << name;
    ours_tensor->copy_(value);
    loaded.insert(name);
  }
  for (const auto& name : ours.keys()) {
    EXPECT_TRUE(loaded.count(name)) << "our parameter " << name << " is not in the reference state dict";
  }
}

// A backbone of the fixture's "model" object (dropout off: the reference ran without it).
inline LanguageModelOptions model_options(const nlohmann::json& m) {
  LanguageModelOptions options;
  options.d_model = m.at("d_model");
  options.n_layers = m.at("n_layers");
  options.vocab_size = m.at("vocab_size");
  options.max_position_embeddings = m.at("max_position_embeddings");
  options.l_max = m.at("l_max");
  options.embed_dropout = 0.0;
  options.resid_dropout = 0.0;
  options.sequence_mixer = m.at("sequence_mixer");
  options.sequence_mixer_kwargs = m.at("sequence_mixer_kwargs");
  options.state_mixer = m.at("state_mixer");
  options.state_mixer_kwargs = m.at("state_mixer_kwargs");
  options.block_type = m.value("block_type", "transformer");
  return options;
}

}  // namespace zoolab::reference_fixture
