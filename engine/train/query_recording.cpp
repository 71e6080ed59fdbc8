#include "engine/train/query_recording.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <torch/torch.h>

namespace zoolab {

std::vector<int64_t> segment_first_examples(const SplitData& split) {
  std::vector<int64_t> first;
  int64_t next = 0;
  for (const auto& segment : split.segments) {
    first.push_back(next);
    next += segment.num_examples;
  }
  return first;
}

QueryRecorder::QueryRecorder(const SplitData& split, RecordRequest request)
    : m_request(std::move(request)), m_first_examples(segment_first_examples(split)) {
  if (m_request.subset != "all" && m_request.subset != "tracked") {
    throw std::invalid_argument("query records: unknown subset \"" + m_request.subset +
                                "\"; allowed: all, tracked");
  }
  if (m_request.tracked_examples < 0) {
    throw std::invalid_argument("query records: tracked_examples must be >= 0, got " +
                                std::to_string(m_request.tracked_examples));
  }
  if (split.segments.size() > static_cast<size_t>(INT16_MAX)) {
    throw std::invalid_argument("query records: " + std::to_string(split.segments.size()) +
                                " test segments do not fit the record's segment field");
  }
  m_set.subset = m_request.subset;
  for (size_t s = 0; s < split.segments.size(); ++s) {
    const auto& segment = split.segments[s];
    RecordSegment info;
    info.seq_len = segment.seq_len;
    info.num_examples = segment.num_examples;
    info.first_example = m_first_examples[s];
    info.task = segment.task;
    info.slices = segment.slices;
    m_set.segments.push_back(std::move(info));
  }
}

int64_t QueryRecorder::recorded_in_segment(int64_t segment) const {
  const int64_t size = m_set.segments.at(static_cast<size_t>(segment)).num_examples;
  return m_request.subset == "all" ? size : std::min(m_request.tracked_examples, size);
}

bool QueryRecorder::wants(const Batch& batch) const {
  return batch.first_example < recorded_in_segment(batch.segment);
}

void QueryRecorder::add(const Batch& batch, const torch::Tensor& log_probs,
                        const torch::Tensor& predictions) {
  add_outputs(batch, log_probs.gather(1, batch.targets.unsqueeze(1)).squeeze(1), predictions);
}

void QueryRecorder::add_outputs(const Batch& batch, const torch::Tensor& target_log_probs,
                                const torch::Tensor& predictions) {
  const int64_t rows =
      std::min(recorded_in_segment(batch.segment) - batch.first_example, batch.inputs.size(0));
  if (rows <= 0) {
    return;
  }
  const auto& segment = m_set.segments.at(static_cast<size_t>(batch.segment));
  const int64_t seq_len = batch.inputs.size(1);

  // The facts need the tokens; labelled positions are in row-major order (batches.cpp), so the facts of
  // rows 0..rows-1 in turn line up with the first labelled positions of the batch.
  const auto inputs = batch.inputs.narrow(0, 0, rows).to(torch::kCPU).contiguous();  // (R, L)
  const auto labels = batch.labels.narrow(0, 0, rows).to(torch::kCPU).contiguous();  // (R, L)
  std::vector<std::vector<QueryFacts>> facts(static_cast<size_t>(rows));
  int64_t count = 0;
  for (int64_t r = 0; r < rows; ++r) {
    facts[r] = task_query_facts(segment.task, inputs.data_ptr<int64_t>() + r * seq_len,
                                labels.data_ptr<int64_t>() + r * seq_len, seq_len, segment.slices);
    count += static_cast<int64_t>(facts[r].size());
  }
  const int64_t labelled = batch.targets.size(0);
  if (count > labelled || (rows == batch.inputs.size(0) && count != labelled)) {
    throw std::logic_error("query records: " + std::to_string(count) + " labelled positions in the tokens, " +
                           std::to_string(labelled) + " in the batch");
  }

  // One copy to the host: the target's log-probability and the prediction of each recorded position, as
  // doubles (exact for both: a float and a token id below 2^53).
  const auto packed = torch::stack({target_log_probs.narrow(0, 0, count).to(torch::kDouble),
                                    predictions.narrow(0, 0, count).to(torch::kDouble)})
                          .to(torch::kCPU)
                          .contiguous();  // (2, count)
  const double* log_p = packed.data_ptr<double>();
  const double* predicted = log_p + count;

  m_set.records.reserve(m_set.records.size() + static_cast<size_t>(count));
  const int64_t first = segment.first_example + batch.first_example;
  int64_t i = 0;
  for (int64_t r = 0; r < rows; ++r) {
    for (const auto& f : facts[r]) {
      QueryRecord record;
      record.example = static_cast<int32_t>(first + r);
      record.position = f.position;
      record.key = f.key;
      record.target = f.target;
      record.prediction = static_cast<int32_t>(predicted[i]);
      const auto log_p_target = static_cast<float>(log_p[i]);
      record.loss = -log_p_target;
      record.p_target = std::exp(log_p_target);
      record.gap = f.gap;
      record.kv_index = f.kv_index;
      record.segment = static_cast<int16_t>(batch.segment);
      record.correct = record.prediction == record.target;
      m_set.records.push_back(record);
      ++i;
    }
  }
}

QueryRecordSet tracked_subset(const QueryRecordSet& all, int64_t tracked_examples) {
  QueryRecordSet tracked;
  tracked.step = all.step;
  tracked.epoch = all.epoch;
  tracked.subset = "tracked";
  tracked.segments = all.segments;
  for (const auto& record : all.records) {
    const auto& segment = all.segments.at(static_cast<size_t>(record.segment));
    if (record.example - segment.first_example < tracked_examples) {
      tracked.records.push_back(record);
    }
  }
  return tracked;
}

}  // namespace zoolab
