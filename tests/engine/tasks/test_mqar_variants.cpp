// forgetting_mqar and compositional_mqar against Zoology's generators (zoology/data/forgetting_mqar.py and
// compositional_mqar.py): the statistics of 20,000 of our examples against the reference's
// (fixtures/make_task_fixtures_mqar_variants.py; total variation < 0.02 on every histogram), the exact
// layout of every example, the shape checks and the query facts.

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <map>
#include <set>
#include <string>

#include "engine/config/config_error.h"
#include "engine/data/task_registry.h"
#include "engine/data/tasks/compositional_mqar.h"
#include "engine/data/tasks/forgetting_mqar.h"
#include "tests/engine/tasks/task_statistics.h"

namespace zoolab {
namespace {

using task_statistics::Histogram;
using task_statistics::Histograms;

constexpr double kMaxTotalVariation = 0.02;

const int64_t* row_of(const std::vector<int64_t>& data, int64_t n, int64_t L) {
  return data.data() + n * L;
}

// fixtures/make_task_fixtures_mqar_variants.py: forgetting_histograms.
Histograms forgetting_histograms(const TokenSegment& s, int64_t kv, int64_t updates) {
  Histograms h;
  const int64_t L = s.seq_len;
  const int64_t context = 2 * (kv + updates);
  for (int64_t n = 0; n < s.num_examples; ++n) {
    const int64_t* in = row_of(s.inputs, n, L);
    const int64_t* lab = row_of(s.labels, n, L);
    std::map<int64_t, int64_t> slot_of;
    for (int64_t i = 0; i < kv; ++i) {
      slot_of[in[2 * i]] = i;
      h["key_token"][in[2 * i]] += 1;
    }
    const auto slot = [&](int64_t key) {
      const auto found = slot_of.find(key);
      return found == slot_of.end() ? int64_t{-1} : found->second;
    };
    for (int64_t i = 0; i < kv + updates; ++i)
      h["value_token"][in[2 * i + 1]] += 1;
    for (int64_t j = 0; j < updates; ++j) {
      const int64_t s_j = slot(in[2 * kv + 2 * j]);
      h["update_target"][j * kv + s_j] += 1;
      const int64_t value = in[2 * kv + 2 * j + 1];
      int64_t category = 3;
      bool other = false;
      for (int64_t i = 0; i < kv; ++i)
        other = other || in[2 * i + 1] == value;
      if (value == in[2 * j + 1]) {
        category = 0;
      } else if (s_j >= 0 && value == in[2 * s_j + 1]) {
        category = 1;
      } else if (other) {
        category = 2;
      }
      h["update_value"][category] += 1;
    }
    int64_t rank = 0;
    for (int64_t p = 0; p < L; ++p) {
      if (lab[p] == kIgnoreLabel) {
        if (p >= context)
          h["noise_token"][in[p]] += 1;
        continue;
      }
      int64_t source = -1;
      for (int64_t k = std::min(context, p) - 2; k >= 0; --k) {
        if (k % 2 == 0 && in[k] == in[p] && in[k + 1] == lab[p]) {
          source = k;
          break;
        }
      }
      h["query_gap"][source >= 0 ? p - source : -1] += 1;
      h["query_rank"][slot(in[p]) * kv + rank] += 1;
      ++rank;
    }
  }
  return h;
}

// fixtures/make_task_fixtures_mqar_variants.py: compositional_histograms.
Histograms compositional_histograms(const TokenSegment& s, int64_t kv) {
  Histograms h;
  const int64_t L = s.seq_len;
  const auto g = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(kv))));
  const int64_t context = 3 * kv;
  for (int64_t n = 0; n < s.num_examples; ++n) {
    const int64_t* in = row_of(s.inputs, n, L);
    const int64_t* lab = row_of(s.labels, n, L);
    for (int64_t j = 0; j < kv; ++j) {
      h["k1_token"][in[3 * j]] += 1;
      h["k2_token"][in[3 * j + 1]] += 1;
      h["value_token"][in[3 * j + 2]] += 1;
      for (int64_t i = 0; i < j; ++i) {
        if (in[3 * i] == in[3 * j])
          h["same_k1_distance"][j - i] += 1;
        if (in[3 * i + 1] == in[3 * j + 1])
          h["same_k2_distance"][j - i] += 1;
      }
    }
    if (kv <= 4) {
      std::map<int64_t, int64_t> n1, n2;
      int64_t code = 0, power = 1;
      for (int64_t j = 0; j < kv; ++j) {
        const int64_t a = n1.emplace(in[3 * j], static_cast<int64_t>(n1.size())).first->second;
        const int64_t b = n2.emplace(in[3 * j + 1], static_cast<int64_t>(n2.size())).first->second;
        code += (a * g + b) * power;
        power *= kv;
      }
      h["grid_pattern"][code] += 1;
    }
    std::set<int64_t> query;
    for (int64_t p = 0; p < L; ++p) {
      if (lab[p] != kIgnoreLabel) {
        query.insert(p - 1);
        query.insert(p);
      }
    }
    int64_t rank = 0;
    for (int64_t p = 0; p < L; ++p) {
      if (lab[p] == kIgnoreLabel) {
        if (p >= context && query.count(p) == 0)
          h["noise_token"][in[p]] += 1;
        continue;
      }
      int64_t triple = -1;
      for (int64_t j = 0; j < kv; ++j) {
        if (3 * j + 2 < p && in[3 * j] == in[p - 1] && in[3 * j + 1] == in[p] && in[3 * j + 2] == lab[p]) {
          triple = j;
          break;
        }
      }
      h["query_gap"][triple >= 0 ? p - (3 * triple + 1) : -1] += 1;
      h["query_rank"][triple * kv + rank] += 1;
      ++rank;
    }
  }
  return h;
}

struct Generated {
  nlohmann::json fixture;
  SegmentConfig segment;
  int64_t vocab_size = 0;
  TokenSegment data;
};

Generated generate_like(const std::string& fixture_file, uint64_t seed) {
  Generated g;
  g.fixture = task_statistics::load_fixture("tests/engine/tasks/fixtures/" + fixture_file);
  g.segment = task_statistics::fixture_segment(g.fixture);
  g.vocab_size = g.fixture.at("vocab_size").get<int64_t>();
  g.data = generate_segment(g.segment, g.vocab_size, seed);
  return g;
}

// Every histogram of the fixture against ours; prints each distance.
void expect_close(const std::string& fixture_file, const Histograms& ours, const nlohmann::json& fixture) {
  const Histograms reference = task_statistics::fixture_histograms(fixture);
  ASSERT_GT(reference.size(), 4u);
  for (const auto& [name, counts] : reference) {
    SCOPED_TRACE(fixture_file + " " + name);
    const auto found = ours.find(name);
    ASSERT_NE(found, ours.end()) << "we do not compute " << name;
    const double tv = task_statistics::total_variation(counts, found->second);
    std::cout << "  TV " << fixture_file << " " << name << " = " << tv << "\n";
    EXPECT_LT(tv, kMaxTotalVariation);
  }
}

Histograms merged(Histograms a, const Histograms& b) {
  for (const auto& [name, h] : b)
    a[name] = h;
  return a;
}

// ---------------------------------------------------------------------------------------------------------
// forgetting_mqar

TEST(ForgettingMqar, MatchesTheReferenceStatistics) {
  uint64_t seed = 1;
  for (const std::string file : {"forgetting_mqar.json", "forgetting_mqar_small_vocab.json"}) {
    const Generated g = generate_like(file, seed++);
    ASSERT_EQ(g.data.num_examples, 20000);
    const Histograms ours = merged(
        task_statistics::standard_histograms(g.data),
        forgetting_histograms(g.data, g.segment.integer("num_kv_pairs"), g.segment.integer("num_updates")));
    expect_close(file, ours, g.fixture);
  }
}

// The reference draws update j's value from the values other than the original value of PAIR j, not of the
// key it updates: an update repeats its own key's old value with probability P(slot != j) / (values - 1)
// (4.7% at 17 values), and never pair j's. Compared as a proportion, tighter than the TV bound.
TEST(ForgettingMqar, KeepsTheReferenceRuleForUpdatedValues) {
  const Generated g = generate_like("forgetting_mqar_small_vocab.json", 7);
  const Histogram ours = forgetting_histograms(g.data, g.segment.integer("num_kv_pairs"),
                                               g.segment.integer("num_updates"))["update_value"];
  const Histogram reference = task_statistics::fixture_histograms(g.fixture)["update_value"];
  const auto share = [](const Histogram& h, int64_t category) {
    double total = 0.0;
    for (const auto& [value, count] : h)
      total += count;
    const auto found = h.find(category);
    return std::pair<double, double>(found == h.end() ? 0.0 : found->second / total, total);
  };
  EXPECT_EQ(ours.count(0), 0u) << "an update took pair j's own value";
  EXPECT_EQ(reference.count(0), 0u);
  const auto [p_ours, n_ours] = share(ours, 1);
  const auto [p_ref, n_ref] = share(reference, 1);
  const double sigma = std::sqrt(p_ref * (1 - p_ref) * (1.0 / n_ours + 1.0 / n_ref));
  std::cout << "  update repeats its key's old value: ours " << p_ours << ", reference " << p_ref << "\n";
  EXPECT_GT(p_ref, 0.03);
  EXPECT_LT(std::abs(p_ours - p_ref), 5 * sigma);
}

// The layout of every example: original pairs, updates of distinct original keys with a value other than
// pair j's, then every original key queried once at an even offset of the query region, its label the
// latest value in the context.
void check_forgetting_structure(const TokenSegment& s, int64_t V, int64_t kv, int64_t updates, bool filled) {
  const int64_t L = s.seq_len;
  const int64_t context = 2 * (kv + updates);
  ASSERT_EQ(s.slices.at("num_kv_pairs"), kv);
  ASSERT_EQ(s.slices.at("num_updates"), updates);
  ASSERT_EQ(s.slices.at("input_seq_len"), L);
  for (int64_t n = 0; n < s.num_examples; ++n) {
    SCOPED_TRACE("example " + std::to_string(n));
    const int64_t* in = row_of(s.inputs, n, L);
    const int64_t* lab = row_of(s.labels, n, L);
    std::map<int64_t, int64_t> final_value;
    std::set<int64_t> original_values;
    for (int64_t i = 0; i < kv; ++i) {
      ASSERT_GE(in[2 * i], 1);
      ASSERT_LT(in[2 * i], V / 2);
      ASSERT_GE(in[2 * i + 1], V / 2);
      ASSERT_LT(in[2 * i + 1], V);
      ASSERT_TRUE(final_value.emplace(in[2 * i], in[2 * i + 1]).second) << "keys repeat";
      ASSERT_TRUE(original_values.insert(in[2 * i + 1]).second) << "values repeat";
    }
    std::set<int64_t> updated;
    for (int64_t j = 0; j < updates; ++j) {
      const int64_t key = in[2 * kv + 2 * j];
      const int64_t value = in[2 * kv + 2 * j + 1];
      ASSERT_EQ(final_value.count(key), 1u) << "update of a key not in the context";
      ASSERT_TRUE(updated.insert(key).second) << "a key updated twice";
      ASSERT_GE(value, V / 2);
      ASSERT_LT(value, V);
      ASSERT_NE(value, in[2 * j + 1]) << "update j must differ from pair j's value";
      final_value[key] = value;
    }
    std::set<int64_t> asked;
    for (int64_t p = 0; p < L; ++p) {
      if (lab[p] == kIgnoreLabel) {
        if (!filled && p >= context) {
          ASSERT_EQ(in[p], 0) << "position " << p;
        }
        continue;
      }
      ASSERT_GE(p, context);
      ASSERT_EQ((p - context) % 2, 0);
      ASSERT_LE(p, L - 2);
      ASSERT_EQ(final_value.count(in[p]), 1u) << "query of an unknown key";
      ASSERT_TRUE(asked.insert(in[p]).second) << "a key asked twice";
      ASSERT_EQ(lab[p], final_value[in[p]]);
    }
    ASSERT_EQ(static_cast<int64_t>(asked.size()), kv);
  }
}

TEST(ForgettingMqar, EveryExampleHasTheReferenceLayout) {
  const Generated g = generate_like("forgetting_mqar.json", 3);
  check_forgetting_structure(g.data, g.vocab_size, 8, 4, true);
  const Generated small = generate_like("forgetting_mqar_small_vocab.json", 4);
  check_forgetting_structure(small.data, small.vocab_size, 4, 3, true);
  // Without the random fill everything but the context and the queries is 0; every key updated; no update.
  for (const int64_t updates : {int64_t{0}, int64_t{3}, int64_t{5}}) {
    SegmentConfig s;
    s.task = "forgetting_mqar";
    s.input_seq_len = 40;
    s.num_examples = 2000;
    s.with("num_kv_pairs", 5).with("num_updates", updates).with("random_non_queries", false);
    check_forgetting_structure(generate_segment(s, 41, 9), 41, 5, updates, false);
  }
}

TEST(ForgettingMqar, QueryFactsPointAtTheLatestValueOfTheKey) {
  const Generated g = generate_like("forgetting_mqar_small_vocab.json", 5);
  const TaskSpec& spec = find_task("forgetting_mqar");
  const int64_t L = g.data.seq_len, kv = 4, updates = 3;
  int64_t from_updates = 0;
  for (int64_t n = 0; n < 500; ++n) {
    const int64_t* in = row_of(g.data.inputs, n, L);
    const int64_t* lab = row_of(g.data.labels, n, L);
    const auto facts = spec.query_facts(in, lab, L, g.data.slices);
    ASSERT_EQ(static_cast<int64_t>(facts.size()), kv);
    for (const auto& f : facts) {
      // The latest context slot with this key.
      int64_t latest = -1;
      for (int64_t i = 0; i < kv + updates; ++i) {
        if (in[2 * i] == f.key)
          latest = i;
      }
      ASSERT_GE(latest, 0);
      EXPECT_EQ(f.kv_index, latest);
      EXPECT_EQ(f.key_position, 2 * latest);
      EXPECT_EQ(f.gap, f.position - f.key_position);
      EXPECT_EQ(in[f.key_position + 1], f.target);
      from_updates += latest >= kv;
    }
  }
  EXPECT_EQ(from_updates, 500 * updates);  // every updated key's source is its update
  EXPECT_EQ(spec.source_label, "key");
}

SegmentConfig forgetting(int64_t L, int64_t kv, int64_t updates) {
  SegmentConfig s;
  s.task = "forgetting_mqar";
  s.input_seq_len = L;
  s.num_examples = 10;
  s.with("num_kv_pairs", kv).with("num_updates", updates);
  return s;
}

std::string config_error_path(const SegmentConfig& s, int64_t V) {
  try {
    find_task(s.task).check_shape(s, V, "data.train[0]");
  } catch (const ConfigError& error) {
    return error.path() + " | " + error.what();
  }
  return "";
}

TEST(ForgettingMqar, ImpossibleShapesAreConfigErrorsNamingTheField) {
  const auto starts = [](const std::string& text, const std::string& prefix) {
    return text.rfind(prefix, 0) == 0;
  };
  EXPECT_EQ(config_error_path(forgetting(64, 8, 4), 128), "");
  EXPECT_EQ(config_error_path(forgetting(30, 5, 5), 31), "");  // every key updated; exactly fits
  EXPECT_TRUE(starts(config_error_path(forgetting(63, 8, 4), 128), "data.train[0].input_seq_len |"));
  EXPECT_TRUE(starts(config_error_path(forgetting(64, 8, 4), 64), "data.train[0].input_seq_len |"));
  const std::string too_many = config_error_path(forgetting(64, 4, 5), 128);
  EXPECT_TRUE(starts(too_many, "data.train[0].num_updates |")) << too_many;
  // 2·(8 + 6) + 16 = 44 > 40, while the 8 pairs alone fit: the updates are what is too many.
  const std::string updates_long = config_error_path(forgetting(40, 8, 6), 128);
  EXPECT_TRUE(starts(updates_long, "data.train[0].num_updates |")) << updates_long;
  EXPECT_NE(updates_long.find("input_seq_len >= 44"), std::string::npos) << updates_long;
  EXPECT_NE(updates_long.find("at most 4 updates"), std::string::npos) << updates_long;
  const std::string pairs_long = config_error_path(forgetting(30, 8, 0), 128);
  EXPECT_TRUE(starts(pairs_long, "data.train[0].num_kv_pairs |")) << pairs_long;
  EXPECT_NE(pairs_long.find("input_seq_len >= 32"), std::string::npos) << pairs_long;
  const std::string huge = config_error_path(forgetting(64, int64_t{1} << 62, 0), 128);
  EXPECT_TRUE(starts(huge, "data.train[0].num_kv_pairs |")) << huge;
  SegmentConfig flat = forgetting(64, 8, 4);
  flat.with("power_a", 0.0);
  EXPECT_TRUE(starts(config_error_path(flat, 128), "data.train[0].power_a |"));
  // The generator runs the same checks (path "segment") before it allocates.
  EXPECT_THROW(generate_forgetting_mqar(forgetting(64, 4, 5), 128, 1), ConfigError);
}

// ---------------------------------------------------------------------------------------------------------
// compositional_mqar

TEST(CompositionalMqar, MatchesTheReferenceStatistics) {
  uint64_t seed = 11;
  for (const std::string file : {"compositional_mqar.json", "compositional_mqar_kv9.json"}) {
    const Generated g = generate_like(file, seed++);
    ASSERT_EQ(g.data.num_examples, 20000);
    const Histograms ours = merged(task_statistics::standard_histograms(g.data),
                                   compositional_histograms(g.data, g.segment.integer("num_kv_pairs")));
    expect_close(file, ours, g.fixture);
  }
}

// The layout of every example: kv triples K1 K2 V with K1, K2 and V from the three thirds of the
// vocabulary, the (K1, K2) a full g×g grid (every K1 with every K2 exactly once), distinct values; every
// triple queried once as K1 K2 at offsets 0, 3, 6, ... of the query region, the label on the K2.
void check_compositional_structure(const TokenSegment& s, int64_t V, int64_t kv, bool filled) {
  const int64_t L = s.seq_len;
  const int64_t g = std::lround(std::sqrt(static_cast<double>(kv)));
  const int64_t third = V / 3;
  const int64_t context = 3 * kv;
  ASSERT_EQ(s.slices.at("num_kv_pairs"), kv);
  ASSERT_EQ(s.slices.at("input_seq_len"), L);
  for (int64_t n = 0; n < s.num_examples; ++n) {
    SCOPED_TRACE("example " + std::to_string(n));
    const int64_t* in = row_of(s.inputs, n, L);
    const int64_t* lab = row_of(s.labels, n, L);
    std::set<int64_t> k1s, k2s, values;
    std::map<std::pair<int64_t, int64_t>, int64_t> value_of;
    for (int64_t j = 0; j < kv; ++j) {
      const int64_t k1 = in[3 * j], k2 = in[3 * j + 1], v = in[3 * j + 2];
      ASSERT_GE(k1, 1);
      ASSERT_LT(k1, third);
      ASSERT_GE(k2, third);
      ASSERT_LT(k2, 2 * third);
      ASSERT_GE(v, 2 * third);
      ASSERT_LT(v, V);
      k1s.insert(k1);
      k2s.insert(k2);
      ASSERT_TRUE(values.insert(v).second) << "values repeat";
      ASSERT_TRUE(value_of.emplace(std::make_pair(k1, k2), v).second) << "a (K1, K2) pair repeats";
    }
    // kv distinct pairs over g K1s and g K2s: the full grid.
    ASSERT_EQ(static_cast<int64_t>(k1s.size()), g);
    ASSERT_EQ(static_cast<int64_t>(k2s.size()), g);
    std::set<std::pair<int64_t, int64_t>> asked;
    std::set<int64_t> query_positions;
    for (int64_t p = 0; p < L; ++p) {
      if (lab[p] == kIgnoreLabel)
        continue;
      ASSERT_GE(p, context + 1);
      ASSERT_EQ((p - context - 1) % 3, 0);
      ASSERT_LE(p, L - 2);
      const auto key = std::make_pair(in[p - 1], in[p]);
      ASSERT_EQ(value_of.count(key), 1u) << "query of an unknown pair";
      ASSERT_TRUE(asked.insert(key).second) << "a pair asked twice";
      ASSERT_EQ(lab[p], value_of[key]);
      query_positions.insert(p - 1);
      query_positions.insert(p);
    }
    ASSERT_EQ(static_cast<int64_t>(asked.size()), kv);
    if (!filled) {
      for (int64_t p = context; p < L; ++p) {
        if (query_positions.count(p) == 0) {
          ASSERT_EQ(in[p], 0) << "position " << p;
        }
      }
    }
  }
}

TEST(CompositionalMqar, EveryExampleHasTheReferenceLayout) {
  const Generated g = generate_like("compositional_mqar.json", 13);
  check_compositional_structure(g.data, g.vocab_size, 4, true);
  const Generated nine = generate_like("compositional_mqar_kv9.json", 14);
  check_compositional_structure(nine.data, nine.vocab_size, 9, true);
  for (const int64_t kv : {int64_t{1}, int64_t{16}}) {
    SegmentConfig s;
    s.task = "compositional_mqar";
    s.input_seq_len = 96;
    s.num_examples = 2000;
    s.with("num_kv_pairs", kv).with("random_non_queries", false);
    check_compositional_structure(generate_segment(s, 100, 15), 100, kv, false);
  }
}

TEST(CompositionalMqar, QueryFactsPointAtTheK2OfTheQueriedTriple) {
  const Generated g = generate_like("compositional_mqar_kv9.json", 16);
  const TaskSpec& spec = find_task("compositional_mqar");
  const int64_t L = g.data.seq_len, kv = 9;
  for (int64_t n = 0; n < 500; ++n) {
    const int64_t* in = row_of(g.data.inputs, n, L);
    const int64_t* lab = row_of(g.data.labels, n, L);
    const auto facts = spec.query_facts(in, lab, L, g.data.slices);
    ASSERT_EQ(static_cast<int64_t>(facts.size()), kv);
    std::set<int> triples;
    for (const auto& f : facts) {
      ASSERT_GE(f.kv_index, 0);
      EXPECT_TRUE(triples.insert(f.kv_index).second);
      EXPECT_EQ(f.key_position, 3 * f.kv_index + 1);
      EXPECT_EQ(in[f.key_position], f.key);
      EXPECT_EQ(in[f.key_position - 1], in[f.position - 1]);
      EXPECT_EQ(in[f.key_position + 1], f.target);
      EXPECT_EQ(f.gap, f.position - f.key_position);
    }
  }
}

SegmentConfig compositional(int64_t L, int64_t kv) {
  SegmentConfig s;
  s.task = "compositional_mqar";
  s.input_seq_len = L;
  s.num_examples = 10;
  s.with("num_kv_pairs", kv);
  return s;
}

TEST(CompositionalMqar, ImpossibleShapesAreConfigErrorsNamingTheField) {
  const auto starts = [](const std::string& text, const std::string& prefix) {
    return text.rfind(prefix, 0) == 0;
  };
  EXPECT_EQ(config_error_path(compositional(64, 4), 128), "");
  EXPECT_EQ(config_error_path(compositional(54, 9), 55), "");  // exactly fits
  EXPECT_TRUE(starts(config_error_path(compositional(63, 4), 128), "data.train[0].input_seq_len |"));
  EXPECT_TRUE(starts(config_error_path(compositional(64, 4), 64), "data.train[0].input_seq_len |"));
  const std::string square = config_error_path(compositional(64, 10), 128);
  EXPECT_TRUE(starts(square, "data.train[0].num_kv_pairs |")) << square;
  EXPECT_NE(square.find("perfect square"), std::string::npos) << square;
  EXPECT_NE(square.find("9 and 16"), std::string::npos) << square;
  const std::string two = config_error_path(compositional(64, 2), 128);
  EXPECT_NE(two.find("1 and 4"), std::string::npos) << two;
  const std::string long_one = config_error_path(compositional(48, 9), 128);
  EXPECT_TRUE(starts(long_one, "data.train[0].num_kv_pairs |")) << long_one;
  EXPECT_NE(long_one.find("input_seq_len >= 54"), std::string::npos) << long_one;
  const std::string huge = config_error_path(compositional(64, int64_t{1} << 62), 128);
  EXPECT_TRUE(starts(huge, "data.train[0].num_kv_pairs |")) << huge;
  SegmentConfig flat = compositional(64, 4);
  flat.with("power_a", -1.0);
  EXPECT_TRUE(starts(config_error_path(flat, 128), "data.train[0].power_a |"));
  EXPECT_THROW(generate_compositional_mqar(compositional(64, 10), 128, 1), ConfigError);
}

}  // namespace
}  // namespace zoolab
