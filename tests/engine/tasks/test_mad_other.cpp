// MAD's selective copying, memorization and compression against MAD's own instance functions
// (tests/engine/tasks/fixtures/make_task_fixtures_mad_other.py wrote the fixtures): every histogram within
// total variation 0.02 of the reference's, and the exact layout of each task on every example.

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include "engine/config/config_error.h"
#include "engine/config/run_config.h"
#include "engine/data/task_registry.h"
#include "engine/data/tasks/mad_compression.h"
#include "engine/data/tasks/mad_copying.h"
#include "engine/data/tasks/mad_memorization.h"
#include "tests/engine/tasks/task_statistics.h"

namespace zoolab {
namespace {

using namespace task_statistics;

constexpr double kMaxTotalVariation = 0.02;
constexpr uint64_t kSeed = 20240611;

// Every histogram of the fixture (except `skip`) against ours, by total variation.
void expect_close(const Histograms& reference, const Histograms& ours,
                  const std::set<std::string>& skip = {}) {
  for (const auto& [name, histogram] : reference) {
    if (skip.count(name)) {
      continue;
    }
    const auto found = ours.find(name);
    ASSERT_NE(found, ours.end()) << name;
    const double tv = total_variation(histogram, found->second);
    EXPECT_LT(tv, kMaxTotalVariation) << name;
    std::printf("    %-22s TV %.4f\n", name.c_str(), tv);
  }
}

void expect_config_error(const std::function<void()>& call, const std::string& path,
                         const std::string& part) {
  try {
    call();
    ADD_FAILURE() << "no ConfigError at " << path;
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), path) << e.what();
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

// ---- selective copying ----

TEST(MadSelectiveCopying, MatchesMadsStatisticsAndLayout) {
  const auto fixture = load_fixture("tests/engine/tasks/fixtures/mad_selective_copying.json");
  const SegmentConfig config = fixture_segment(fixture);
  const int64_t V = fixture.at("vocab_size").get<int64_t>();
  const TokenSegment segment = generate_selective_copying(config, V, kSeed);
  const int64_t L = segment.seq_len;
  const int64_t n = config.integer("num_tokens_to_copy");
  const int64_t blank = V - 2, copy = V - 1;
  EXPECT_EQ(segment.slices.at("num_tokens_to_copy"), n);
  EXPECT_EQ(segment.slices.at("input_seq_len"), L);

  Histograms ours = standard_histograms(segment);
  for (int64_t e = 0; e < segment.num_examples; ++e) {
    const int64_t* input = segment.inputs.data() + e * L;
    const int64_t* label = segment.labels.data() + e * L;
    // Before the copy token (at L-n-1): n tokens from [0, V-2) among L-2n-1 blanks, the last of them
    // right before the copy token; after it n blanks labelled with those tokens in order.
    std::vector<int64_t> sources;
    int64_t run = 0;
    for (int64_t t = 0; t < L - n - 1; ++t) {
      ASSERT_EQ(label[t], kIgnoreLabel);
      if (input[t] == blank) {
        ours["blank_position"][t] += 1;
        ++run;
      } else {
        ASSERT_GE(input[t], 0);
        ASSERT_LT(input[t], V - 2);
        sources.push_back(t);
        ours["source_position"][t] += 1;
        ours["blank_run_length"][run] += 1;
        run = 0;
      }
    }
    ASSERT_EQ(static_cast<int64_t>(sources.size()), n);
    ASSERT_EQ(sources.back(), L - n - 2);
    ASSERT_EQ(input[L - n - 1], copy);
    ASSERT_EQ(label[L - n - 1], kIgnoreLabel);
    ours["copy_token_position"][L - n - 1] += 1;
    const auto facts = selective_copying_query_facts(input, label, L, segment.slices);
    ASSERT_EQ(static_cast<int64_t>(facts.size()), n);
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_EQ(input[L - n + i], blank);
      ASSERT_EQ(label[L - n + i], input[sources[static_cast<size_t>(i)]]);
      const QueryFacts& f = facts[static_cast<size_t>(i)];
      ASSERT_EQ(f.position, L - n + i);
      ASSERT_EQ(f.key_position, sources[static_cast<size_t>(i)]);
      ASSERT_EQ(f.gap, f.position - f.key_position);
      ASSERT_EQ(f.kv_index, i);
    }
  }
  expect_close(fixture_histograms(fixture), ours);
}

TEST(MadSelectiveCopying, RefusesImpossibleShapes) {
  SegmentConfig s;
  s.task = "selective_copying";
  s.num_examples = 4;
  s.input_seq_len = 17;
  s.with("num_tokens_to_copy", 8);  // MAD: seq_len > 2·8 + 1
  expect_config_error([&] { generate_selective_copying(s, 16, 1); }, "segment.num_tokens_to_copy",
                      "input_seq_len >= 18");
  s.input_seq_len = 18;
  EXPECT_NO_THROW(generate_selective_copying(s, 16, 1));
  expect_config_error([&] { generate_selective_copying(s, 2, 1); }, "data.vocab_size", ">= 3");
  EXPECT_NO_THROW(generate_selective_copying(s, 3, 1));
  s.with("num_tokens_to_copy", std::numeric_limits<int64_t>::max());
  expect_config_error([&] { generate_selective_copying(s, 16, 1); }, "segment.num_tokens_to_copy", "2^64");
  s.with("num_tokens_to_copy", 0);
  expect_config_error([&] { generate_selective_copying(s, 16, 1); }, "segment.num_tokens_to_copy", ">= 1");
}

// ---- memorization ----

Histograms memorization_histograms(const TokenSegment& segment, int64_t V, int64_t noise,
                                   std::map<int64_t, int64_t>* value_seen) {
  Histograms ours = standard_histograms(segment);
  const int64_t L = segment.seq_len;
  const int64_t usable = V - 1 - noise;
  const int64_t num_keys = usable / 2;
  for (int64_t e = 0; e < segment.num_examples; ++e) {
    const int64_t* input = segment.inputs.data() + e * L;
    const int64_t* label = segment.labels.data() + e * L;
    std::set<int64_t> keys;
    for (int64_t t = 0; t < L; t += 2) {
      EXPECT_EQ(label[t], kIgnoreLabel);
      if (label[t + 1] != kIgnoreLabel) {
        // A key from [0, V'/2), the insert token V-1, labelled with the key's one value from [V'/2, V').
        EXPECT_GE(input[t], 0);
        EXPECT_LT(input[t], num_keys);
        EXPECT_EQ(input[t + 1], V - 1);
        EXPECT_GE(label[t + 1], num_keys);
        EXPECT_LT(label[t + 1], usable);
        const auto [it, fresh] = value_seen->emplace(input[t], label[t + 1]);
        EXPECT_EQ(it->second, label[t + 1]) << "key " << input[t] << " has two values";
        ours["key_token"][input[t]] += 1;
        keys.insert(input[t]);
      } else {
        // A noise pair: two tokens from the noise range [V-1-noise, V-1), unlabelled.
        for (int64_t u = t; u < t + 2; ++u) {
          EXPECT_GE(input[u], usable);
          EXPECT_LT(input[u], V - 1);
          ours["noise_token"][input[u]] += 1;
        }
      }
    }
    EXPECT_FALSE(keys.empty()) << "example " << e;
    ours["distinct_keys"][static_cast<int64_t>(keys.size())] += 1;
  }
  return ours;
}

// Our map is not MAD's (another RNG): label_token, which depends on which value the map leaves out, is not
// compared; everything else, and the map's structure, is.
void check_memorization_fixture(const std::string& path) {
  const auto fixture = load_fixture(path);
  const SegmentConfig config = fixture_segment(fixture);
  const int64_t V = fixture.at("vocab_size").get<int64_t>();
  const int64_t noise = config.integer("noise_vocab_size");
  const TokenSegment segment = generate_memorization(config, V, kSeed);
  EXPECT_EQ(segment.slices.at("num_keys"), (V - 1 - noise) / 2);
  std::map<int64_t, int64_t> value_seen;
  const Histograms ours = memorization_histograms(segment, V, noise, &value_seen);
  // Every key appeared with the map's value.
  const std::vector<int64_t> value_of = memorization_kv_map(V, noise, 12345);
  ASSERT_EQ(value_seen.size(), value_of.size());
  for (const auto& [key, value] : value_seen) {
    EXPECT_EQ(value, value_of[static_cast<size_t>(key)]);
  }
  expect_close(fixture_histograms(fixture), ours, {"label_token"});
}

TEST(MadMemorization, MatchesMadsStatisticsAndLayout) {
  check_memorization_fixture("tests/engine/tasks/fixtures/mad_memorization.json");
}

TEST(MadMemorization, MatchesMadsStatisticsAndLayoutWithNoise) {
  check_memorization_fixture("tests/engine/tasks/fixtures/mad_memorization_noise.json");
}

TEST(MadMemorization, TheMapIsOneBijectionSharedByEverySegment) {
  for (const int64_t V : {3, 4, 64, 65, 256}) {
    for (const int64_t noise : {0, 8}) {
      if (V - 1 - noise < 2) {
        continue;
      }
      SCOPED_TRACE("V " + std::to_string(V) + " noise " + std::to_string(noise));
      const int64_t usable = V - 1 - noise;
      const std::vector<int64_t> value_of = memorization_kv_map(V, noise, 12345);
      ASSERT_EQ(static_cast<int64_t>(value_of.size()), usable / 2);
      // An injection of the keys [0, V'/2) into the values [V'/2, V'): a bijection onto them when V' is even.
      const std::set<int64_t> values(value_of.begin(), value_of.end());
      EXPECT_EQ(values.size(), value_of.size());
      for (const int64_t v : value_of) {
        EXPECT_GE(v, usable / 2);
        EXPECT_LT(v, usable);
      }
      EXPECT_EQ(memorization_kv_map(V, noise, 12345), value_of);
    }
  }
  // Drawn, not fixed: another seed gives another map, and the map is not the identity shift.
  const std::vector<int64_t> a = memorization_kv_map(256, 0, 12345);
  EXPECT_NE(memorization_kv_map(256, 0, 12346), a);
  int64_t shifted = 0;
  for (size_t k = 0; k < a.size(); ++k)
    shifted += a[k] == static_cast<int64_t>(k + a.size());
  EXPECT_LT(shifted, 10);

  // Segments with different seeds and lengths share it; the segment seed never changes it.
  SegmentConfig s;
  s.task = "memorization";
  s.num_examples = 500;
  s.input_seq_len = 32;
  std::map<int64_t, int64_t> seen;
  for (const uint64_t seed : {uint64_t{1}, uint64_t{2}, uint64_t{12345} ^ uint64_t{0x6b766d6170}}) {
    s.input_seq_len += 2;
    const TokenSegment segment = generate_memorization(s, 64, seed);
    memorization_histograms(segment, 64, 0, &seen);
  }
  const std::vector<int64_t> value_of = memorization_kv_map(64, 0, 12345);
  for (const auto& [key, value] : seen)
    EXPECT_EQ(value, value_of[static_cast<size_t>(key)]);
  // kv_map_seed chooses it.
  s.with("kv_map_seed", 7);
  std::map<int64_t, int64_t> other;
  memorization_histograms(generate_memorization(s, 64, 1), 64, 0, &other);
  const std::vector<int64_t> value_of_7 = memorization_kv_map(64, 0, 7);
  for (const auto& [key, value] : other)
    EXPECT_EQ(value, value_of_7[static_cast<size_t>(key)]);
  EXPECT_NE(value_of_7, value_of);
}

TEST(MadMemorization, AllNoiseLeavesOnePair) {
  // MAD allows frac_noise = 1: every pair but one is noise.
  SegmentConfig s;
  s.task = "memorization";
  s.num_examples = 200;
  s.input_seq_len = 16;
  s.with("noise_vocab_size", 4).with("frac_noise", 1.0);
  const TokenSegment segment = generate_memorization(s, 32, 3);
  for (int64_t e = 0; e < segment.num_examples; ++e) {
    int64_t labelled = 0;
    for (int64_t t = 0; t < 16; ++t)
      labelled += segment.labels[static_cast<size_t>(e * 16 + t)] != kIgnoreLabel;
    EXPECT_EQ(labelled, 1);
  }
}

TEST(MadMemorization, RefusesImpossibleShapes) {
  SegmentConfig s;
  s.task = "memorization";
  s.num_examples = 4;
  s.input_seq_len = 31;
  expect_config_error([&] { generate_memorization(s, 64, 1); }, "segment.input_seq_len", "even");
  s.input_seq_len = 32;
  expect_config_error([&] { generate_memorization(s, 2, 1); }, "data.vocab_size", ">= 3");
  EXPECT_NO_THROW(generate_memorization(s, 3, 1));
  s.with("noise_vocab_size", 62);
  expect_config_error([&] { generate_memorization(s, 64, 1); }, "segment.noise_vocab_size",
                      "noise_vocab_size <= 61");
  s.with("noise_vocab_size", 61);
  EXPECT_NO_THROW(generate_memorization(s, 64, 1));
  s.with("noise_vocab_size", 0).with("frac_noise", 0.5);
  expect_config_error([&] { generate_memorization(s, 64, 1); }, "segment.noise_vocab_size", "frac_noise");
}

// ---- compression ----

void check_compression_fixture(const std::string& path) {
  const auto fixture = load_fixture(path);
  const SegmentConfig config = fixture_segment(fixture);
  const int64_t V = fixture.at("vocab_size").get<int64_t>();
  const int64_t noise = config.integer("noise_vocab_size");
  const TokenSegment segment = generate_compression(config, V, kSeed);
  const int64_t L = segment.seq_len;
  Histograms ours = standard_histograms(segment);
  for (int64_t e = 0; e < segment.num_examples; ++e) {
    const int64_t* input = segment.inputs.data() + e * L;
    const int64_t* label = segment.labels.data() + e * L;
    int64_t noisy = 0;
    for (int64_t t = 0; t < L; ++t) {
      ASSERT_EQ(label[t], input[t]);  // MAD returns (inputs, inputs)
      if (t == L - 1) {
        ASSERT_EQ(input[t], V - 1);
        continue;
      }
      ASSERT_GE(input[t], 0);
      ASSERT_LT(input[t], V - 1);
      if (input[t] >= V - 1 - noise) {
        ours["noise_position"][t] += 1;
        ++noisy;
      }
    }
    ours["noise_count"][noisy] += 1;
    const auto facts = task_query_facts("compression", input, label, L, segment.slices);
    ASSERT_EQ(static_cast<int64_t>(facts.size()), L);
    for (const auto& f : facts)
      ASSERT_EQ(f.key_position, -1);
  }
  if (noise == 0) {
    EXPECT_TRUE(ours["noise_count"].size() == 1 && ours["noise_count"].count(0));
  }
  expect_close(fixture_histograms(fixture), ours);
}

TEST(MadCompression, MatchesMadsStatisticsAndLayout) {
  check_compression_fixture("tests/engine/tasks/fixtures/mad_compression.json");
}

TEST(MadCompression, MatchesMadsStatisticsAndLayoutWithNoise) {
  check_compression_fixture("tests/engine/tasks/fixtures/mad_compression_noise.json");
}

TEST(MadCompression, RefusesImpossibleShapes) {
  SegmentConfig s;
  s.task = "compression";
  s.num_examples = 4;
  s.input_seq_len = 32;
  expect_config_error([&] { generate_compression(s, 1, 1); }, "data.vocab_size", ">= 2");
  EXPECT_NO_THROW(generate_compression(s, 2, 1));
  s.with("noise_vocab_size", 15);
  expect_config_error([&] { generate_compression(s, 16, 1); }, "segment.noise_vocab_size",
                      "noise_vocab_size <= 14");
  s.with("noise_vocab_size", 0).with("frac_noise", 0.1);
  expect_config_error([&] { generate_compression(s, 16, 1); }, "segment.noise_vocab_size", "frac_noise");
}

// The registry's parameter specs refuse what MAD's asserts refuse (through a run configuration).
TEST(MadOtherTasks, SpecsRefuseOutOfRangeParameters) {
  const auto config = [](const nlohmann::json& segment) {
    return nlohmann::json{{"name", "t"},
                          {"data",
                           {{"vocab_size", 64},
                            {"train", nlohmann::json::array({segment})},
                            {"test", nlohmann::json::array({segment})}}},
                          {"model", {{"d_model", 16}, {"sequence_mixer", {{"name", "attention"}}}}}};
  };
  const auto refused_at = [&](const nlohmann::json& segment, const std::string& path) {
    try {
      parse_run_config(config(segment));
      ADD_FAILURE() << "accepted " << segment.dump();
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.path(), path) << e.what();
    }
  };
  refused_at({{"task", "memorization"}, {"input_seq_len", 32}, {"noise_vocab_size", 4}, {"frac_noise", 1.5}},
             "data.train[0].frac_noise");
  refused_at({{"task", "compression"}, {"input_seq_len", 32}, {"noise_vocab_size", 4}, {"frac_noise", -0.1}},
             "data.train[0].frac_noise");
  refused_at({{"task", "selective_copying"}, {"input_seq_len", 32}, {"num_tokens_to_copy", 0}},
             "data.train[0].num_tokens_to_copy");
  refused_at({{"task", "selective_copying"}, {"input_seq_len", 32}, {"num_tokens_to_copy", 16}},
             "data.train[0].num_tokens_to_copy");
  EXPECT_NO_THROW(parse_run_config(config(
      {{"task", "memorization"}, {"input_seq_len", 32}, {"noise_vocab_size", 4}, {"frac_noise", 1.0}})));
}

}  // namespace
}  // namespace zoolab
