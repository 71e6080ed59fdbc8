// Tests for engine/config/config_overrides: `--set PATH=VALUE` on top of a preset.

#include <gtest/gtest.h>

#include "engine/config/config_overrides.h"
#include "engine/config/presets.h"
#include "tests/engine/core/config_test_support.h"

namespace zoolab {
namespace {

using config_test::contains;

// The ConfigError thrown by applying `assignments` to mqar-quick (fails the test if none is thrown).
ConfigError override_error(const std::vector<std::string>& assignments) {
  try {
    with_overrides(load_preset("mqar-quick"), assignments);
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "no ConfigError for " << ::testing::PrintToString(assignments);
  return ConfigError("", "");
}

TEST(ConfigOverrides, NoAssignmentsLeaveTheConfigurationAsItWas) {
  const auto base = load_preset("mqar-quick");
  EXPECT_EQ(to_json(with_overrides(base, {})), to_json(base));
}

TEST(ConfigOverrides, SetsNumbersAndNamesTheRunLikeASweep) {
  const auto base = load_preset("mqar-quick");
  ASSERT_NE(base.model.d_model, 96);
  const auto config = with_overrides(base, {"model.d_model=96", "train.learning_rate=2e-3"});
  EXPECT_EQ(config.model.d_model, 96);
  EXPECT_DOUBLE_EQ(config.train.learning_rate, 2e-3);
  EXPECT_EQ(config.name, base.name + "-d_model=96-learning_rate=0.002");
  // Everything else is the preset's.
  auto expected = to_json(base);
  expected["model"]["d_model"] = 96;
  expected["train"]["learning_rate"] = 2e-3;
  expected["name"] = config.name;
  EXPECT_EQ(to_json(config), expected);
}

TEST(ConfigOverrides, ReadsPlainWordsAsStringsAndJsonAsJson) {
  const auto config = with_overrides(load_preset("mqar-quick"),
                                     {"model.sequence_mixer.name=base_conv",
                                      "model.sequence_mixer.kwargs={\"l_max\": 64, \"kernel_size\": [3, -1], "
                                      "\"implicit_long_conv\": true}",
                                      "train.shuffle=true"});
  EXPECT_EQ(config.model.sequence_mixer.name, "base_conv");
  EXPECT_EQ(config.model.sequence_mixer.kwargs.at("kernel_size"), nlohmann::json::parse("[3, -1]"));
  EXPECT_TRUE(config.train.shuffle);
}

TEST(ConfigOverrides, AddressesListElementsByNumberInEitherForm) {
  const auto base = load_preset("mqar-quick");
  const auto dotted = with_overrides(base, {"data.train.0.num_kv_pairs=2"});
  const auto bracketed = with_overrides(base, {"data.train[0].num_kv_pairs=2"});
  EXPECT_EQ(dotted.data.train.at(0).integer("num_kv_pairs"), 2);
  EXPECT_EQ(bracketed.data.train.at(0).integer("num_kv_pairs"), 2);
}

TEST(ConfigOverrides, RefusesAnAssignmentWithoutAPath) {
  for (const std::string bad : {"model.d_model", "=64"}) {
    const auto error = override_error({bad});
    EXPECT_EQ(error.path(), "--set");
    EXPECT_TRUE(contains(error.what(), "PATH=VALUE")) << error.what();
    EXPECT_TRUE(contains(error.what(), bad)) << error.what();
  }
}

TEST(ConfigOverrides, RefusesAFieldTheConfigurationDoesNotHave) {
  const auto error = override_error({"model.d_modle=64"});
  EXPECT_EQ(error.path(), "model.d_modle");
  EXPECT_TRUE(contains(error.what(), "d_model")) << error.what();  // the fields that exist are listed
}

TEST(ConfigOverrides, RefusesAValueOfTheWrongTypeNamingTheField) {
  const auto error = override_error({"model.d_model=wide"});
  EXPECT_TRUE(contains(error.what(), "d_model")) << error.what();
}

TEST(ConfigOverrides, RefusesAPathGivenTwice) {
  const auto error = override_error({"model.d_model=64", "model.d_model=128"});
  EXPECT_EQ(error.path(), "model.d_model");
  EXPECT_TRUE(contains(error.what(), "twice")) << error.what();
}

TEST(ConfigOverrides, RefusesBytesThatAreNotUtf8) {
  // A value that is not JSON is kept as a string; one that is not UTF-8 either used to reach the error
  // message's JSON dump, which threw nlohmann's type_error (found by tests/fuzz, config_overrides).
  ConfigError error = override_error({"train.learning_rate=2\xae"});
  EXPECT_EQ(error.path(), "--set");
  EXPECT_TRUE(contains(error.what(), "not valid UTF-8")) << error.what();
  EXPECT_TRUE(contains(error.what(), "train.learning_rate=2\\xae")) << error.what();
  error = override_error({"name=ok", "model.d_\xff=1"});
  EXPECT_TRUE(contains(error.what(), "not valid UTF-8")) << error.what();
}

TEST(ConfigOverrides, AJsonObjectValueGetsAShortNameAndStaysWholeInTheConfiguration) {
  // A hybrid mixer given whole: its JSON used to be pasted into the run name (about 150 characters).
  const std::string hybrid =
      R"({"name": "hybrid", "kwargs": {"configs": [{"name": "attention", "kwargs": {"num_heads": 2}},)"
      R"( {"name": "base_conv", "kwargs": {"l_max": 64}}], "layer_mixers": [0, 1]}})";
  const auto base = load_preset("mqar-quick");
  const auto config = with_overrides(base, {"model.sequence_mixer=" + hybrid});
  EXPECT_EQ(config.model.sequence_mixer.name, "hybrid");
  EXPECT_EQ(config.model.sequence_mixer.kwargs, nlohmann::json::parse(hybrid)["kwargs"]);
  const std::string suffix = config.name.substr(base.name.size());
  EXPECT_EQ(suffix.rfind("-sequence_mixer=hybrid~", 0), 0u) << config.name;
  EXPECT_EQ(suffix.size(), std::string("-sequence_mixer=hybrid~").size() + 6) << config.name;
  EXPECT_EQ(config.name.find_first_of("{}\"\\ "), std::string::npos) << config.name;
  // Other kwargs name another run (a sweep skips points whose names it has), and the same ones alike.
  const auto other = with_overrides(base, {"model.sequence_mixer=" + std::string(R"({"name": "hybrid",)") +
                                           R"( "kwargs": {"layer_mixers": [1, 0]}})"});
  EXPECT_NE(other.name, config.name);
  EXPECT_EQ(with_overrides(base, {"model.sequence_mixer=" + hybrid}).name, config.name);
}

TEST(ConfigOverrides, ValuesReadShortInRunNames) {
  EXPECT_EQ(value_name_text(nlohmann::json("hyena")), "hyena");
  EXPECT_EQ(value_name_text(nlohmann::json(2e-3)), "0.002");
  EXPECT_EQ(value_name_text(nlohmann::json::parse("[3, -1]")), "[3,-1]");
  EXPECT_EQ(value_name_text(nlohmann::json::parse(R"({"name": "attention", "kwargs": {}})")), "attention");
  const std::string kwargs = value_name_text(nlohmann::json::parse(R"({"l_max": 64, "kernel_size": 3})"));
  EXPECT_EQ(kwargs.rfind("{kernel_size,l_max}~", 0), 0u) << kwargs;
  const std::string list =
      value_name_text(nlohmann::json::parse(R"([{"name": "attention"}, {"name": "base_conv"}])"));
  EXPECT_EQ(list.rfind("attention+base_conv~", 0), 0u) << list;
  const std::string longList = value_name_text(nlohmann::json::parse("[1,2,3,4,5,6,7,8,9,10,11,12,13,14]"));
  EXPECT_EQ(longList.rfind("list14~", 0), 0u) << longList;
}

}  // namespace
}  // namespace zoolab
