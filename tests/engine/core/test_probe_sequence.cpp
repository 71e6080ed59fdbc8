// The Probe page's sequence syntax (engine/inspect/probe_sequence.h), without Qt: what it accepts, how it
// names the word it refuses, and the integers it refuses rather than wraps.

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/inspect/probe_sequence.h"

namespace zoolab {
namespace {

constexpr int64_t kNo = -100;

TEST(ProbeSequenceSyntax, ParsesTokensAndQueries) {
  // Key 3 with value 40, key 9 with value 50, fillers, then both queried.
  const ProbeSequence parsed = parse_probe_sequence("3 40 9 50 0 9? 0 3:41");
  ASSERT_FALSE(parsed.error) << probe_sequence_message(parsed.error);
  EXPECT_EQ(parsed.tokens, (std::vector<int64_t>{3, 40, 9, 50, 0, 9, 0, 3}));
  EXPECT_EQ(parsed.labels, (std::vector<int64_t>{kNo, kNo, kNo, kNo, kNo, 50, kNo, 41}));
  // Commas and any ASCII white space separate; a sign and leading zeros are allowed.
  EXPECT_EQ(parse_probe_sequence("  1,2\t\n3\r\v\f+4 007 ").tokens, (std::vector<int64_t>{1, 2, 3, 4, 7}));
  EXPECT_TRUE(parse_probe_sequence(" , \t").tokens.empty());
  EXPECT_FALSE(parse_probe_sequence("").error);
}

TEST(ProbeSequenceSyntax, NamesTheWordItRefuses) {
  ProbeSequence parsed = parse_probe_sequence("3 40 x7 3?");
  EXPECT_TRUE(parsed.tokens.empty());
  EXPECT_TRUE(parsed.labels.empty());
  EXPECT_EQ(parsed.error.problem, ProbeSequenceProblem::NotAnInteger);
  EXPECT_EQ(parsed.error.word, 2u);
  EXPECT_EQ(parsed.error.text, "x7");
  EXPECT_EQ(probe_sequence_message(parsed.error).rfind("Token 2 (\"x7\"): not an integer token id", 0), 0u)
      << probe_sequence_message(parsed.error);

  EXPECT_EQ(parse_probe_sequence("3 -40").error.problem, ProbeSequenceProblem::NegativeToken);
  EXPECT_EQ(parse_probe_sequence("3 40 3:x").error.problem, ProbeSequenceProblem::BadTarget);
  EXPECT_EQ(parse_probe_sequence("3 40 3:-1").error.problem, ProbeSequenceProblem::BadTarget);
  EXPECT_EQ(parse_probe_sequence("3 40 3:").error.problem, ProbeSequenceProblem::BadTarget);
  EXPECT_EQ(parse_probe_sequence("3 40 :4").error.problem, ProbeSequenceProblem::NotAnInteger);
  EXPECT_EQ(parse_probe_sequence("3 40 ?").error.problem, ProbeSequenceProblem::NotAnInteger);
  EXPECT_EQ(parse_probe_sequence("3 40 3?:4").error.problem, ProbeSequenceProblem::NotAnInteger);

  parsed = parse_probe_sequence("3 40 5?");
  EXPECT_EQ(parsed.error.problem, ProbeSequenceProblem::NoDerivedTarget);
  EXPECT_EQ(parsed.error.word, 2u);
  EXPECT_EQ(parsed.error.key, 5);
  EXPECT_NE(probe_sequence_message(parsed.error).find("key 5 does not occur earlier"), std::string::npos);
  // A key that only occurs as a query, or last, has no value to recall.
  EXPECT_EQ(parse_probe_sequence("3? 3?").error.problem, ProbeSequenceProblem::NoDerivedTarget);
  EXPECT_EQ(parse_probe_sequence("3:1 3 3?").labels, (std::vector<int64_t>{}));
}

TEST(ProbeSequenceSyntax, RefusesIntegersThatDoNotFitInsteadOfWrappingThem) {
  EXPECT_EQ(parse_probe_sequence("9223372036854775807").tokens, (std::vector<int64_t>{INT64_MAX}));
  EXPECT_EQ(parse_probe_sequence("9223372036854775808").error.problem, ProbeSequenceProblem::NotAnInteger);
  EXPECT_EQ(parse_probe_sequence("99999999999999999999999").error.problem,
            ProbeSequenceProblem::NotAnInteger);
  // The most negative value parses (and is then refused as negative); one less does not parse.
  EXPECT_EQ(parse_probe_sequence("-9223372036854775808").error.problem, ProbeSequenceProblem::NegativeToken);
  EXPECT_EQ(parse_probe_sequence("-9223372036854775809").error.problem, ProbeSequenceProblem::NotAnInteger);
  EXPECT_EQ(parse_probe_sequence("1:18446744073709551616").error.problem, ProbeSequenceProblem::BadTarget);
  EXPECT_EQ(parse_probe_sequence("-0").tokens, (std::vector<int64_t>{0}));
  EXPECT_EQ(parse_probe_sequence("+").error.problem, ProbeSequenceProblem::NotAnInteger);
  EXPECT_EQ(parse_probe_sequence("--1").error.problem, ProbeSequenceProblem::NotAnInteger);
}

TEST(ProbeSequenceSyntax, OtherSpacesAndControlBytesStayInTheWordAndAreEscapedInMessages) {
  // A no-break space is not a separator (as before, with Qt's [\s,]): the word fails.
  ProbeSequence parsed = parse_probe_sequence(
      "1\xc2\xa0"
      "2");
  EXPECT_EQ(parsed.error.problem, ProbeSequenceProblem::NotAnInteger);
  parsed = parse_probe_sequence(std::string("5\0x\x1b[2J", 7));
  ASSERT_EQ(parsed.error.problem, ProbeSequenceProblem::NotAnInteger);
  const std::string message = probe_sequence_message(parsed.error);
  EXPECT_EQ(message.find('\x1b'), std::string::npos) << message;
  EXPECT_EQ(message.find('\0'), std::string::npos) << message;
}

TEST(ProbeSequenceSyntax, DerivedTargetIsTheValueAfterTheFirstContextOccurrence) {
  const std::vector<int64_t> tokens = {3, 40, 3, 41, 3};
  EXPECT_EQ(derived_probe_target(tokens, {false, false, false, false, true}, 4), 40);
  EXPECT_EQ(derived_probe_target(tokens, {true, false, false, false, true}, 4), 41);
  EXPECT_EQ(derived_probe_target(tokens, {false, false, false, false, true}, 0), -1);
}

}  // namespace
}  // namespace zoolab
