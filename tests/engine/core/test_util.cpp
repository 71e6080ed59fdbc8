// The trust helpers every parser uses: checked sizes, the memory budget, strict JSON, UTF-8 repair.

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "engine/config/json_reader.h"
#include "engine/text/utf8.h"
#include "engine/util/checked_size.h"
#include "engine/util/memory_budget.h"
#include "engine/util/strict_json.h"

namespace zoolab {
namespace {

TEST(CheckedSize, OverflowAndNegativeOperandsPoisonTheResult) {
  EXPECT_EQ((CheckedSize(3) * 4 + 5).value(), 17u);
  EXPECT_FALSE((CheckedSize(uint64_t{1} << 62) * 4).ok());
  EXPECT_FALSE((CheckedSize(UINT64_MAX) + 1).ok());
  EXPECT_FALSE((CheckedSize(int64_t{-3}) * 2).ok());
  EXPECT_FALSE((CheckedSize(2) - 3).ok());
  // 2^62 examples of 16 tokens: the MQAR shape that used to wrap around and write out of bounds.
  EXPECT_FALSE((CheckedSize(int64_t{4611686018427387904}) * 16).as_int64().has_value());
  EXPECT_TRUE(CheckedSize(10).within(10));
  EXPECT_FALSE(CheckedSize(11).within(10));
}

TEST(MemoryBudget, NamesTheEstimateAndTheLimit) {
  setenv("ZOOLAB_MEMORY_LIMIT", "1G", 1);
  EXPECT_EQ(memory_limit_bytes(), uint64_t{1} << 30);
  EXPECT_FALSE(memory_shortfall(CheckedSize(1000)).has_value());
  const auto shortfall = memory_shortfall(CheckedSize(uint64_t{3} << 30));
  ASSERT_TRUE(shortfall.has_value());
  EXPECT_NE(shortfall->find("3.0 GiB"), std::string::npos) << *shortfall;
  EXPECT_NE(shortfall->find("1.0 GiB"), std::string::npos) << *shortfall;
  EXPECT_TRUE(memory_shortfall(CheckedSize::invalid()).has_value());
  unsetenv("ZOOLAB_MEMORY_LIMIT");
  EXPECT_GT(memory_limit_bytes(), uint64_t{1} << 20);
}

TEST(StrictJson, RefusesDuplicateKeysNamingThePath) {
  EXPECT_EQ(parse_strict_json(R"({"a": {"b": 1}, "c": [{"b": 2}, {"b": 3}]})")["c"][1]["b"], 3);
  try {
    parse_strict_json(R"({"model": {"d_model": 64}, "train": {}, "model": {"d_model": 32}})");
    FAIL() << "a duplicate key was accepted";
  } catch (const JsonSyntaxError& error) {
    EXPECT_EQ(error.where(), "model");
    EXPECT_NE(std::string(error.what()).find("duplicate key \"model\" at the top level"), std::string::npos);
  }
  try {
    parse_strict_json(R"({"data": {"train": [{"seed": 1}, {"seed": 2, "seed": 3}]}})");
    FAIL() << "a duplicate key was accepted";
  } catch (const JsonSyntaxError& error) {
    EXPECT_EQ(error.where(), "data.train[1].seed");
  }
}

TEST(StrictJson, RefusesDeepNestingWithoutExhaustingTheStack) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_THROW(parse_strict_json(deep), JsonSyntaxError);
  const std::string deep_objects = [] {
    std::string text;
    for (int i = 0; i < 100000; ++i)
      text += "{\"a\":";
    return text + "1" + std::string(100000, '}');
  }();
  EXPECT_THROW(parse_strict_json(deep_objects), JsonSyntaxError);
  std::string fine = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_NO_THROW(parse_strict_json(fine));
  EXPECT_THROW(parse_strict_json("[" + fine + "]"), JsonSyntaxError);
}

TEST(StrictJson, SyntaxErrorsSayWhere) {
  try {
    parse_strict_json("{\n  \"a\": 1,\n}");
    FAIL();
  } catch (const JsonSyntaxError& error) {
    EXPECT_EQ(std::string(error.what()).rfind("invalid JSON: parse error at line 3", 0), 0u) << error.what();
  }
}

TEST(StrictJson, NumbersPastTheRangeOfADoubleAreSyntaxErrors) {
  // nlohmann reports "1e400" as out_of_range, not as a parse error; found by tests/fuzz (strict_json).
  try {
    parse_strict_json(R"({"learning_rate": 1e400})");
    FAIL() << "1e400 was accepted";
  } catch (const JsonSyntaxError& error) {
    EXPECT_NE(std::string(error.what()).find("number overflow parsing '1e400'"), std::string::npos)
        << error.what();
    EXPECT_EQ(std::string(error.what()).find("[json.exception"), std::string::npos) << error.what();
  }
  EXPECT_THROW(parse_strict_json("[-1e999]"), JsonSyntaxError);
  EXPECT_EQ(parse_strict_json("[1e308, 18446744073709551616]")[1], 18446744073709551616.0);
}

TEST(Utf8Repair, InvalidBytesBecomeVisibleEscapes) {
  EXPECT_EQ(to_valid_utf8("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(to_valid_utf8("bad \xff\xfe end"), "bad \\xff\\xfe end");
  EXPECT_FALSE(first_invalid_utf8(to_valid_utf8("\xc3")).has_value());
}

TEST(Utf8Repair, TerminalEscapingNeutralisesControlCharacters) {
  EXPECT_EQ(escape_for_terminal("run\n1\x1b[2J\tx"), "run\\n1\\x1b[2J\\tx");
  EXPECT_EQ(escape_for_terminal("\xc2\x9b"
                                "31m"),
            "\\u009b31m");
  EXPECT_EQ(escape_for_terminal("plain caf\xc3\xa9"), "plain caf\xc3\xa9");
  EXPECT_EQ(escape_for_terminal("a\\b"), "a\\\\b");
}

TEST(Utf8Repair, ValuesQuotedInMessagesAreCutBetweenCodePoints) {
  // 1 quote + 58 bytes, then two-byte characters: a cut at byte 60 would split one.
  const std::string quoted = describe_json_value(std::string(58, 'a') + "\xc3\xa9\xc3\xa9\xc3\xa9");
  EXPECT_FALSE(first_invalid_utf8(quoted).has_value()) << quoted;
  EXPECT_EQ(quoted.substr(quoted.size() - 3), "...");
}

}  // namespace
}  // namespace zoolab
