// Tests for engine/inspect/recall_analysis.h and engine/inspect/inspection.h on hand-built record sets
// whose numbers are worked out by hand in the comments.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "engine/data/tasks/mqar.h"
#include "engine/inspect/inspection.h"
#include "engine/inspect/recall_analysis.h"
#include "engine/store/store.h"
#include "tests/engine/core/store_test_support.h"

namespace zoolab {
namespace {

QueryRecord query(int32_t example, int32_t position, int32_t key, int32_t target, bool correct, float loss,
                  int32_t gap, int16_t kv_index, int16_t segment) {
  QueryRecord r;
  r.example = example;
  r.position = position;
  r.key = key;
  r.target = target;
  r.prediction = correct ? target : target + 1;
  r.correct = correct;
  r.loss = loss;
  r.p_target = correct ? 0.75f : 0.125f;
  r.gap = gap;
  r.kv_index = kv_index;
  r.segment = segment;
  return r;
}

// Segment 0 (num_kv_pairs 2, L 16): examples 0 and 1; segment 1 (num_kv_pairs 4, L 32): example 2.
//   example 0: 2 queries, 2 right -> 1.0
//   example 1: 2 queries, 0 right -> 0.0
//   example 2: 4 queries, 1 right -> 0.25
// Per-example accuracy (1 + 0 + 0.25) / 3 = 0.41666..., per-query 3 / 8 = 0.375: they differ.
QueryRecordSet fixture() {
  QueryRecordSet set;
  set.step = 40;
  set.epoch = 5;
  set.subset = "all";
  set.segments = {{16, 2, 0, {{"num_kv_pairs", 2}, {"input_seq_len", 16}}},
                  {32, 1, 2, {{"num_kv_pairs", 4}, {"input_seq_len", 32}}}};
  set.records = {
      query(0, 4, 1, 33, true, 0.5f, 4, 0, 0),   query(0, 6, 2, 34, true, 0.25f, 4, 1, 0),
      query(1, 4, 5, 37, false, 1.0f, 2, 1, 0),  query(1, 8, 6, 39, false, 2.0f, 8, 0, 0),
      query(2, 8, 1, 33, true, 0.5f, 8, 0, 1),   query(2, 10, 2, 34, false, 1.5f, 8, 1, 1),
      query(2, 12, 3, 35, false, 1.5f, 6, 2, 1), query(2, 14, 9, 40, false, 2.5f, 0, -1, 1),
  };
  return set;
}

void expect_bin(const AccuracyBin& bin, int64_t value, int64_t n, double accuracy) {
  EXPECT_EQ(bin.value, value);
  EXPECT_EQ(bin.n, n) << "value " << value;
  EXPECT_NEAR(bin.accuracy, accuracy, 1e-12) << "value " << value;
}

TEST(RecallAnalysis, AccuracyIsPerExampleAndQueryAccuracyPerQuery) {
  const auto summary = summarize_recall(fixture());
  EXPECT_EQ(summary.examples, 3);
  EXPECT_EQ(summary.queries, 8);
  EXPECT_NEAR(summary.accuracy, 1.25 / 3.0, 1e-12);
  EXPECT_NEAR(summary.query_accuracy, 0.375, 1e-12);
  EXPECT_NEAR(summary.mean_loss, 9.75 / 8.0, 1e-12);  // losses sum to 9.75
}

TEST(RecallAnalysis, ByGapAndByKvIndexCountQueries) {
  const auto summary = summarize_recall(fixture());
  ASSERT_EQ(summary.by_gap.size(), 5u);
  expect_bin(summary.by_gap[0], 0, 1, 0.0);
  expect_bin(summary.by_gap[1], 2, 1, 0.0);
  expect_bin(summary.by_gap[2], 4, 2, 1.0);
  expect_bin(summary.by_gap[3], 6, 1, 0.0);
  expect_bin(summary.by_gap[4], 8, 3, 1.0 / 3.0);  // example 1 wrong, example 2 right and wrong
  ASSERT_EQ(summary.by_kv_index.size(), 4u);
  expect_bin(summary.by_kv_index[0], -1, 1, 0.0);
  expect_bin(summary.by_kv_index[1], 0, 3, 2.0 / 3.0);
  expect_bin(summary.by_kv_index[2], 1, 3, 1.0 / 3.0);
  expect_bin(summary.by_kv_index[3], 2, 1, 0.0);
  ASSERT_EQ(summary.by_position.size(), 6u);
  expect_bin(summary.by_position[0], 4, 2, 0.5);
  expect_bin(summary.by_position[1], 6, 1, 1.0);
  expect_bin(summary.by_position[2], 8, 2, 0.5);
  expect_bin(summary.by_position[5], 14, 1, 0.0);
}

TEST(RecallAnalysis, BySliceAveragesExamplesOfEachSegment) {
  const auto summary = summarize_recall(fixture());
  ASSERT_EQ(summary.by_slice.size(), 2u);
  const auto& kv = summary.by_slice.at("num_kv_pairs");
  ASSERT_EQ(kv.size(), 2u);
  expect_bin(kv[0], 2, 2, 0.5);  // examples 0 and 1: (1 + 0) / 2
  expect_bin(kv[1], 4, 1, 0.25);
  const auto& len = summary.by_slice.at("input_seq_len");
  ASSERT_EQ(len.size(), 2u);
  expect_bin(len[0], 16, 2, 0.5);
  expect_bin(len[1], 32, 1, 0.25);

  // Per-example, not per-query: with example 0 holding 3 right queries of 3, segment 0 is
  // (1 + 0) / 2 = 0.5 by example but 3 / 5 = 0.6 by query.
  auto set = fixture();
  set.records.insert(set.records.begin() + 2, query(0, 8, 7, 42, true, 0.5f, 4, 2, 0));
  expect_bin(summarize_recall(set).by_slice.at("num_kv_pairs")[0], 2, 2, 0.5);
}

TEST(RecallAnalysis, RecordNamingAMissingSegmentIsRejected) {
  auto set = fixture();
  set.records.back().segment = 5;
  try {
    summarize_recall(set);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("example 2 names segment 5"), std::string::npos) << error.what();
  }
}

TEST(RecallAnalysis, ExampleOutcomes) {
  const auto outcomes = example_outcomes(fixture());
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_EQ(outcomes[0].example, 0);
  EXPECT_EQ(outcomes[0].correct, 2);
  EXPECT_EQ(outcomes[1].queries, 2);
  EXPECT_EQ(outcomes[1].correct, 0);
  EXPECT_EQ(outcomes[2].segment, 1);
  EXPECT_EQ(outcomes[2].queries, 4);
  EXPECT_EQ(outcomes[2].correct, 1);
}

TEST(RecallAnalysis, EmptySetHasZeroes) {
  QueryRecordSet set;
  const auto summary = summarize_recall(set);
  EXPECT_EQ(summary.examples, 0);
  EXPECT_EQ(summary.queries, 0);
  EXPECT_EQ(summary.accuracy, 0.0);
  EXPECT_TRUE(summary.by_gap.empty());
}

// A right:  T T | F F | T F F F
// B right:  T F | T F | F F T F  (records shuffled: comparison goes by example and position)
TEST(RecallAnalysis, CompareCountsEveryQueryAndLinksExamples) {
  const auto a = fixture();
  auto b = fixture();
  const bool b_right[] = {true, false, true, false, false, false, true, false};
  for (size_t i = 0; i < b.records.size(); ++i) {
    b.records[i].correct = b_right[i];
  }
  std::mt19937 rng(3);
  std::shuffle(b.records.begin(), b.records.end(), rng);
  const auto c = compare_recall(a, b);
  EXPECT_EQ(c.both_right, 1);
  EXPECT_EQ(c.only_a, 2);
  EXPECT_EQ(c.only_b, 2);
  EXPECT_EQ(c.both_wrong, 3);
  EXPECT_EQ(c.both_right_examples, (std::vector<int64_t>{0}));
  EXPECT_EQ(c.only_a_examples, (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(c.only_b_examples, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(c.both_wrong_examples, (std::vector<int64_t>{1, 2}));

  const auto self = compare_recall(a, a);
  EXPECT_EQ(self.both_right, 3);
  EXPECT_EQ(self.both_wrong, 5);
  EXPECT_EQ(self.only_a + self.only_b, 0);

  const auto json = to_json(c);
  EXPECT_EQ(json.at("only_b").get<int64_t>(), 2);
  EXPECT_EQ(json.at("both_wrong_examples"), nlohmann::json::parse("[1, 2]"));
}

std::string compare_error(const QueryRecordSet& a, const QueryRecordSet& b) {
  try {
    compare_recall(a, b);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(RecallAnalysis, CompareNamesTheFirstDifferentQuery) {
  const auto a = fixture();
  auto b = fixture();
  b.records[3].key = 7;
  b.records[5].target = 50;
  EXPECT_NE(compare_error(a, b).find("example 1 position 8: run A's query key 6, run B's 7"),
            std::string::npos)
      << compare_error(a, b);

  b = fixture();
  b.records[5].target = 50;
  EXPECT_NE(compare_error(a, b).find("example 2 position 10: run A's target 34, run B's 50"),
            std::string::npos)
      << compare_error(a, b);

  b = fixture();
  b.records[2].position = 5;
  EXPECT_NE(
      compare_error(a, b).find("run A's query 2 is at example 1 position 4, run B's at example 1 position 5"),
      std::string::npos)
      << compare_error(a, b);

  b = fixture();
  b.records.pop_back();
  b.subset = "tracked";
  const auto error = compare_error(a, b);
  EXPECT_NE(error.find("run A has 8 queries, run B 7 (the first only in run A: example 2 position 14)"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("run A's set is \"all\", run B's \"tracked\""), std::string::npos) << error;
}

TEST(RecallAnalysis, GapHistoryIsNanWhereAStepHadNoQuery) {
  QueryRecordSet first;
  first.step = 10;
  first.epoch = 1;
  first.records = {query(0, 4, 1, 33, true, 0.5f, 4, 0, 0), query(0, 8, 2, 34, false, 0.5f, 8, 1, 0),
                   query(1, 8, 2, 34, true, 0.5f, 8, 1, 0)};
  QueryRecordSet second;
  second.step = 20;
  second.epoch = 2;
  second.records = {query(0, 4, 1, 33, true, 0.5f, 2, 0, 0), query(1, 4, 1, 33, false, 0.5f, 4, 0, 0)};
  const auto history = gap_history({first, second});
  EXPECT_EQ(history.steps, (std::vector<int64_t>{10, 20}));
  EXPECT_EQ(history.epochs, (std::vector<int64_t>{1, 2}));
  ASSERT_EQ(history.gaps, (std::vector<int64_t>{2, 4, 8}));
  ASSERT_EQ(history.accuracy.size(), 2u);
  EXPECT_TRUE(std::isnan(history.accuracy[0][0]));
  EXPECT_DOUBLE_EQ(history.accuracy[0][1], 1.0);
  EXPECT_DOUBLE_EQ(history.accuracy[0][2], 0.5);
  EXPECT_DOUBLE_EQ(history.accuracy[1][0], 1.0);
  EXPECT_DOUBLE_EQ(history.accuracy[1][1], 0.0);
  EXPECT_TRUE(std::isnan(history.accuracy[1][2]));

  const auto json = to_json(history);
  EXPECT_TRUE(json["accuracy"][0][0].is_null());
  EXPECT_DOUBLE_EQ(json["accuracy"][0][2].get<double>(), 0.5);
  EXPECT_EQ(json["gaps"], nlohmann::json::parse("[2, 4, 8]"));
}

TEST(RecallAnalysis, SummaryJsonHasTheDocumentedShape) {
  const auto json = to_json(summarize_recall(fixture()));
  EXPECT_EQ(json.at("examples").get<int64_t>(), 3);
  EXPECT_EQ(json.at("queries").get<int64_t>(), 8);
  EXPECT_NEAR(json.at("accuracy").get<double>(), 1.25 / 3.0, 1e-12);
  EXPECT_NEAR(json.at("query_accuracy").get<double>(), 0.375, 1e-12);
  EXPECT_NEAR(json.at("mean_loss").get<double>(), 9.75 / 8.0, 1e-12);
  ASSERT_EQ(json.at("by_gap").size(), 5u);
  EXPECT_EQ(json["by_gap"][4].at("gap").get<int64_t>(), 8);
  EXPECT_EQ(json["by_gap"][4].at("n").get<int64_t>(), 3);
  EXPECT_NEAR(json["by_gap"][4].at("accuracy").get<double>(), 1.0 / 3.0, 1e-12);
  EXPECT_EQ(json["by_kv_index"][0].at("kv_index").get<int64_t>(), -1);
  const auto& kv = json.at("by_slice").at("num_kv_pairs");
  ASSERT_EQ(kv.size(), 2u);
  EXPECT_EQ(kv[1].at("value").get<int64_t>(), 4);
  EXPECT_EQ(kv[1].at("n").get<int64_t>(), 1);
  EXPECT_DOUBLE_EQ(kv[1].at("accuracy").get<double>(), 0.25);

  const auto record = to_json(fixture().records[5]);
  EXPECT_EQ(record.at("example").get<int>(), 2);
  EXPECT_EQ(record.at("position").get<int>(), 10);
  EXPECT_EQ(record.at("target").get<int>(), 34);
  EXPECT_EQ(record.at("prediction").get<int>(), 35);
  EXPECT_FALSE(record.at("correct").get<bool>());
  EXPECT_DOUBLE_EQ(record.at("loss").get<double>(), 1.5);
  EXPECT_EQ(record.at("kv_index").get<int>(), 1);
  EXPECT_EQ(record.at("segment").get<int>(), 1);
}

TEST(RecallAnalysis, EncodedSetSummarisesAsTheOriginal) {
  const auto set = fixture();
  const auto decoded = decode_query_records(encode_query_records(set));
  EXPECT_EQ(decoded.step, 40);
  EXPECT_EQ(decoded.epoch, 5);
  EXPECT_EQ(decoded.subset, "all");
  ASSERT_EQ(decoded.segments.size(), 2u);
  EXPECT_EQ(decoded.segments[1].first_example, 2);
  EXPECT_EQ(decoded.segments[1].slices.at("num_kv_pairs"), 4);
  ASSERT_EQ(decoded.records.size(), set.records.size());
  for (size_t i = 0; i < set.records.size(); ++i) {
    EXPECT_EQ(to_json(decoded.records[i]), to_json(set.records[i])) << "record " << i;
  }
  EXPECT_EQ(to_json(summarize_recall(decoded)), to_json(summarize_recall(set)));
}

QueryRecordSetInfo info(int64_t step, const std::string& subset) {
  QueryRecordSetInfo i;
  i.run_id = 1;
  i.step = step;
  i.subset = subset;
  return i;
}

TEST(Inspection, ChooseRecordSetPrefersTheFinalAllSet) {
  const std::vector<QueryRecordSetInfo> sets = {info(8, "tracked"), info(16, "tracked"), info(24, "all"),
                                                info(24, "tracked")};
  auto chosen = choose_record_set(sets);
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->step, 24);
  EXPECT_EQ(chosen->subset, "all");
  chosen = choose_record_set(sets, 16);
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->step, 16);
  EXPECT_EQ(chosen->subset, "tracked");
  chosen = choose_record_set(sets, 24);
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->subset, "all");
  EXPECT_FALSE(choose_record_set(sets, 12));
  EXPECT_FALSE(choose_record_set({}));

  // Still training: no "all" set yet, so the latest tracked one.
  chosen = choose_record_set({info(8, "tracked"), info(16, "tracked")});
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->step, 16);
  EXPECT_EQ(chosen->subset, "tracked");
}

RunConfig two_segment_config() {
  RunConfig config;
  config.data.vocab_size = 64;
  config.data.seed = 9;
  SegmentConfig a;
  a.input_seq_len = 16;
  a.with("num_kv_pairs", 2);
  a.num_examples = 5;
  SegmentConfig b;
  b.input_seq_len = 32;
  b.with("num_kv_pairs", 4);
  b.num_examples = 3;
  config.data.test = {a, b};
  config.data.train = {a};
  return config;
}

TEST(Inspection, RegeneratedTestSplitIsTheTrainersData) {
  const auto config = two_segment_config();
  const auto split = regenerate_test_split(config);
  ASSERT_EQ(split.size(), 2u);
  const auto seeds = segment_seeds(config.data);
  for (size_t s = 0; s < 2; ++s) {
    const auto expected = generate_mqar(config.data.test[s], 64, seeds.test[s]);
    EXPECT_EQ(split[s].inputs, expected.inputs) << "segment " << s;
    EXPECT_EQ(split[s].labels, expected.labels) << "segment " << s;
  }
  // A different data seed gives different tokens, so the comparison above can fail.
  auto other = config;
  other.data.seed = 10;
  EXPECT_NE(regenerate_test_split(other)[0].inputs, split[0].inputs);
}

TEST(Inspection, TestExampleIndexesAcrossSegments) {
  const auto split = regenerate_test_split(two_segment_config());
  const auto first = test_example(split, 0);
  EXPECT_EQ(first.segment, 0);
  ASSERT_EQ(first.inputs.size(), 16u);
  EXPECT_TRUE(std::equal(first.inputs.begin(), first.inputs.end(), split[0].inputs.begin()));

  const auto sixth = test_example(split, 6);  // segment 1, its row 1
  EXPECT_EQ(sixth.example, 6);
  EXPECT_EQ(sixth.segment, 1);
  ASSERT_EQ(sixth.inputs.size(), 32u);
  EXPECT_TRUE(std::equal(sixth.inputs.begin(), sixth.inputs.end(), split[1].inputs.begin() + 32));
  EXPECT_TRUE(std::equal(sixth.labels.begin(), sixth.labels.end(), split[1].labels.begin() + 32));
  EXPECT_EQ(
      std::count_if(sixth.labels.begin(), sixth.labels.end(), [](int64_t l) { return l != kIgnoreLabel; }),
      4);

  for (const int64_t bad : {int64_t{8}, int64_t{-1}}) {
    try {
      test_example(split, bad);
      FAIL() << "expected std::out_of_range for " << bad;
    } catch (const std::out_of_range& error) {
      EXPECT_NE(std::string(error.what())
                    .find("test example " + std::to_string(bad) +
                          " is out of range: the test split has 8 examples"),
                std::string::npos)
          << error.what();
    }
  }
}

class InspectionStore : public store_test::StoreTest {};

QueryRecordSet at_step(QueryRecordSet set, int64_t step, const std::string& subset) {
  set.step = step;
  set.epoch = step / 8;
  set.subset = subset;
  return set;
}

void put(Store& store, int64_t run, const QueryRecordSet& set) {
  QueryRecordSetInfo i;
  i.run_id = run;
  i.step = set.step;
  i.epoch = set.epoch;
  i.subset = set.subset;
  i.count = static_cast<int64_t>(set.records.size());
  store.put_query_records(i, encode_query_records(set));
}

TEST_F(InspectionStore, LoadsRecordSetsAndTheTrackedHistory) {
  Store store(db_path());
  const int64_t run = store.create_run(store_test::make_run("inspected"));
  auto tracked_8 = at_step(fixture(), 8, "tracked");
  tracked_8.records.resize(2);  // example 0 only: both right
  put(store, run, tracked_8);
  put(store, run, at_step(fixture(), 16, "all"));
  put(store, run, at_step(fixture(), 16, "tracked"));

  const auto all = load_record_set(store, run, 16, "all");
  EXPECT_EQ(all.records.size(), 8u);
  EXPECT_NEAR(summarize_recall(all).accuracy, 1.25 / 3.0, 1e-12);

  const auto history = load_tracked_history(store, run);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].step, 8);
  EXPECT_EQ(history[0].records.size(), 2u);
  EXPECT_EQ(history[1].step, 16);
  const auto gaps = gap_history(history);
  EXPECT_EQ(gaps.steps, (std::vector<int64_t>{8, 16}));
  EXPECT_EQ(gaps.gaps.size(), 5u);  // 0, 2, 4, 6, 8
  EXPECT_TRUE(std::isnan(gaps.accuracy[0][0]));
  EXPECT_DOUBLE_EQ(gaps.accuracy[0][2], 1.0);  // gap 4 at step 8

  try {
    load_record_set(store, run, 12, "all");
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("run " + std::to_string(run) + ", step 12 (\"all\" records)"),
              std::string::npos)
        << error.what();
  }
}

TEST_F(InspectionStore, UnreadableBlobNamesRunAndStep) {
  Store store(db_path());
  const int64_t run = store.create_run(store_test::make_run("broken"));
  QueryRecordSetInfo i;
  i.run_id = run;
  i.step = 24;
  i.subset = "all";
  store.put_query_records(i, "not a record blob");
  try {
    load_record_set(store, run, 24, "all");
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("run " + std::to_string(run) + ", step 24"), std::string::npos) << what;
    EXPECT_NE(what.find("magic"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace zoolab
