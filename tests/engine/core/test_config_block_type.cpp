// model.block_type (docs/reference.md#model-fields): "transformer" by default, "mamba" for
// Zoology's MambaBlock, "mamba2" for its Mamba2Block, anything else rejected by the strict reader naming the
// key and the choices.

#include <gtest/gtest.h>

#include "engine/config/run_config.h"

namespace zoolab {
namespace {

using nlohmann::json;

json with_block_type(const json& block_type) {
  auto j = json::parse(R"({"data": {"train": [{"num_kv_pairs": 4}], "test": [{"num_kv_pairs": 4}]},
                           "model": {"sequence_mixer": {"name": "mamba"}, "state_mixer": {"name": "identity"}}})");
  if (!block_type.is_null()) {
    j["model"]["block_type"] = block_type;
  }
  return j;
}

TEST(ConfigBlockType, DefaultsToTransformer) {
  EXPECT_EQ(parse_run_config(with_block_type(nullptr)).model.block_type, "transformer");
}

TEST(ConfigBlockType, AcceptsMambaAndWritesItBack) {
  const auto config = parse_run_config(with_block_type("mamba"));
  EXPECT_EQ(config.model.block_type, "mamba");
  const auto written = to_json(config);
  EXPECT_EQ(written.at("model").at("block_type"), "mamba");
  EXPECT_EQ(parse_run_config(written).model.block_type, "mamba");  // round trip
}

TEST(ConfigBlockType, AcceptsMamba2AndWritesItBack) {
  auto j = with_block_type("mamba2");
  j["model"]["sequence_mixer"]["name"] = "mamba2";
  const auto config = parse_run_config(j);
  EXPECT_EQ(config.model.block_type, "mamba2");
  EXPECT_EQ(parse_run_config(to_json(config)).model.block_type, "mamba2");  // round trip
}

TEST(ConfigBlockType, RejectsUnknownValuesNamingTheKeyAndTheChoices) {
  for (const json& bad : {json("MambaBlock"), json("Mamba2Block"), json("mamba3"), json("")}) {
    try {
      parse_run_config(with_block_type(bad));
      ADD_FAILURE() << "accepted block_type " << bad.dump();
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.path(), "model.block_type");
      const std::string message = e.what();
      EXPECT_NE(message.find("transformer"), std::string::npos) << message;
      EXPECT_NE(message.find("mamba"), std::string::npos) << message;
    }
  }
}

TEST(ConfigBlockType, RejectsNonStrings) {
  try {
    parse_run_config(with_block_type(2));
    ADD_FAILURE() << "accepted a number";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), "model.block_type");
  }
}

}  // namespace
}  // namespace zoolab
