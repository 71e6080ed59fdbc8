// The AR-hit analysis (engine/text/ar_hits.h) and the per-token loss blob (engine/text/token_losses.h):
// classification on hand-made sequences, slice numbers worked out by hand (losses are logs of powers of
// two, so every perplexity is exact), the two-run gap decomposition, and damaged blobs.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/formats/crc32c.h"
#include "engine/text/ar_hits.h"
#include "engine/text/token_losses.h"
#include "engine/util/input_error.h"
#include "tests/engine/text/text_test_support.h"

namespace zoolab {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
const double kLn2 = std::log(2.0);

std::vector<ArHit> classify(const std::vector<int32_t>& tokens) {
  return classify_ar_hits(tokens.data(), static_cast<int64_t>(tokens.size()));
}

// "hit@distance" or "-" per position, so one assertion shows the whole sequence.
std::string describe(const std::vector<ArHit>& hits) {
  std::string out;
  for (const auto& h : hits) {
    out += (out.empty() ? "" : " ") + (h.hit ? std::to_string(h.distance) : std::string("-"));
  }
  return out;
}

TEST(ArHits, RepeatedBigramAtTheStartHitsOnItsSecondToken) {
  // a b a b: (a,b) ends at 1 and again at 3; position 1 is its first occurrence.
  EXPECT_EQ(describe(classify({5, 7, 5, 7})), "- - - 2");
}

TEST(ArHits, OverlappingRepeatsCount) {
  // a a a: (a,a) ends at 1 and at 2, the occurrences share the middle token.
  EXPECT_EQ(describe(classify({4, 4, 4})), "- - 1");
  EXPECT_EQ(describe(classify({4, 4, 4, 4})), "- - 1 1");
}

TEST(ArHits, EmptyAndSingleTokenSequencesHaveNoHits) {
  EXPECT_TRUE(classify_ar_hits(nullptr, 0).empty());
  const auto one = classify({9});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_FALSE(one[0].hit);
  EXPECT_EQ(one[0].distance, 0);
}

TEST(ArHits, DistanceIsToTheLatestEarlierOccurrence) {
  // (1,2) ends at 1, 4 and 6: the hit at 4 is 3 back, the one at 6 is 2 back (to 4, not to 1).
  EXPECT_EQ(describe(classify({1, 2, 9, 1, 2, 1, 2})), "- - - - 3 - 2");
}

TEST(ArHits, RepeatedTokenWithANewPredecessorIsNoHit) {
  // Token 4 comes back at 3, but after 5: (5,4) is new. (2,1) is not (1,2) reversed.
  EXPECT_EQ(describe(classify({3, 4, 5, 4})), "- - - -");
  EXPECT_EQ(describe(classify({1, 2, 1})), "- - -");
  // Negative and large ids keep their bigrams apart (the key packs both 32-bit values).
  EXPECT_EQ(describe(classify({-1, 0, 0, -1, 0, 65536, 0, 1})), "- - - - 3 - - -");
}

float ln2s(double twos) {
  return static_cast<float>(twos * kLn2);
}  // loss ln(2^twos)

// Two sequences of 5 tokens:
//   seq 0: 1 2 1 2 1  -> hits at 3 (d 2) and 4 (d 2)
//   seq 1: 3 3 3 3 4  -> hits at 2 (d 1) and 3 (d 1); position 4's loss is NaN (skipped)
// Losses in units of ln 2: hits 1, 3 (seq 0) and 1, 5 (seq 1); other tokens 1, 3 (seq 0) and 2 (seq 1).
TokenLossSet sample_set() {
  TokenLossSet set;
  set.step = 300;
  set.epoch = 2;
  set.sequences = 2;
  set.length = 5;
  set.shards = "/data/shards";
  set.tokens = {1, 2, 1, 2, 1, 3, 3, 3, 3, 4};
  // Position 0 never counts, NaN or not (seq 1 holds a junk value there on purpose).
  set.losses = {kNaN, ln2s(1), ln2s(3), ln2s(1), ln2s(3), 100.0f, ln2s(2), ln2s(1), ln2s(5), kNaN};
  set.train_counts = {0, 7, 3, 5, 1000, 0, 12, 999, 5000, 1};
  return set;
}

AnalysisOptions sample_options() {
  AnalysisOptions options;
  options.frequency_cutoff = 1000;
  options.distance_edges = {1, 2, 16};  // buckets 1, 2-15, >=16
  return options;
}

void expect_slice(const SliceStats& s, const std::string& name, int64_t tokens, double perplexity) {
  EXPECT_EQ(s.name, name);
  EXPECT_EQ(s.tokens, tokens) << name;
  EXPECT_NEAR(s.perplexity, perplexity, 1e-5 * perplexity) << name;
  EXPECT_NEAR(s.mean_loss, std::log(perplexity), 1e-6) << name;
  EXPECT_NEAR(s.loss_sum, static_cast<double>(tokens) * std::log(perplexity), 1e-5) << name;
}

TEST(ArHitAnalysis, SlicesMatchHandComputedPerplexities) {
  const auto a = analyze_token_losses(sample_set(), sample_options());
  EXPECT_EQ(a.step, 300);
  // Overall: 7 tokens, 16 ln 2 in all. AR hits: (1+3+1+5)/4 = 2.5. Other: (1+3+2)/3 = 2.
  expect_slice(a.overall, "overall", 7, std::pow(2.0, 16.0 / 7.0));
  expect_slice(a.ar_hits, "ar_hits", 4, std::pow(2.0, 2.5));
  expect_slice(a.other, "other", 3, 4.0);
  ASSERT_EQ(a.ar_hits_by_frequency.size(), 2u);
  // Counts 5 and 999 are below the cut-off (losses 1, 1); 1000 and 5000 at or above it (3, 5).
  expect_slice(a.ar_hits_by_frequency[0], "ar_hits/train_count<1000", 2, 2.0);
  expect_slice(a.ar_hits_by_frequency[1], "ar_hits/train_count>=1000", 2, 16.0);
  ASSERT_EQ(a.ar_hits_by_distance.size(), 3u);
  // Distance 1: seq 1's hits (1, 5) -> 8; distance 2: seq 0's (1, 3) -> 4; none at >= 16.
  expect_slice(a.ar_hits_by_distance[0], "ar_hits/distance 1", 2, 8.0);
  expect_slice(a.ar_hits_by_distance[1], "ar_hits/distance 2-15", 2, 4.0);
  EXPECT_EQ(a.ar_hits_by_distance[2].name, "ar_hits/distance >=16");
  EXPECT_EQ(a.ar_hits_by_distance[2].tokens, 0);
  EXPECT_TRUE(std::isnan(a.ar_hits_by_distance[2].mean_loss));
  EXPECT_TRUE(std::isnan(a.ar_hits_by_distance[2].perplexity));
}

TEST(ArHitAnalysis, DefaultBucketsAndAnotherCutoff) {
  AnalysisOptions options;
  options.frequency_cutoff = 6;
  const auto a = analyze_token_losses(sample_set(), options);
  ASSERT_EQ(a.ar_hits_by_distance.size(), 4u);
  EXPECT_EQ(a.ar_hits_by_distance[0].name, "ar_hits/distance 1-15");
  EXPECT_EQ(a.ar_hits_by_distance[0].tokens, 4);
  EXPECT_EQ(a.ar_hits_by_distance[1].name, "ar_hits/distance 16-63");
  EXPECT_EQ(a.ar_hits_by_distance[3].name, "ar_hits/distance >=256");
  // Only count 5 (loss 1) is below 6; the others (3, 1, 5) average 3 -> 8.
  expect_slice(a.ar_hits_by_frequency[0], "ar_hits/train_count<6", 1, 2.0);
  expect_slice(a.ar_hits_by_frequency[1], "ar_hits/train_count>=6", 3, 8.0);

  options.distance_edges = {4, 2};
  EXPECT_THROW(analyze_token_losses(sample_set(), options), std::runtime_error);
  options.distance_edges = {3};  // distances below the first edge get their own bucket
  const auto b = analyze_token_losses(sample_set(), options);
  ASSERT_EQ(b.ar_hits_by_distance.size(), 2u);
  EXPECT_EQ(b.ar_hits_by_distance[0].name, "ar_hits/distance 1-2");
  EXPECT_EQ(b.ar_hits_by_distance[0].tokens, 4);
}

TEST(ArHitAnalysis, InconsistentSetsAndEmptySequencesAreHandled) {
  auto set = sample_set();
  set.losses.pop_back();
  EXPECT_THROW(analyze_token_losses(set), std::runtime_error);

  TokenLossSet empty;
  empty.sequences = 3;
  empty.length = 1;
  empty.tokens = {1, 2, 3};
  empty.losses = {kNaN, kNaN, kNaN};
  empty.train_counts = {0, 0, 0};
  const auto a = analyze_token_losses(empty);
  EXPECT_EQ(a.overall.tokens, 0);
  EXPECT_TRUE(std::isnan(a.overall.perplexity));
}

TEST(ArHitAnalysis, JsonHasTheSlicesWithTokensAndPerplexity) {
  const auto json = to_json(analyze_token_losses(sample_set(), sample_options()));
  EXPECT_EQ(json.at("step").get<int64_t>(), 300);
  EXPECT_EQ(json.at("overall").at("tokens").get<int64_t>(), 7);
  EXPECT_EQ(json.at("ar_hits").at("name").get<std::string>(), "ar_hits");
  EXPECT_NEAR(json.at("ar_hits").at("share").get<double>(), 4.0 / 7.0, 1e-12);
  EXPECT_NEAR(json.at("other").at("perplexity").get<double>(), 4.0, 1e-5);
  EXPECT_NEAR(json.at("other").at("mean_loss").get<double>(), 2 * kLn2, 1e-6);
  ASSERT_EQ(json.at("ar_hits_by_frequency").size(), 2u);
  EXPECT_EQ(json.at("ar_hits_by_frequency")[1].at("name").get<std::string>(), "ar_hits/train_count>=1000");
  ASSERT_EQ(json.at("ar_hits_by_distance").size(), 3u);
  EXPECT_TRUE(json.at("ar_hits_by_distance")[2].at("perplexity").is_null());  // NaN: no tokens
}

TEST(GapDecomposition, SharesOfTheLossDifferenceByHand) {
  const auto a = sample_set();
  auto b = a;
  // Run B: loss ln 2 everywhere, seq 1 position 4 included (skipped anyway: A has NaN there).
  for (size_t i = 0; i < b.losses.size(); ++i) {
    b.losses[i] = i % 5 == 0 ? kNaN : ln2s(1);
  }
  const auto gap = compare_token_losses(a, b);
  // Differences in ln 2: hits 0 + 2 + 0 + 4 = 6, other 0 + 2 + 1 = 3.
  EXPECT_NEAR(gap.ar_hits_difference_sum, 6 * kLn2, 1e-5);
  EXPECT_NEAR(gap.other_difference_sum, 3 * kLn2, 1e-5);
  EXPECT_NEAR(gap.loss_difference_sum, 9 * kLn2, 1e-5);
  EXPECT_NEAR(gap.gap_share_ar_hits, 2.0 / 3.0, 1e-6);
  EXPECT_NEAR(gap.ar_hit_token_share, 4.0 / 7.0, 1e-12);
  EXPECT_NEAR(gap.perplexity_gap, std::pow(2.0, 16.0 / 7.0) - 2.0, 1e-5);

  const auto json = to_json(gap);
  EXPECT_NEAR(json.at("gap_share_ar_hits").get<double>(), 2.0 / 3.0, 1e-6);
  EXPECT_NEAR(json.at("ar_hit_token_share").get<double>(), 4.0 / 7.0, 1e-12);

  // The paper's heuristic (repeated bigram rarer than the cut-off): with the cut-off at 1001 the rare
  // hits are counts 5, 999 and 1000, differences 0 + 0 + 2 (ln 2); count 5000 (difference 4) is not.
  AnalysisOptions rare;
  rare.frequency_cutoff = 1001;
  const auto paper = compare_token_losses(a, b, rare);
  EXPECT_NEAR(paper.rare_ar_hits_difference_sum, 2 * kLn2, 1e-5);
  EXPECT_NEAR(paper.gap_share_rare_ar_hits, 2.0 / 9.0, 1e-6);
  EXPECT_NEAR(paper.rare_ar_hit_token_share, 3.0 / 7.0, 1e-12);
  EXPECT_NEAR(paper.gap_share_ar_hits, 2.0 / 3.0, 1e-6);  // the plain share does not depend on it
  EXPECT_NEAR(to_json(paper).at("gap_share_rare_ar_hits").get<double>(), 2.0 / 9.0, 1e-6);

  // Against itself nothing differs: the share is undefined (null in JSON), the gap 0.
  const auto same = compare_token_losses(a, a);
  EXPECT_EQ(same.loss_difference_sum, 0.0);
  EXPECT_EQ(same.perplexity_gap, 0.0);
  EXPECT_TRUE(std::isnan(same.gap_share_ar_hits));
  EXPECT_TRUE(to_json(same).at("gap_share_ar_hits").is_null());
}

std::string comparison_error(const TokenLossSet& a, const TokenLossSet& b) {
  try {
    compare_token_losses(a, b);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "no error";
}

TEST(GapDecomposition, RefusesDifferentValidationTokens) {
  const auto a = sample_set();
  auto b = a;
  b.tokens[8] = 42;  // sequence 1, position 3
  const std::string tokens = comparison_error(a, b);
  EXPECT_NE(tokens.find("different tokens (sequence 1, position 3: token 3 against 42)"), std::string::npos)
      << tokens;
  auto shorter = a;
  shorter.sequences = 1;
  shorter.tokens.resize(5);
  shorter.losses.resize(5);
  shorter.train_counts.resize(5);
  const std::string shape = comparison_error(a, shorter);
  EXPECT_NE(shape.find("different shapes (2 sequences of 5 tokens against 1 of 5)"), std::string::npos)
      << shape;
}

TEST(TokenLosses, BlobRoundTripKeepsEveryValue) {
  auto set = sample_set();
  set.train_counts[9] = UINT32_MAX;
  set.tokens[0] = -3;
  const std::string blob = encode_token_losses(set);
  EXPECT_EQ(blob.substr(0, 4), "ZTLS");
  const auto back = decode_token_losses(blob);
  EXPECT_EQ(back.step, 300);
  EXPECT_EQ(back.epoch, 2);
  EXPECT_EQ(back.sequences, 2);
  EXPECT_EQ(back.length, 5);
  EXPECT_EQ(back.shards, "/data/shards");
  EXPECT_EQ(back.tokens, set.tokens);
  EXPECT_EQ(back.train_counts, set.train_counts);
  ASSERT_EQ(back.losses.size(), set.losses.size());
  for (size_t i = 0; i < set.losses.size(); ++i) {
    if (std::isnan(set.losses[i])) {
      EXPECT_TRUE(std::isnan(back.losses[i])) << i;
    } else {
      EXPECT_EQ(back.losses[i], set.losses[i]) << i;  // bit-exact
    }
  }
  // 12 bytes per record after the header, as the format says.
  auto one = set;
  one.sequences = 1;
  one.tokens.resize(5);
  one.losses.resize(5);
  one.train_counts.resize(5);
  EXPECT_EQ(blob.size() - encode_token_losses(one).size(), 5u * 12u);

  auto bad = set;
  bad.train_counts.pop_back();
  EXPECT_THROW(encode_token_losses(bad), std::runtime_error);
}

// The layout byte for byte, as tests/app/cli_text_demo.sh reads it by hand: "ZTLS", u32 version 2,
// u32 header bytes, u32 CRC-32C of the header JSON, u32 CRC-32C of the records, the header JSON (sorted
// keys, no spaces), 12-byte records.
TEST(TokenLosses, BlobLayoutIsTheDocumentedOne) {
  TokenLossSet set;
  set.step = 7;
  set.epoch = 1;
  set.sequences = 1;
  set.length = 2;
  set.shards = "/s";
  set.tokens = {5, -2};
  set.losses = {kNaN, 1.5f};
  set.train_counts = {0, 0x01020304u};
  const std::string header = R"({"epoch":1,"length":2,"sequences":1,"shards":"/s","step":7})";
  std::string records = std::string("\x05\x00\x00\x00", 4);
  uint32_t nan_bits;
  std::memcpy(&nan_bits, &set.losses[0], 4);
  for (int i = 0; i < 4; ++i)
    records.push_back(static_cast<char>((nan_bits >> (8 * i)) & 0xFF));
  records += std::string(4, '\0');
  records += std::string("\xFE\xFF\xFF\xFF", 4);
  records += std::string("\x00\x00\xC0\x3F", 4);  // 1.5f
  records += std::string("\x04\x03\x02\x01", 4);
  std::string expected = "ZTLS";
  expected += std::string("\x02\x00\x00\x00", 4);
  expected += std::string(1, static_cast<char>(header.size())) + std::string(3, '\0');
  expected += std::string(8, '\0');
  text_test::put_u32(expected, 12, crc32c(header));
  text_test::put_u32(expected, 16, crc32c(records));
  expected += header + records;
  EXPECT_EQ(encode_token_losses(set), expected);
  // A shards path that is not UTF-8 is written with the replacement character, not refused.
  set.shards = "/s\xFF";
  const auto back = decode_token_losses(encode_token_losses(set));
  EXPECT_EQ(back.shards, "/s\xEF\xBF\xBD");
}

// Blobs stored before version 2 (no checksums, 12-byte prefix) are still read.
TEST(TokenLosses, VersionOneBlobsAreStillRead) {
  const std::string header = R"({"epoch":1,"length":1,"sequences":1,"shards":"/s","step":7})";
  std::string blob = "ZTLS" + std::string("\x01\x00\x00\x00", 4) +
                     std::string(1, static_cast<char>(header.size())) + std::string(3, '\0') + header;
  blob += std::string("\x05\x00\x00\x00", 4) + std::string("\x00\x00\xC0\x3F", 4) +
          std::string("\x09\x00\x00\x00", 4);
  const auto set = decode_token_losses(blob);
  EXPECT_EQ(set.step, 7);
  EXPECT_EQ(set.tokens, std::vector<int32_t>{5});
  EXPECT_EQ(set.losses, std::vector<float>{1.5f});
  EXPECT_EQ(set.train_counts, std::vector<uint32_t>{9});
}

std::string decode_error(const std::string& bytes) {
  try {
    decode_token_losses(bytes);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "no error";
}

TEST(TokenLosses, DamagedBlobsAreRefusedWithTheReason) {
  const std::string blob = encode_token_losses(sample_set());
  EXPECT_NE(decode_error("XXXX" + blob.substr(4)).find("magic"), std::string::npos);
  std::string future = blob;
  future[4] = 9;
  EXPECT_NE(decode_error(future).find("version 9"), std::string::npos);
  EXPECT_NE(decode_error(blob.substr(0, 7)).find("truncated"), std::string::npos);
  EXPECT_NE(decode_error(blob.substr(0, 28)).find("its header claims"), std::string::npos);
  EXPECT_NE(decode_error(blob.substr(0, blob.size() - 5)).find("checksum mismatch in the data"),
            std::string::npos);
  const std::string short_records = decode_error(text_test::reseal(blob.substr(0, blob.size() - 5)));
  EXPECT_NE(short_records.find("need 120 bytes of records"), std::string::npos) << short_records;
  EXPECT_NE(short_records.find("truncated"), std::string::npos) << short_records;
  EXPECT_NE(decode_error(text_test::reseal(blob + "x")).find("trailing bytes"), std::string::npos);
  std::string garbled = blob;
  garbled[20] = '[';  // the header's opening brace
  EXPECT_NE(decode_error(garbled).find("checksum mismatch in the header"), std::string::npos);
  garbled = text_test::reseal(garbled);
  EXPECT_NE(decode_error(garbled).find("header is not valid JSON"), std::string::npos);
  EXPECT_NE(decode_error(garbled).find("token losses blob: "), std::string::npos);
  std::string no_step = blob;
  no_step.replace(no_step.find("\"step\""), 6, "\"stop\"");
  EXPECT_NE(decode_error(text_test::reseal(no_step)).find("header field \"step\" is missing"),
            std::string::npos);
}

TEST(TokenLosses, EveryFlippedBitIsRefused) {
  const std::string blob = encode_token_losses(sample_set());
  for (size_t bit = 0; bit < 8 * blob.size(); ++bit) {
    std::string damaged = blob;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_THROW(decode_token_losses(damaged), InputError) << "bit " << bit;
  }
}

// 12 · (2^62 + 2) wraps around to 24 bytes, the size of 2 records: the shape is refused, nothing allocated.
TEST(TokenLosses, AShapeThatWrapsAroundIsRefused) {
  auto set = sample_set();
  set.sequences = 1;
  set.length = 2;
  set.tokens.resize(2);
  set.losses.resize(2);
  set.train_counts.resize(2);
  const std::string blob = encode_token_losses(set);
  const std::string header =
      R"({"epoch":2,"length":1,"sequences":4611686018427387906,"shards":"/data/shards","step":300})";
  const std::string message = decode_error(text_test::with_header_json(blob, header));
  EXPECT_NE(message.find("more than 2^64 bytes of records"), std::string::npos) << message;
}

}  // namespace
}  // namespace zoolab
