#pragma once

// Per-query records taken during an MQAR evaluation (docs/architecture.md#what-evaluation-records): for
// chosen test examples, every labelled position's prediction, loss and target probability, with the facts of
// the query (key, gap, kv index) read from the split's own tokens. Evaluation feeds it the target
// log-probabilities and predictions it computes anyway, so recording costs one small copy per batch.

#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "engine/inspect/query_records.h"
#include "engine/train/batches.h"

namespace zoolab {

// Which test examples an evaluation records.
struct RecordRequest {
  std::string subset = "all";    // "all": every example; "tracked": the first examples of each segment
  int64_t tracked_examples = 0;  // per segment, for "tracked" (clamped to the segment's size)
};

// Index in the split of each segment's first example (segments in config order).
std::vector<int64_t> segment_first_examples(const SplitData& split);

class QueryRecorder {
 public:
  // Throws std::invalid_argument for an unknown subset or a negative tracked count.
  QueryRecorder(const SplitData& split, RecordRequest request);

  // Whether any example of `batch` is recorded (so the evaluation can skip the rest).
  bool wants(const Batch& batch) const;

  // Adds the batch's recorded examples. log_probs: (N, V) log-softmax at batch.positions;
  // predictions: (N,) argmax of the logits there.
  void add(const Batch& batch, const torch::Tensor& log_probs, const torch::Tensor& predictions);
  // The same from what evaluation computes (engine/train/labelled_outputs.h): target_log_probs (N,), the
  // log-softmax at each position's target; predictions (N,).
  void add_outputs(const Batch& batch, const torch::Tensor& target_log_probs,
                   const torch::Tensor& predictions);

  // The set so far (step and epoch are left 0 for the caller); records by example, then position.
  const QueryRecordSet& records() const { return m_set; }
  QueryRecordSet take() { return std::move(m_set); }

 private:
  int64_t recorded_in_segment(int64_t segment) const;

  RecordRequest m_request;
  std::vector<int64_t> m_first_examples;
  QueryRecordSet m_set;
};

// The "tracked" subset of an "all" set: the records of the first `tracked_examples` examples of each
// segment, the same records a "tracked" evaluation would give.
QueryRecordSet tracked_subset(const QueryRecordSet& all, int64_t tracked_examples);

}  // namespace zoolab
