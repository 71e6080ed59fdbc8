#pragma once

// What the recall inspector shows, computed from query records alone. `zoolab-cli inspect` and
// every view call these, so their numbers agree by construction and tests check that they do.
// No torch, no Qt.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/inspect/query_records.h"

namespace zoolab {

// Accuracy of the records whose grouping value is `value`. For by_gap and by_kv_index, n counts queries
// and accuracy is their fraction right; for slices, n counts examples and accuracy is the mean of their
// per-example accuracies (Zoology's per-slice metric).
struct AccuracyBin {
  int64_t value = 0;
  int64_t n = 0;
  double accuracy = 0.0;
};

struct RecallSummary {
  int64_t examples = 0;
  int64_t queries = 0;
  double accuracy = 0.0;                 // mean over examples of per-example accuracy (as valid/accuracy)
  double query_accuracy = 0.0;           // fraction of queries right
  double mean_loss = 0.0;                // over queries
  std::vector<AccuracyBin> by_gap;       // ascending gap
  std::vector<AccuracyBin> by_kv_index;  // ascending kv index
  // Ascending query position: for tasks whose queries have no source (circuits, memorization) the gap
  // says nothing, and where in the sequence a query sits is what varies.
  std::vector<AccuracyBin> by_position;
  std::map<std::string, std::vector<AccuracyBin>> by_slice;  // slice key -> ascending values
};

RecallSummary summarize_recall(const QueryRecordSet& set);

// One example's queries.
struct ExampleOutcome {
  int64_t example = 0;
  int64_t segment = 0;
  int64_t queries = 0;
  int64_t correct = 0;
};
std::vector<ExampleOutcome> example_outcomes(const QueryRecordSet& set);  // ascending example

// Two runs on the same test queries. Throws std::invalid_argument when the sets do not hold the same
// queries (example, position, key, target), naming the first difference.
struct RecallComparison {
  int64_t both_right = 0;
  int64_t only_a = 0;  // A right, B wrong
  int64_t only_b = 0;
  int64_t both_wrong = 0;
  // Examples holding at least one query of each kind (links into the example browser).
  std::vector<int64_t> both_right_examples, only_a_examples, only_b_examples, both_wrong_examples;
};
RecallComparison compare_recall(const QueryRecordSet& a, const QueryRecordSet& b);

// Accuracy by gap over evaluations: accuracy[e][g] for steps[e] and gaps[g] (NaN where no query).
struct GapHistory {
  std::vector<int64_t> steps;
  std::vector<int64_t> epochs;
  std::vector<int64_t> gaps;
  std::vector<std::vector<double>> accuracy;
};
GapHistory gap_history(const std::vector<QueryRecordSet>& sets);

// JSON shapes of `zoolab-cli inspect --json`: {"examples", "queries", "accuracy", "query_accuracy",
// "mean_loss", "by_gap": [{"gap", "n", "accuracy"}], "by_kv_index": [{"kv_index", "n", "accuracy"}],
// "by_position": [{"position", "n", "accuracy"}],
// "by_slice": {"num_kv_pairs": [{"value", "n", "accuracy"}]}}.
nlohmann::json to_json(const RecallSummary& summary);
nlohmann::json to_json(const QueryRecord& record);
nlohmann::json to_json(const RecallComparison& comparison);
// {"steps", "epochs", "gaps", "accuracy": [[...]]} with null where a gap had no query.
nlohmann::json to_json(const GapHistory& history);

}  // namespace zoolab
