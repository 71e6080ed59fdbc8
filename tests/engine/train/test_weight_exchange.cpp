// Weight export and import as safetensors under Zoology's state-dict names.

#include <cmath>
#include <filesystem>
#include <set>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/train/model_setup.h"
#include "engine/train/safetensors.h"
#include "engine/train/weight_exchange.h"
#include "engine/util/input_error.h"
#include "train_test_support.h"

namespace zoolab {
namespace {

using train_test::temp_dir;
using train_test::tiny_config_json;

LanguageModel build(const nlohmann::json& json, uint64_t seed) {
  torch::manual_seed(seed);
  return LanguageModel(language_model_options(parse_run_config(json)));
}

class WeightExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override { m_dir = temp_dir("weights"); }
  void TearDown() override { std::filesystem::remove_all(m_dir); }
  std::filesystem::path m_dir;
};

TEST_F(WeightExchangeTest, ExportThenImportGivesIdenticalLogits) {
  for (const std::string mixer : {"attention", "base_conv"}) {
    const auto json = tiny_config_json(mixer);
    auto source = build(json, 1);
    const auto path = (m_dir / (mixer + ".safetensors")).string();
    export_model_weights(source, path, json);

    auto target = build(json, 2);
    const auto input_ids = torch::randint(0, 64, {3, 16}, torch::kInt64);
    source->eval();
    target->eval();
    torch::NoGradGuard no_grad;
    ASSERT_FALSE(torch::equal(source->forward(input_ids), target->forward(input_ids))) << mixer;
    import_model_weights(target, path);
    EXPECT_TRUE(torch::equal(source->forward(input_ids), target->forward(input_ids))) << mixer;

    const auto file = read_safetensors(path);
    EXPECT_EQ(file.metadata.at("format"), "zoolab");
    EXPECT_EQ(nlohmann::json::parse(file.metadata.at("zoolab_config")), json);
  }
}

TEST_F(WeightExchangeTest, FileHoldsParametersBuffersAndLmHead) {
  const auto json = tiny_config_json();
  auto model = build(json, 1);
  const auto path = (m_dir / "names.safetensors").string();
  export_model_weights(model, path, json);
  std::set<std::string> expected{kLmHeadName};
  for (const auto& item : model->named_parameters()) {
    expected.insert(item.key());
  }
  for (const auto& item : model->named_buffers()) {
    expected.insert(item.key());
  }
  const auto file = read_safetensors(path);
  std::set<std::string> names;
  for (const auto& [name, tensor] : file.tensors) {
    names.insert(name);
  }
  EXPECT_EQ(names, expected);
  EXPECT_TRUE(names.count("backbone.embeddings.word_embeddings.weight"));
  EXPECT_TRUE(names.count("backbone.layers.0.sequence_mixer.Wqkv.weight"));
  for (const auto& [name, tensor] : file.tensors) {
    if (name == kLmHeadName) {
      EXPECT_TRUE(torch::equal(tensor, model->head_weight()));
    }
  }
}

TEST_F(WeightExchangeTest, RefusesAnotherShapeNamingTheTensor) {
  const auto json = tiny_config_json();
  auto model = build(json, 1);
  const auto path = (m_dir / "d32.safetensors").string();
  export_model_weights(model, path, json);
  auto wider_json = json;
  wider_json["model"]["d_model"] = 48;
  auto wider = build(wider_json, 1);
  const auto before = wider->backbone->embeddings->word_embeddings->weight.clone();
  try {
    import_model_weights(wider, path);
    FAIL() << "imported d_model 32 weights into a d_model 48 model";
  } catch (const std::runtime_error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("backbone.embeddings.word_embeddings.weight"), std::string::npos) << message;
    EXPECT_NE(message.find("[64, 32]"), std::string::npos) << message;
    EXPECT_NE(message.find("[64, 48]"), std::string::npos) << message;
  }
  EXPECT_TRUE(torch::equal(before, wider->backbone->embeddings->word_embeddings->weight));
}

TEST_F(WeightExchangeTest, RefusesMissingAndUnknownTensorsAndConvertsDtype) {
  const auto json = tiny_config_json();
  auto model = build(json, 1);
  NamedTensors tensors;
  for (const auto& item : model->named_parameters()) {
    tensors.emplace_back(item.key(), item.value().to(torch::kFloat64));
  }
  const auto path = (m_dir / "f64.safetensors").string();
  write_safetensors(path, tensors);  // no lm_head.weight: it is optional
  auto target = build(json, 2);
  import_model_weights(target, path);
  EXPECT_TRUE(torch::allclose(target->head_weight(), model->head_weight()));
  EXPECT_EQ(target->head_weight().scalar_type(), torch::kFloat32);

  auto extra = tensors;
  extra.emplace_back("backbone.layers.9.norm1.weight", torch::ones({32}));
  write_safetensors(path, extra);
  EXPECT_THROW(
      {
        try {
          import_model_weights(target, path);
        } catch (const std::runtime_error& error) {
          EXPECT_NE(std::string(error.what()).find("backbone.layers.9.norm1.weight"), std::string::npos);
          throw;
        }
      },
      std::runtime_error);

  auto missing = tensors;
  missing.pop_back();
  write_safetensors(path, missing);
  EXPECT_THROW(import_model_weights(target, path), std::runtime_error);

  auto bad_head = tensors;
  bad_head.emplace_back(kLmHeadName, torch::ones({64, 31}));
  write_safetensors(path, bad_head);
  EXPECT_THROW(import_model_weights(target, path), std::runtime_error);
}

// NaN or infinite weights used to import as a "finished" run whose valid/loss was NULL; they are refused
// naming the tensor, and the model is left as it was.
TEST_F(WeightExchangeTest, RefusesNonFiniteWeightsNamingTheTensor) {
  const auto json = tiny_config_json();
  auto model = build(json, 1);
  const std::string name = "backbone.layers.1.sequence_mixer.Wqkv.weight";
  NamedTensors tensors;
  for (const auto& item : model->named_parameters()) {
    tensors.emplace_back(item.key(), item.value().detach().clone());
  }
  const auto path = (m_dir / "nan.safetensors").string();
  auto target = build(json, 2);
  const auto before = target->head_weight().clone();
  for (const float bad : {NAN, INFINITY, -INFINITY}) {
    auto damaged = tensors;
    for (auto& [key, tensor] : damaged) {
      if (key == name) {
        tensor = tensor.clone();  // the copies of `tensors` share its storage
        tensor.view(-1)[5] = bad;
      }
    }
    write_safetensors(path, damaged);
    try {
      import_model_weights(target, path);
      ADD_FAILURE() << "imported a weight of " << bad;
    } catch (const InputError& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find("tensor \"" + name + "\" holds 1 non-finite value"), std::string::npos)
          << message;
      EXPECT_NE(message.find(path), std::string::npos) << message;
    }
  }
  // Finite in the file, infinite in the model's dtype.
  auto huge = tensors;
  for (auto& [key, tensor] : huge) {
    tensor = tensor.to(torch::kFloat64);
    if (key == name) {
      tensor.view(-1)[0] = 1e300;
    }
  }
  write_safetensors(path, huge);
  try {
    import_model_weights(target, path);
    ADD_FAILURE() << "imported 1e300 into a float parameter";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("has values too large for Float"), std::string::npos)
        << error.what();
  }
  EXPECT_TRUE(torch::equal(before, target->head_weight()));
}

}  // namespace
}  // namespace zoolab
