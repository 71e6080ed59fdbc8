// Per-query records and patterns taken at evaluation (docs/architecture.md#what-evaluation-records): the
// recorder on hand-made outputs, the evaluation's metrics unchanged by recording, and what a trained tiny run
// stores.

#include <cmath>
#include <filesystem>
#include <set>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/data/tasks/mqar.h"
#include "engine/inspect/query_records.h"
#include "engine/train/batches.h"
#include "engine/train/evaluation.h"
#include "engine/train/model_setup.h"
#include "engine/train/query_recording.h"
#include "engine/train/stop_request.h"
#include "engine/train/train_step.h"
#include "engine/train/trainer.h"
#include "train_test_support.h"

namespace zoolab {
namespace {

using train_test::create_run;
using train_test::temp_dir;
using train_test::tiny_config_json;
using train_test::TrainingStoreTest;

// Two examples of L=8 with 2 kv pairs: context k v k v, then queries. Example 0 asks for both keys;
// example 1 asks for key 3 and for key 9, which is not in its context.
TokenSegment hand_made_segment() {
  TokenSegment segment;
  segment.num_examples = 2;
  segment.seq_len = 8;
  constexpr int64_t I = kIgnoreLabel;
  segment.inputs = {1, 11, 2, 12, 0, 2, 0, 1,  //
                    3, 13, 4, 14, 3, 0, 9, 0};
  segment.labels = {I, I, I, I, I,  12, I,  11,  //
                    I, I, I, I, 13, I,  15, I};
  segment.slices = {{"num_kv_pairs", 2}, {"input_seq_len", 8}, {"num_passes", 1}};
  return segment;
}

TEST(QueryRecorderTest, RecordsHandMadeOutputsWithTheirFacts) {
  TokenSegment empty_first;  // a first segment shifts the example indices of the second
  empty_first.num_examples = 3;
  empty_first.seq_len = 8;
  empty_first.inputs.assign(24, 0);
  empty_first.labels.assign(24, kIgnoreLabel);
  empty_first.labels[5] = 7;  // one labelled position in example 0
  empty_first.slices = {{"num_kv_pairs", 2}, {"num_passes", 1}};
  const auto split = make_batches({empty_first, hand_made_segment()}, 4, torch::kCPU);
  ASSERT_EQ(split.batches.size(), 2u);
  const auto& batch = split.batches[1];
  ASSERT_EQ(batch.targets.size(0), 4);

  // Logits over V=16 for the 4 labelled positions; the predictions are their argmax.
  auto logits = torch::zeros({4, 16});
  logits[0][12] = 3.0;   // right
  logits[1][5] = 2.0;    // wrong: predicts 5 for target 11
  logits[2][13] = 1.0;   // right
  logits[3][15] = -1.0;  // wrong: everything else is 0, argmax picks token 0
  const auto log_probs = torch::log_softmax(logits, 1);
  const auto predictions = logits.argmax(-1);

  QueryRecorder recorder(split, {"all", 0});
  recorder.add(batch, log_probs, predictions);
  const auto set = recorder.take();
  ASSERT_EQ(set.segments.size(), 2u);
  EXPECT_EQ(set.segments[1].first_example, 3);
  EXPECT_EQ(set.segments[1].num_examples, 2);
  EXPECT_EQ(set.segments[1].seq_len, 8);
  EXPECT_EQ(set.segments[1].slices.at("num_kv_pairs"), 2);
  ASSERT_EQ(set.records.size(), 4u);

  struct Expected {
    int example, position, key, target, prediction, gap, kv_index;
    bool correct;
  };
  const Expected expected[] = {
      {3, 5, 2, 12, 12, 3, 1, true},
      {3, 7, 1, 11, 5, 7, 0, false},
      {4, 4, 3, 13, 13, 4, 0, true},
      {4, 6, 9, 15, 0, 0, -1, false},
  };
  for (size_t i = 0; i < 4; ++i) {
    const auto& r = set.records[i];
    const auto& e = expected[i];
    EXPECT_EQ(r.example, e.example) << i;
    EXPECT_EQ(r.position, e.position) << i;
    EXPECT_EQ(r.key, e.key) << i;
    EXPECT_EQ(r.target, e.target) << i;
    EXPECT_EQ(r.prediction, e.prediction) << i;
    EXPECT_EQ(r.gap, e.gap) << i;
    EXPECT_EQ(r.kv_index, e.kv_index) << i;
    EXPECT_EQ(r.correct, e.correct) << i;
    EXPECT_EQ(r.segment, 1) << i;
    const float log_p = log_probs[static_cast<int64_t>(i)][e.target].item<float>();
    EXPECT_EQ(r.loss, -log_p) << i;
    EXPECT_FLOAT_EQ(r.p_target, std::exp(log_p)) << i;
  }
  // Position 0's target 12 with logit 3 against 15 zeros: p = e^3 / (e^3 + 15).
  EXPECT_NEAR(set.records[0].p_target, std::exp(3.0) / (std::exp(3.0) + 15.0), 1e-6);

  // "tracked" with 1 example per segment keeps example 3's two records only, for this batch.
  QueryRecorder tracked(split, {"tracked", 1});
  EXPECT_TRUE(tracked.wants(batch));
  tracked.add(batch, log_probs, predictions);
  const auto subset = tracked.take();
  ASSERT_EQ(subset.records.size(), 2u);
  EXPECT_EQ(subset.records[1].example, 3);
  EXPECT_EQ(subset.records[1].position, 7);
  EXPECT_EQ(subset.subset, "tracked");
  const auto derived = tracked_subset(set, 1);
  ASSERT_EQ(derived.records.size(), 2u);
  EXPECT_EQ(derived.records[0].position, subset.records[0].position);
  EXPECT_EQ(derived.records[1].loss, subset.records[1].loss);

  EXPECT_THROW(QueryRecorder(split, {"some", 0}), std::invalid_argument);
  EXPECT_THROW(QueryRecorder(split, {"tracked", -1}), std::invalid_argument);
}

TEST(QueryRecorderTest, TrackedSkipsBatchesPastTheTrackedExamples) {
  auto segment = hand_made_segment();
  const auto split = make_batches({segment, segment}, 1, torch::kCPU);  // one example per batch
  ASSERT_EQ(split.batches.size(), 4u);
  QueryRecorder recorder(split, {"tracked", 1});
  EXPECT_TRUE(recorder.wants(split.batches[0]));
  EXPECT_FALSE(recorder.wants(split.batches[1]));
  EXPECT_TRUE(recorder.wants(split.batches[2]));
  EXPECT_FALSE(recorder.wants(split.batches[3]));
  QueryRecorder none(split, {"tracked", 0});
  EXPECT_FALSE(none.wants(split.batches[0]));
}

// The test split and a model of the tiny configuration.
struct TinyEvaluation {
  RunConfig config;
  SplitData split;
  LanguageModel model{nullptr};
};

TinyEvaluation tiny_evaluation(const std::filesystem::path& cache) {
  TinyEvaluation t;
  auto json = tiny_config_json();
  json["data"]["batch_size"] = nlohmann::json::array({32, 24});  // batches that cut across examples' segments
  t.config = parse_run_config(json);
  const auto seeds = segment_seeds(t.config.data);
  t.split =
      make_batches(load_segments(t.config.data.test, seeds.test, t.config.data.vocab_size, cache.string()),
                   t.config.data.test_batch_size, torch::kCPU);
  torch::manual_seed(3);
  t.model = LanguageModel(language_model_options(t.config));
  return t;
}

TEST(EvaluationRecordingTest, RecordingLeavesEveryMetricUnchangedAndMatchesIt) {
  const auto dir = temp_dir("recording-eval");
  auto t = tiny_evaluation(dir / "cache");
  for (const auto& average : {"example", "token"}) {
    t.config.train.accuracy_average = average;
    const auto plain = evaluate(t.model, t.split, t.config.train);
    const auto recorded = evaluate(t.model, t.split, t.config.train, RecordRequest{"all", 0});
    ASSERT_EQ(plain.size(), recorded.metrics.size());
    for (const auto& [key, value] : plain) {
      EXPECT_EQ(recorded.metrics.at(key), value) << key << " (" << average << ")";  // bit for bit
    }
    ASSERT_TRUE(recorded.records);
    EXPECT_EQ(recorded.records->records.size(), 64u * 2 + 32u * 3);
  }
  t.config.train.accuracy_average = "example";
  const auto recorded = evaluate(t.model, t.split, t.config.train, RecordRequest{"all", 0});
  const auto& set = *recorded.records;

  // The losses and probabilities are those of the model's own logits.
  const auto& batch = t.split.batches[1];  // segment 0, examples 24..47
  const auto log_probs = torch::log_softmax(labelled_logits(t.model, batch, false), 1);
  const auto targets = batch.targets;
  size_t offset = 0;
  while (set.records[offset].example != 24) {
    ++offset;
  }
  for (int64_t i = 0; i < targets.size(0); ++i) {
    const auto& r = set.records[offset + static_cast<size_t>(i)];
    const float log_p = log_probs[i][targets[i].item<int64_t>()].item<float>();
    EXPECT_NEAR(r.loss, -log_p, 1e-5) << i;
    EXPECT_NEAR(r.p_target, std::exp(log_p), 1e-6) << i;
    EXPECT_EQ(r.prediction, log_probs[i].argmax().item<int64_t>()) << i;
  }

  // valid/accuracy is the per-example mean of the records' correctness; tracked subsets agree.
  std::map<int32_t, std::pair<int, int>> per_example;
  for (const auto& r : set.records) {
    per_example[r.example].first += r.correct ? 1 : 0;
    per_example[r.example].second += 1;
  }
  double sum = 0.0;
  for (const auto& [example, counts] : per_example) {
    sum += static_cast<double>(counts.first) / counts.second;
  }
  EXPECT_NEAR(sum / static_cast<double>(per_example.size()), recorded.metrics.at("valid/accuracy"), 1e-12);

  const auto tracked = evaluate(t.model, t.split, t.config.train, RecordRequest{"tracked", 40});
  const auto derived = tracked_subset(set, 40);
  ASSERT_EQ(tracked.records->records.size(), 40u * 2 + 32u * 3);
  ASSERT_EQ(derived.records.size(), tracked.records->records.size());
  for (size_t i = 0; i < derived.records.size(); ++i) {
    EXPECT_EQ(derived.records[i].example, tracked.records->records[i].example);
    EXPECT_EQ(derived.records[i].position, tracked.records->records[i].position);
    EXPECT_EQ(derived.records[i].loss, tracked.records->records[i].loss);
  }
  std::filesystem::remove_all(dir);
}

class RecordingTest : public TrainingStoreTest {
 protected:
  RecordingTest() : TrainingStoreTest("recording") {}
  static nlohmann::json config_json(int64_t tracked, int64_t patterns) {
    auto json = tiny_config_json();
    json["train"]["inspect"] = {{"tracked_examples", tracked}, {"pattern_examples", patterns}};
    return json;
  }
  // The test split's tokens as the run generated them (same seeds, same cache).
  SplitData test_split(const RunConfig& config) const {
    const auto seeds = segment_seeds(config.data);
    return make_batches(load_segments(config.data.test, seeds.test, config.data.vocab_size,
                                      (std::filesystem::path(m_store->files_dir()) / "cache").string()),
                        1, torch::kCPU);
  }
  std::vector<std::pair<int64_t, std::string>> stored_sets(int64_t run) const {
    std::vector<std::pair<int64_t, std::string>> sets;
    for (const auto& info : m_store->list_query_records(run)) {
      sets.emplace_back(info.step, info.subset);
    }
    return sets;
  }
};

using Sets = std::vector<std::pair<int64_t, std::string>>;

TEST_F(RecordingTest, ATrainedRunStoresTrackedRecordsEveryEvaluationAndAllAtTheEnd) {
  const auto config = parse_run_config(config_json(40, 2));
  const auto run = create_run(*m_store, config);
  ASSERT_EQ(train_run(*m_store, run, config, options()).status, RunStatus::Finished);

  // 3 epochs of 8 steps; sets by step, then subset.
  EXPECT_EQ(stored_sets(run), (Sets{{8, "tracked"}, {16, "tracked"}, {24, "all"}, {24, "tracked"}}));
  const auto infos = m_store->list_query_records(run);
  const int64_t tracked_count = 40 * 2 + 32 * 3;  // min(40, 64) examples · 2 queries + min(40, 32) · 3
  const int64_t all_count = 64 * 2 + 32 * 3;
  for (const auto& info : infos) {
    EXPECT_EQ(info.count, info.subset == "all" ? all_count : tracked_count) << info.step;
    EXPECT_EQ(info.epoch, info.step / 8);
    const auto set = decode_query_records(*m_store->query_records(run, info.step, info.subset));
    EXPECT_EQ(static_cast<int64_t>(set.records.size()), info.count);
    EXPECT_EQ(set.step, info.step);
    EXPECT_EQ(set.epoch, info.epoch);
    EXPECT_EQ(set.subset, info.subset);
    EXPECT_NEAR(static_cast<double>(info.bytes) / static_cast<double>(info.count), kRecordBytes, 4.0);
  }

  const auto all = decode_query_records(*m_store->query_records(run, 24, "all"));
  ASSERT_EQ(all.segments.size(), 2u);
  EXPECT_EQ(all.segments[0].first_example, 0);
  EXPECT_EQ(all.segments[0].num_examples, 64);
  EXPECT_EQ(all.segments[1].first_example, 64);
  EXPECT_EQ(all.segments[1].num_examples, 32);
  EXPECT_EQ(all.segments[1].slices.at("num_kv_pairs"), 3);
  EXPECT_EQ(all.segments[1].seq_len, 16);

  // Facts against the test split's tokens: every query of every example, once.
  const auto split = test_split(config);
  ASSERT_EQ(split.batches.size(), 96u);
  std::set<std::pair<int32_t, int32_t>> seen;
  for (const auto& r : all.records) {
    ASSERT_GE(r.example, 0);
    ASSERT_LT(r.example, 96);
    const auto& batch = split.batches[static_cast<size_t>(r.example)];
    const auto inputs = batch.inputs[0];
    const auto labels = batch.labels[0];
    EXPECT_EQ(r.segment, r.example < 64 ? 0 : 1);
    EXPECT_EQ(r.key, inputs[r.position].item<int64_t>());
    EXPECT_EQ(r.target, labels[r.position].item<int64_t>());
    EXPECT_EQ(r.correct, r.prediction == r.target);
    EXPECT_NEAR(r.p_target, std::exp(-r.loss), 1e-6);
    // Without random non-queries every query's key is in the context, k v k v ...
    ASSERT_GE(r.kv_index, 0);
    const int32_t key_position = r.position - r.gap;
    EXPECT_EQ(inputs[key_position].item<int64_t>(), r.key);
    EXPECT_EQ(key_position % 2, 0);
    EXPECT_EQ(key_position / 2, r.kv_index);
    EXPECT_EQ(labels[key_position].item<int64_t>(), kIgnoreLabel);
    seen.insert({r.example, r.position});
  }
  EXPECT_EQ(seen.size(), all.records.size());
  int64_t labelled = 0;
  for (const auto& batch : split.batches) {
    labelled += batch.targets.size(0);
  }
  EXPECT_EQ(static_cast<int64_t>(seen.size()), labelled);

  // The records give the run's metrics: per-example mean accuracy, per slice, and the mean over
  // batches (of test_batch_size consecutive examples of a segment) of the batch's mean loss.
  std::map<int32_t, std::pair<double, double>> per_example;                // correct, count
  std::map<std::pair<int, int64_t>, std::pair<double, double>> per_batch;  // loss sum, count
  for (const auto& r : all.records) {
    per_example[r.example].first += r.correct ? 1.0 : 0.0;
    per_example[r.example].second += 1.0;
    const auto& segment = all.segments[static_cast<size_t>(r.segment)];
    auto& b = per_batch[{r.segment, (r.example - segment.first_example) / config.data.test_batch_size}];
    b.first += r.loss;
    b.second += 1.0;
  }
  double sum = 0.0, sum_kv2 = 0.0;
  for (const auto& [example, counts] : per_example) {
    sum += counts.first / counts.second;
    sum_kv2 += example < 64 ? counts.first / counts.second : 0.0;
  }
  double loss = 0.0;
  for (const auto& [key, b] : per_batch) {
    loss += b.first / b.second;
  }
  loss /= static_cast<double>(per_batch.size());
  auto last = [&](const std::string& key) { return m_store->metrics(run, key).back(); };
  ASSERT_EQ(last("valid/accuracy").step, 24);
  EXPECT_NEAR(sum / 96.0, last("valid/accuracy").value, 1e-9);
  EXPECT_NEAR(sum_kv2 / 64.0, last("valid/num_kv_pairs/accuracy-2").value, 1e-9);
  EXPECT_NEAR(loss, last("valid/loss").value, 1e-5 * std::abs(last("valid/loss").value));
  // Some queries right and some wrong, so the checks above compare real numbers.
  EXPECT_GT(last("valid/accuracy").value, 0.0);
  EXPECT_LT(last("valid/accuracy").value, 1.0);

  // The final tracked set is the all set's subset, record for record.
  const auto tracked = decode_query_records(*m_store->query_records(run, 24, "tracked"));
  const auto expected = tracked_subset(all, 40);
  ASSERT_EQ(tracked.records.size(), expected.records.size());
  for (size_t i = 0; i < expected.records.size(); ++i) {
    EXPECT_EQ(tracked.records[i].example, expected.records[i].example);
    EXPECT_EQ(tracked.records[i].position, expected.records[i].position);
    EXPECT_EQ(tracked.records[i].loss, expected.records[i].loss);
  }

  // Patterns of the first two test examples at every evaluation, stamped with the evaluation.
  EXPECT_EQ(m_store->pattern_steps(run), (std::vector<int64_t>{8, 16, 24}));
  for (const int64_t step : {8, 16, 24}) {
    const auto patterns = m_store->patterns(run, step);
    std::set<int64_t> examples;
    std::set<std::string> kinds;
    for (const auto& p : patterns) {
      examples.insert(p.example);
      kinds.insert(p.kind);
      EXPECT_EQ(p.run_id, run);
      EXPECT_EQ(p.step, step);
      EXPECT_EQ(p.epoch, step / 8);
      EXPECT_EQ(static_cast<int64_t>(p.values.size()), p.rows * p.cols);
    }
    EXPECT_EQ(examples, (std::set<int64_t>{0, 1})) << step;
    EXPECT_TRUE(kinds.count("attention")) << step;
    EXPECT_TRUE(kinds.count("mixing")) << step;
  }
}

TEST_F(RecordingTest, InspectSettingsTurnRecordsAndPatternsOffWithoutChangingTraining) {
  const auto on = parse_run_config(config_json(8, 1));
  auto off_json = config_json(0, 0);
  off_json["train"]["inspect"]["records"] = false;
  const auto off = parse_run_config(off_json);
  const auto a = create_run(*m_store, on);
  const auto b = create_run(*m_store, off);
  ASSERT_EQ(train_run(*m_store, a, on, options()).status, RunStatus::Finished);
  ASSERT_EQ(train_run(*m_store, b, off, options()).status, RunStatus::Finished);
  EXPECT_EQ(m_store->list_query_records(a).size(), 4u);
  EXPECT_TRUE(m_store->list_query_records(b).empty());
  EXPECT_TRUE(m_store->pattern_steps(b).empty());
  EXPECT_EQ(m_store->pattern_steps(a).size(), 3u);
  const auto pa = m_store->metrics(a), pb = m_store->metrics(b);
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    ASSERT_EQ(pa[i].key, pb[i].key);
    EXPECT_EQ(pa[i].value, pb[i].value) << pa[i].key << " step " << pa[i].step;
  }

  // Records on, tracked off: the final evaluation still stores every record.
  const auto all_only = parse_run_config(config_json(0, 0));
  const auto c = create_run(*m_store, all_only);
  ASSERT_EQ(train_run(*m_store, c, all_only, options()).status, RunStatus::Finished);
  EXPECT_EQ(stored_sets(c), (Sets{{24, "all"}}));
}

TEST_F(RecordingTest, AnEarlyStopMakesItsEvaluationTheFinalOne) {
  auto json = config_json(4, 0);
  json["train"]["early_stopping_metric"] = "valid/loss";
  json["train"]["early_stopping_threshold"] = -1.0;  // stops after epoch 1
  const auto config = parse_run_config(json);
  const auto run = create_run(*m_store, config);
  ASSERT_EQ(train_run(*m_store, run, config, options()).status, RunStatus::Finished);
  EXPECT_EQ(stored_sets(run), (Sets{{8, "all"}, {8, "tracked"}}));
  EXPECT_EQ(m_store->list_query_records(run)[1].count, 4 * 2 + 4 * 3);
}

TEST_F(RecordingTest, AResumedRunStoresEachEvaluationOnceWithTheSameRecords) {
  const auto config = parse_run_config(config_json(6, 1));
  const auto reference = create_run(*m_store, config);
  ASSERT_EQ(train_run(*m_store, reference, config, options()).status, RunStatus::Finished);

  const auto run = create_run(*m_store, config);
  auto stopping = options();
  stopping.on_step = [](int64_t step, double) {
    if (step == 19) {  // mid-epoch 3: the evaluations at 8 and 16 are kept
      request_stop();
    }
  };
  ASSERT_EQ(train_run(*m_store, run, config, stopping).status, RunStatus::Cancelled);
  clear_stop_request();
  EXPECT_EQ(stored_sets(run), (Sets{{8, "tracked"}, {16, "tracked"}}));
  // What a kill after a later evaluation would have left behind: the resume drops it.
  m_store->put_query_records({run, 20, 3, "tracked", 0}, encode_query_records(QueryRecordSet{}));
  auto resuming = options();
  resuming.resume = true;
  ASSERT_EQ(train_run(*m_store, run, config, resuming).status, RunStatus::Finished);

  EXPECT_EQ(stored_sets(run), stored_sets(reference));
  EXPECT_EQ(m_store->pattern_steps(run), (std::vector<int64_t>{8, 16, 24}));
  for (const auto& [step, subset] : stored_sets(reference)) {
    EXPECT_EQ(*m_store->query_records(run, step, subset), *m_store->query_records(reference, step, subset))
        << step << " " << subset;
  }
}

}  // namespace
}  // namespace zoolab
