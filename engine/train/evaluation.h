#pragma once

// MQAR evaluation with Zoology's semantics (docs/reference.md#evaluation, commit 0bb9665):
// valid/loss is the mean over batches of the batch's cross-entropy on labelled positions;
// valid/accuracy the mean over examples of each example's query accuracy (or, with
// accuracy_average "token", the paper-era micro average); per-slice accuracies are named
// "valid/<key>/accuracy-<value>".
// Asked to, it also records per-query results (engine/train/query_recording.h) without changing a
// metric's value by a bit.

#include <map>
#include <optional>
#include <string>

#include "engine/config/run_config.h"
#include "engine/inspect/query_records.h"
#include "engine/train/batches.h"
#include "engine/train/query_recording.h"
#include "models/language_model.h"

namespace zoolab {

struct EvaluationResult {
  std::map<std::string, double> metrics;
  std::optional<QueryRecordSet> records;  // when requested; step and epoch left 0 for the caller
};

// Leaves the model in eval mode.
std::map<std::string, double> evaluate(LanguageModel& model, const SplitData& split,
                                       const TrainConfig& config);
EvaluationResult evaluate(LanguageModel& model, const SplitData& split, const TrainConfig& config,
                          const std::optional<RecordRequest>& records);

}  // namespace zoolab
