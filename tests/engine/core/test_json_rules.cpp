// The strict JSON rules that the configuration parsers and the mixer registry share (common/json_rules.h).
#include <gtest/gtest.h>

#include <limits>

#include "common/json_rules.h"

namespace zoolab {
namespace {

TEST(JsonRules, BoundsReadAsPeopleWriteThem) {
  EXPECT_EQ(format_json_number(65536.0), "65536");
  EXPECT_EQ(format_json_number(0.999), "0.999");
  EXPECT_EQ(format_json_number(0.1), "0.1");
  EXPECT_EQ(format_json_number(-std::numeric_limits<double>::infinity()), "-inf");
}

TEST(JsonRules, IntegersAreJsonIntegersThatFitInt64) {
  int64_t value = 0;
  EXPECT_TRUE(json_as_int64(nlohmann::json(9223372036854775807ull), &value));
  EXPECT_EQ(value, std::numeric_limits<int64_t>::max());
  EXPECT_FALSE(json_as_int64(nlohmann::json(9223372036854775808ull), &value));
  EXPECT_FALSE(json_as_int64(nlohmann::json(4.0), &value));
  EXPECT_FALSE(json_as_int64(nlohmann::json(true), &value));
}

TEST(JsonRules, UnknownKeysKeepTheObjectsOrder) {
  const nlohmann::json object = {{"b", 1}, {"a", 2}, {"c", 3}, {"d", 4}};
  EXPECT_EQ(unknown_keys(object, {"c", "x"}), (std::vector<std::string>{"a", "b", "d"}));
  EXPECT_TRUE(unknown_keys(object, {"a", "b", "c", "d"}).empty());
}

TEST(JsonRules, RangesAndPaths) {
  EXPECT_TRUE((DoubleRange{0.0, true, 1.0, false}).contains(0.0));
  EXPECT_FALSE((DoubleRange{0.0, true, 1.0, false}).contains(1.0));
  EXPECT_TRUE(StringRule::one_of({"a", "b"}).accepts("b"));
  EXPECT_FALSE(StringRule::non_empty().accepts(""));
  EXPECT_EQ(json_index_path(join_json_path("model", "kernel_size"), 2), "model.kernel_size[2]");
  EXPECT_EQ(join_json_path("", "model"), "model");
}

}  // namespace
}  // namespace zoolab
