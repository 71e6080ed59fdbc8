// MAD's recall tasks (engine/data/tasks/mad_recall.h) against MAD's own generator: statistics of 20,000
// examples agree with the fixtures make_task_fixtures_mad_recall.py wrote from mad/data/instances.py (total
// variation < 0.02 per histogram), and every example obeys MAD's placement rules exactly.

#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <set>
#include <vector>

#include "engine/config/run_config.h"
#include "engine/data/query_facts.h"
#include "engine/data/task_registry.h"
#include "engine/data/tasks/mad_recall.h"
#include "tests/engine/tasks/task_statistics.h"

namespace zoolab {
namespace {

using task_statistics::Histograms;

const char* const kFuzzy = "fuzzy_in_context_recall";

bool is_fuzzy(const SegmentConfig& s) {
  return s.task == kFuzzy;
}

// MAD's raw sequence of example n: our row, then the label of our last position where MAD's raw sequence
// is one longer (every case but multi-query in-context recall). MAD's last raw token is always the probe's
// last value token, which is that label in both modes.
std::vector<int64_t> raw_sequence(const TokenSegment& seg, const SegmentConfig& s, int64_t n) {
  const int64_t L = seg.seq_len;
  std::vector<int64_t> raw(seg.inputs.begin() + n * L, seg.inputs.begin() + (n + 1) * L);
  if (is_fuzzy(s) || !s.flag("multi_query")) {
    raw.push_back(seg.labels[static_cast<size_t>((n + 1) * L - 1)]);
  }
  return raw;
}

// MAD's returned arrays are one token shorter than our rows for multi-query in-context recall.
int64_t mad_length(const SegmentConfig& s) {
  return !is_fuzzy(s) && s.flag("multi_query") ? s.input_seq_len - 1 : s.input_seq_len;
}

TokenSegment as_mad_output(const TokenSegment& seg, int64_t length) {
  TokenSegment out = seg;
  out.seq_len = length;
  out.inputs.clear();
  out.labels.clear();
  for (int64_t n = 0; n < seg.num_examples; ++n) {
    const auto begin = static_cast<size_t>(n * seg.seq_len);
    out.inputs.insert(out.inputs.end(), seg.inputs.begin() + begin, seg.inputs.begin() + begin + length);
    out.labels.insert(out.labels.end(), seg.labels.begin() + begin, seg.labels.begin() + begin + length);
  }
  return out;
}

struct Run {
  int kind;  // 0 key, 1 value
  int64_t start;
  std::vector<int64_t> tokens;
};

// Maximal runs of key tokens and of value tokens (the fixture script's `runs`).
std::vector<Run> motif_runs(const std::vector<int64_t>& raw, const MadRecallLayout& lay) {
  std::vector<Run> out;
  for (size_t i = 0; i < raw.size(); ++i) {
    const int64_t t = raw[i];
    const int kind = t < lay.key_vocab_size ? 0 : (t < lay.key_vocab_size + lay.value_vocab_size ? 1 : -1);
    if (kind < 0) {
      continue;
    }
    if (!out.empty() && out.back().kind == kind &&
        out.back().start + static_cast<int64_t>(out.back().tokens.size()) == static_cast<int64_t>(i)) {
      out.back().tokens.push_back(t);
    } else {
      out.push_back({kind, static_cast<int64_t>(i), {t}});
    }
  }
  return out;
}

// Positions and gaps in buckets of 16, -1 (none) kept: with ~64 values two runs of MAD itself differ by a
// total variation of about 0.03 at 20,000 examples, with 8 buckets up to 0.016 (the fixture script's
// `bucket`).
int64_t bucket(int64_t value) {
  return value < 0 ? value : value / 16;
}

// The fixture script's mad_histograms, over MAD's output (`mad`: rows of MAD's length).
Histograms mad_histograms(const TokenSegment& mad, const MadRecallLayout& lay, bool with_noise) {
  Histograms h;
  const int64_t L = mad.seq_len;
  for (int64_t n = 0; n < mad.num_examples; ++n) {
    const int64_t* inp = mad.inputs.data() + n * L;
    const int64_t* lab = mad.labels.data() + n * L;
    std::vector<int64_t> raw(inp, inp + L);
    raw.push_back(lab[L - 1]);
    const auto runs = motif_runs(raw, lay);
    std::set<std::vector<int64_t>> keys, values;
    std::vector<const Run*> key_runs;
    for (const auto& r : runs) {
      h[r.kind == 0 ? "key_motif_size" : "value_motif_size"][static_cast<int64_t>(r.tokens.size())] += 1;
      (r.kind == 0 ? keys : values).insert(r.tokens);
      if (r.kind == 0) {
        key_runs.push_back(&r);
      }
    }
    h["distinct_keys"][static_cast<int64_t>(keys.size())] += 1;
    h["distinct_values"][static_cast<int64_t>(values.size())] += 1;
    h["probe_key_size"][static_cast<int64_t>(runs[runs.size() - 2].tokens.size())] += 1;
    h["probe_value_size"][static_cast<int64_t>(runs.back().tokens.size())] += 1;
    const Run& probe = *key_runs.back();
    int64_t first = -1, latest = -1;
    for (size_t i = 0; i + 1 < key_runs.size(); ++i) {
      if (key_runs[i]->tokens == probe.tokens) {
        latest = key_runs[i]->start;
        if (first < 0) {
          first = latest;
        }
      }
    }
    h["probe_gap"][bucket(latest < 0 ? -1 : probe.start - latest)] += 1;
    h["probe_first_position"][bucket(first)] += 1;
    for (const auto& f : mad_recall_query_facts(inp, lab, L, mad.slices)) {
      h["query_gap"][bucket(f.key_position < 0 ? -1 : f.gap)] += 1;
    }
    if (with_noise) {
      int64_t count = 0;
      for (int64_t p = 0; p < L; ++p) {
        if (inp[p] >= lay.noise_base && inp[p] < lay.noise_base + lay.noise_vocab_size) {
          h["noise_position"][p] += 1;
          ++count;
        }
      }
      h["noise_count"][count] += 1;
    }
    if (lay.pad_token >= 0) {
      int64_t pads = 0;
      while (pads < static_cast<int64_t>(raw.size()) && raw[static_cast<size_t>(pads)] == lay.pad_token) {
        ++pads;
      }
      h["pad_count"][pads] += 1;
    }
  }
  return h;
}

bool is_noise_token(int64_t t, const MadRecallLayout& lay) {
  return t >= lay.noise_base && t < lay.noise_base + lay.noise_vocab_size;
}

// MAD's placement rules for one in-context (or noisy) example.
void expect_in_context_rules(const TokenSegment& seg, const SegmentConfig& s, const MadRecallLayout& lay,
                             int64_t n) {
  SCOPED_TRACE("example " + std::to_string(n));
  const int64_t L = s.input_seq_len;
  const bool mq = s.flag("multi_query");
  const bool training = s.flag("is_training");
  const bool noisy = s.number("frac_noise") > 0.0;
  const std::vector<int64_t> raw = raw_sequence(seg, s, n);
  const auto R = static_cast<int64_t>(raw.size());
  ASSERT_EQ(R, mq ? L : L + 1);
  // Body: L/2 - 1 slots of (key, value) or (noise, noise); then [copy prefix] probe key, probe value.
  const int64_t body = L - 2;
  std::map<int64_t, int64_t> value_of;
  std::set<int64_t> seen;
  std::vector<int64_t> expected(static_cast<size_t>(R), kIgnoreLabel);  // MAD's targets, unshifted
  int64_t pairs = 0;
  for (int64_t i = 0; i < body; i += 2) {
    const int64_t a = raw[static_cast<size_t>(i)], b = raw[static_cast<size_t>(i + 1)];
    if (is_noise_token(a, lay) || is_noise_token(b, lay)) {
      ASSERT_TRUE(noisy && is_noise_token(a, lay) && is_noise_token(b, lay)) << "slot at " << i;
      continue;
    }
    ASSERT_LT(a, lay.key_vocab_size) << i;
    ASSERT_GE(b, lay.key_vocab_size) << i + 1;
    ASSERT_LT(b, lay.key_vocab_size + lay.value_vocab_size) << i + 1;
    const auto found = value_of.emplace(a, b);
    ASSERT_EQ(found.first->second, b) << "key " << a << " changed its value at " << i;
    if (seen.count(a) && mq) {
      expected[static_cast<size_t>(i + 1)] = b;
    }
    seen.insert(a);
    ++pairs;
  }
  ASSERT_GT(pairs, 0);
  if (!mq) {
    ASSERT_EQ(raw[static_cast<size_t>(body)], lay.copy_prefix);
  }
  const int64_t k_probe = raw[static_cast<size_t>(R - 2)];
  const int64_t v_probe = raw[static_cast<size_t>(R - 1)];
  ASSERT_TRUE(seen.count(k_probe)) << "the probe's key was not presented";
  ASSERT_EQ(value_of.at(k_probe), v_probe);
  expected[static_cast<size_t>(R - 1)] = v_probe;
  // Our labels: MAD's shifted targets (training: the next token), the last position unlabelled when R == L.
  const int64_t* label = seg.labels.data() + n * L;
  for (int64_t p = 0; p < L; ++p) {
    const int64_t want =
        p + 1 >= R ? kIgnoreLabel
                   : (training ? raw[static_cast<size_t>(p + 1)] : expected[static_cast<size_t>(p + 1)]);
    ASSERT_EQ(label[p], want) << "position " << p;
  }
}

// MAD's placement rules for one fuzzy example.
void expect_fuzzy_rules(const TokenSegment& seg, const SegmentConfig& s, const MadRecallLayout& lay,
                        int64_t n) {
  SCOPED_TRACE("example " + std::to_string(n));
  const int64_t L = s.input_seq_len;
  const bool mq = s.flag("multi_query");
  const bool training = s.flag("is_training");
  const bool noisy = s.number("frac_noise") > 0.0;
  const int64_t k_max = s.integer("k_motif_size");
  const int64_t v_max = s.integer("v_motif_size");
  const std::vector<int64_t> raw = raw_sequence(seg, s, n);
  const auto R = static_cast<int64_t>(raw.size());
  ASSERT_EQ(R, L + 1);
  // Left padding only.
  int64_t pads = 0;
  while (pads < R && raw[static_cast<size_t>(pads)] == lay.pad_token) {
    ++pads;
  }
  for (int64_t p = pads; p < R; ++p) {
    ASSERT_NE(raw[static_cast<size_t>(p)], lay.pad_token) << p;
  }
  // Every key run is followed by a value run, every value run preceded by a key run; motifs are distinct
  // tokens of the right sizes; a key keeps its value.
  const auto runs = motif_runs(raw, lay);
  ASSERT_GE(runs.size(), 2u);
  std::map<std::vector<int64_t>, std::vector<int64_t>> value_of;
  std::set<std::vector<int64_t>> seen;
  std::vector<int64_t> expected(static_cast<size_t>(R), kIgnoreLabel);
  for (size_t r = 0; r < runs.size(); r += 2) {
    ASSERT_EQ(runs[r].kind, 0) << "run at " << runs[r].start;
    ASSERT_LT(r + 1, runs.size());
    const Run& key = runs[r];
    const Run& value = runs[r + 1];
    ASSERT_EQ(value.kind, 1);
    ASSERT_EQ(value.start, key.start + static_cast<int64_t>(key.tokens.size()));
    const auto ks = static_cast<int64_t>(key.tokens.size());
    const auto vs = static_cast<int64_t>(value.tokens.size());
    ASSERT_TRUE(training ? (ks >= 1 && ks <= k_max) : ks == k_max) << ks;
    ASSERT_TRUE(vs >= 1 && vs <= v_max) << vs;
    ASSERT_EQ(std::set<int64_t>(key.tokens.begin(), key.tokens.end()).size(), key.tokens.size());
    ASSERT_EQ(std::set<int64_t>(value.tokens.begin(), value.tokens.end()).size(), value.tokens.size());
    const auto found = value_of.emplace(key.tokens, value.tokens);
    ASSERT_EQ(found.first->second, value.tokens) << "a key changed its value at " << key.start;
    const bool last = r + 2 == runs.size();
    if (last || (mq && seen.count(key.tokens))) {
      for (int64_t i = 0; i < vs; ++i) {
        expected[static_cast<size_t>(value.start + i)] = value.tokens[static_cast<size_t>(i)];
      }
    }
    if (!last) {
      seen.insert(key.tokens);
    }
  }
  // The end: [copy prefix] probe key, probe value, ending the raw sequence.
  const Run& probe_key = runs[runs.size() - 2];
  const Run& probe_value = runs.back();
  ASSERT_EQ(probe_value.start + static_cast<int64_t>(probe_value.tokens.size()), R);
  const int64_t probe_start = probe_key.start - (mq ? 0 : 1);
  if (!mq) {
    ASSERT_EQ(raw[static_cast<size_t>(probe_start)], lay.copy_prefix);
  }
  // Everything else between the padding and the probe is noise.
  std::vector<bool> covered(static_cast<size_t>(R), false);
  for (const auto& r : runs) {
    for (size_t i = 0; i < r.tokens.size(); ++i) {
      covered[static_cast<size_t>(r.start) + i] = true;
    }
  }
  for (int64_t p = pads; p < probe_start; ++p) {
    if (!covered[static_cast<size_t>(p)]) {
      ASSERT_TRUE(noisy && is_noise_token(raw[static_cast<size_t>(p)], lay)) << p;
    }
  }
  // The while-loop rule: the body ends at the first length >= seq_len - probe size - (k_max + v_max).
  const int64_t probe_size = R - probe_start - (mq ? 0 : 1);
  const int64_t body = probe_start - pads;
  const int64_t limit = L - probe_size - (k_max + v_max);
  if (limit <= 0) {
    ASSERT_EQ(body, 0);
  } else {
    ASSERT_GE(body, limit);
    int64_t last_unit = k_max + v_max;
    if (runs.size() >= 4 && covered[static_cast<size_t>(probe_start - 1)]) {
      const Run& k = runs[runs.size() - 4];
      last_unit = static_cast<int64_t>(k.tokens.size() + runs[runs.size() - 3].tokens.size());
    }
    ASSERT_LT(body - last_unit, limit);
  }
  const int64_t* label = seg.labels.data() + n * L;
  for (int64_t p = 0; p < L; ++p) {
    const int64_t want = training ? raw[static_cast<size_t>(p + 1)] : expected[static_cast<size_t>(p + 1)];
    ASSERT_EQ(label[p], want) << "position " << p;
  }
}

// Our generator at a fixture's setting: every histogram within total variation 0.02 of MAD's and every
// example by MAD's rules.
void check_fixture(const std::string& stem) {
  SCOPED_TRACE(stem);
  const auto fixture = task_statistics::load_fixture("tests/engine/tasks/fixtures/" + stem + ".json");
  const SegmentConfig s = task_statistics::fixture_segment(fixture);
  const int64_t V = fixture.at("vocab_size").get<int64_t>();
  const TokenSegment seg = generate_segment(s, V, 20240607);
  ASSERT_EQ(seg.num_examples, 20000);
  const MadRecallLayout lay = mad_recall_layout(s, V);
  for (int64_t n = 0; n < seg.num_examples; ++n) {
    if (is_fuzzy(s)) {
      expect_fuzzy_rules(seg, s, lay, n);
    } else {
      expect_in_context_rules(seg, s, lay, n);
    }
    if (::testing::Test::HasFatalFailure()) {
      return;
    }
  }
  const TokenSegment mad = as_mad_output(seg, mad_length(s));
  Histograms ours = task_statistics::standard_histograms(mad);
  for (auto& [name, h] : mad_histograms(mad, lay, s.number("frac_noise") > 0.0)) {
    ours[name] = h;
  }
  const Histograms theirs = task_statistics::fixture_histograms(fixture);
  EXPECT_EQ(ours.size(), theirs.size());
  std::cout << stem << " TV:";
  for (const auto& [name, h] : theirs) {
    ASSERT_TRUE(ours.count(name)) << name;
    const double tv = task_statistics::total_variation(ours.at(name), h);
    std::cout << " " << name << "=" << tv;
    EXPECT_LT(tv, 0.02) << name;
  }
  std::cout << "\n";
}

TEST(MadRecall, InContextRecallTestSetMatchesMad) {
  check_fixture("mad_in_context_recall_test");
}
TEST(MadRecall, InContextRecallTrainingSetMatchesMad) {
  check_fixture("mad_in_context_recall_train");
}
TEST(MadRecall, InContextRecallSingleQueryMatchesMad) {
  check_fixture("mad_in_context_recall_single");
}
TEST(MadRecall, NoisyInContextRecallMatchesMad) {
  check_fixture("mad_noisy_in_context_recall_test");
}
TEST(MadRecall, FuzzyInContextRecallTrainingSetMatchesMad) {
  check_fixture("mad_fuzzy_in_context_recall_train");
}
TEST(MadRecall, FuzzyInContextRecallTestSetMatchesMad) {
  check_fixture("mad_fuzzy_in_context_recall_test");
}

SegmentConfig mad_segment(const std::string& task, int64_t L, int64_t n = 200) {
  SegmentConfig s;
  s.task = task;
  s.input_seq_len = L;
  s.num_examples = n;
  return s;
}

// The layouts MAD's functions use, on its benchmark baselines.
TEST(MadRecall, VocabularyLayoutsAreMads) {
  auto in_context = mad_recall_layout(mad_segment("in_context_recall", 128), 16);
  EXPECT_EQ(in_context.key_vocab_size, 8);
  EXPECT_EQ(in_context.value_vocab_size, 8);
  EXPECT_EQ(in_context.copy_prefix, -1);
  in_context = mad_recall_layout(mad_segment("in_context_recall", 128).with("multi_query", false), 16);
  EXPECT_EQ(in_context.key_vocab_size, 7);  // 15 non-special tokens: keys 0..6, values 7..14
  EXPECT_EQ(in_context.value_vocab_size, 8);
  EXPECT_EQ(in_context.copy_prefix, 15);
  const auto noisy = mad_recall_layout(mad_segment("noisy_in_context_recall", 128), 32);
  EXPECT_EQ(noisy.key_vocab_size, 8);
  EXPECT_EQ(noisy.value_vocab_size, 8);
  EXPECT_EQ(noisy.noise_base, 16);
  EXPECT_EQ(noisy.noise_vocab_size, 16);
  auto fuzzy = mad_recall_layout(mad_segment("fuzzy_in_context_recall", 128), 16);
  EXPECT_EQ(fuzzy.key_vocab_size, 7);
  EXPECT_EQ(fuzzy.value_vocab_size, 8);
  EXPECT_EQ(fuzzy.pad_token, 15);
  EXPECT_EQ(fuzzy.copy_prefix, -1);
  fuzzy = mad_recall_layout(mad_segment("fuzzy_in_context_recall", 128).with("multi_query", false), 16);
  EXPECT_EQ(fuzzy.key_vocab_size, 7);
  EXPECT_EQ(fuzzy.value_vocab_size, 7);
  EXPECT_EQ(fuzzy.pad_token, 14);
  EXPECT_EQ(fuzzy.copy_prefix, 15);
}

void expect_config_error(const SegmentConfig& s, int64_t V, const std::string& field,
                         const std::string& says) {
  try {
    generate_segment(s, V, 1);
    FAIL() << "accepted; expected an error at " << field;
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), field) << e.what();
    EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
  }
}

TEST(MadRecall, ImpossibleShapesNameTheirField) {
  expect_config_error(mad_segment("in_context_recall", 63), 16, "segment.input_seq_len", "even number >= 4");
  expect_config_error(mad_segment("in_context_recall", 2), 16, "segment.input_seq_len", "even number >= 4");
  expect_config_error(mad_segment("in_context_recall", 64), 1, "data.vocab_size", "data.vocab_size >= 2");
  expect_config_error(mad_segment("in_context_recall", 64).with("multi_query", false), 2, "data.vocab_size",
                      "data.vocab_size >= 3");
  expect_config_error(mad_segment("noisy_in_context_recall", 64), 17, "segment.noise_vocab_size",
                      "data.vocab_size >= 18");
  expect_config_error(mad_segment("noisy_in_context_recall", 64).with("frac_noise", 1.0), 32,
                      "segment.frac_noise", "[0, 1)");
  expect_config_error(mad_segment("in_context_recall", 64).with("frac_noise", 0.5), 32,
                      "segment.noise_vocab_size", "must be > 0 when frac_noise > 0");
  expect_config_error(mad_segment("fuzzy_in_context_recall", 64), 6, "segment.k_motif_size",
                      "data.vocab_size >= 7");  // 2·3 keys + the pad token
  EXPECT_NO_THROW(generate_segment(mad_segment("fuzzy_in_context_recall", 64), 7, 1));
  expect_config_error(mad_segment("fuzzy_in_context_recall", 64).with("v_motif_size", 5), 8,
                      "segment.v_motif_size", "data.vocab_size >= 10");
  expect_config_error(mad_segment("fuzzy_in_context_recall", 12), 16, "segment.input_seq_len",
                      "input_seq_len >= 13");
  EXPECT_NO_THROW(generate_segment(mad_segment("fuzzy_in_context_recall", 13, 2000), 16, 1));
  EXPECT_NO_THROW(generate_segment(mad_segment("in_context_recall", 4, 2000), 4, 1));
  EXPECT_NO_THROW(generate_segment(
      mad_segment("noisy_in_context_recall", 4, 2000).with("frac_noise", 0.9).with("noise_vocab_size", 2), 4,
      1));
}

// The smallest shapes still follow MAD's rules (seq_len 4: one pair before the probe; fuzzy: the shortest
// sequence that holds the probe twice, no pair in the loop), with and without multi_query and noise.
TEST(MadRecall, SmallShapesFollowMadsRules) {
  for (bool mq : {true, false}) {
    for (bool training : {true, false}) {
      auto s = mad_segment("noisy_in_context_recall", 4, 500)
                   .with("multi_query", mq)
                   .with("is_training", training)
                   .with("frac_noise", 0.9)
                   .with("noise_vocab_size", 3);
      const int64_t V = 8;
      TokenSegment seg = generate_segment(s, V, 5);
      const MadRecallLayout lay = mad_recall_layout(s, V);
      for (int64_t n = 0; n < seg.num_examples; ++n) {
        expect_in_context_rules(seg, s, lay, n);
      }
      auto f = mad_segment("fuzzy_in_context_recall", 13, 500)
                   .with("multi_query", mq)
                   .with("is_training", training)
                   .with("frac_noise", 0.5)
                   .with("noise_vocab_size", 2);
      seg = generate_segment(f, 16, 5);
      const MadRecallLayout flay = mad_recall_layout(f, 16);
      for (int64_t n = 0; n < seg.num_examples; ++n) {
        expect_fuzzy_rules(seg, f, flay, n);
      }
      f.input_seq_len = 96;
      seg = generate_segment(f, 16, 6);
      for (int64_t n = 0; n < seg.num_examples; ++n) {
        expect_fuzzy_rules(seg, f, flay, n);
      }
    }
  }
}

// Test-set queries always have a source; with single-token motifs the rule is latest_pair_query_facts;
// with fuzzy motifs the latest earlier (token, target) pair is often another motif's, which our rule skips.
TEST(MadRecall, QueryFactsFindThePresentationOfTheKeyMotif) {
  auto s = mad_segment("in_context_recall", 64, 2000).with("is_training", false);
  TokenSegment seg = generate_segment(s, 16, 3);
  for (int64_t n = 0; n < seg.num_examples; ++n) {
    const int64_t* in = seg.inputs.data() + n * 64;
    const int64_t* lab = seg.labels.data() + n * 64;
    const auto ours = mad_recall_query_facts(in, lab, 64, seg.slices);
    const auto pair = latest_pair_query_facts(in, lab, 64, seg.slices);
    ASSERT_EQ(ours.size(), pair.size());
    for (size_t i = 0; i < ours.size(); ++i) {
      ASSERT_EQ(ours[i].key_position, pair[i].key_position);
      ASSERT_GE(ours[i].key_position, 0);
    }
  }
  auto f = mad_segment("fuzzy_in_context_recall", 64, 2000).with("is_training", false);
  seg = generate_segment(f, 16, 3);
  int64_t queries = 0, differ = 0, no_source = 0;
  for (int64_t n = 0; n < seg.num_examples; ++n) {
    const int64_t* in = seg.inputs.data() + n * 64;
    const int64_t* lab = seg.labels.data() + n * 64;
    const auto ours = task_query_facts("fuzzy_in_context_recall", in, lab, 64, seg.slices);
    const auto pair = latest_pair_query_facts(in, lab, 64, seg.slices);
    ASSERT_EQ(ours.size(), pair.size());
    for (size_t i = 0; i < ours.size(); ++i) {
      ++queries;
      const auto& q = ours[i];
      if (q.key_position < 0) {
        // Only the final probe can lack a source (its key was never presented): its labels are the last
        // value tokens of the row.
        ASSERT_GE(q.position, 64 - 3);
        ++no_source;
        continue;
      }
      ASSERT_EQ(in[q.key_position + 1], q.target);
      ASSERT_EQ(in[q.key_position], q.key);
      differ += q.key_position != pair[i].key_position;
    }
  }
  std::cout << "fuzzy test queries: " << queries << ", no source: " << no_source
            << ", latest_pair picks another position: " << differ << "\n";
  EXPECT_GT(differ, 0);
}

}  // namespace
}  // namespace zoolab
