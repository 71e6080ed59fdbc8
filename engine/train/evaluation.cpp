#include "engine/train/evaluation.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "engine/train/labelled_outputs.h"
#include "engine/train/row_shards.h"
#include "engine/train/train_step.h"

namespace zoolab {
namespace {

// Each labelled position's target log-probability and prediction (engine/train/labelled_outputs.h): with
// the head at labelled positions, from the final hidden states, block by block, without (N, V) logits.
LabelledOutputs rows_outputs(LanguageModel& model, const Batch& rows, bool all_positions,
                             const kernels::PackedWeight* packed) {
  if (all_positions) {
    return labelled_outputs(labelled_logits(model, rows, all_positions), rows.targets);  // (N, V) logits
  }
  return labelled_outputs_of_hidden(model->hidden_at(rows.inputs, rows.positions), model->head_weight(),
                                    rows.targets, kHeadBlockRows, packed);
}

// Rows an evaluation shard aims at: a whole batch per thread (256 sequences at batch 512 on 2 threads)
// streams each layer's activations through memory (12 MiB for Hyena's in_proj output alone), where 64
// sequences' stay in cache from one layer to the next. On the Figure 2 cells (3 runs each, alternating,
// examples/s): attention 22,908-23,923 with a shard per thread against 25,877-27,583 with 64-row shards,
// BaseConv 39,086-40,376 against 40,231-42,042, Hyena 21,579-22,187 against 23,479-24,543; 32-row shards
// were within the noise of 64.
constexpr int64_t kEvaluationShardRows = 64;

// The same on row shards in parallel when the model allows (engine/train/row_shards.h), each thread taking
// an equal run of shards of about kEvaluationShardRows rows: every value belongs to one row, so the shards'
// outputs in shard order are the whole batch's.
LabelledOutputs batch_outputs(LanguageModel& model, const Batch& batch, bool all_positions,
                              const kernels::PackedWeight* packed) {
  const int64_t threads = row_shards(model, batch);  // 1: the batch runs whole
  const int64_t shards =
      threads == 1 ? 1
                   : threads * std::max<int64_t>(1, batch.inputs.size(0) / (threads * kEvaluationShardRows));
  if (shards == 1) {
    return rows_outputs(model, batch, all_positions, packed);
  }
  std::vector<LabelledOutputs> parts(static_cast<size_t>(shards));
  for_each_row_shard(batch, shards, [&](const Batch& rows, int64_t shard) {
    if (rows.positions.numel() > 0) {
      parts[static_cast<size_t>(shard)] = rows_outputs(model, rows, all_positions, packed);
    }
  });
  std::vector<torch::Tensor> log_probs, predictions;
  for (const auto& part : parts) {
    if (part.target_log_probs.defined()) {
      log_probs.push_back(part.target_log_probs);
      predictions.push_back(part.predictions);
    }
  }
  return {torch::cat(log_probs), torch::cat(predictions)};  // (N,), (N,): positions are ordered by row
}

}  // namespace

std::map<std::string, double> evaluate(LanguageModel& model, const SplitData& split,
                                       const TrainConfig& config) {
  return evaluate(model, split, config, std::nullopt).metrics;
}

EvaluationResult evaluate(LanguageModel& model, const SplitData& split, const TrainConfig& config,
                          const std::optional<RecordRequest>& records) {
  std::optional<QueryRecorder> recorder;
  if (records) {
    recorder.emplace(split, *records);
  }
  torch::NoGradGuard no_grad;
  model->eval();
  const bool all_positions = config.lm_head == "all";
  // The head weight packed once for every batch (engine/train/labelled_outputs.h), where that applies.
  const auto packed = all_positions ? std::nullopt : kernels::pack_weight(model->head_weight());

  // Each batch's sums stay tensors until one copy to the host after the last batch: no host sync inside
  // the loop. A row per batch: (loss, correct positions, sum of example accuracies, examples with labels).
  std::vector<torch::Tensor> batch_sums;
  batch_sums.reserve(split.batches.size());
  double labelled_tokens = 0.0;
  for (const auto& batch : split.batches) {
    // The head at the labelled positions, then their target log-probabilities and predictions block by
    // block (engine/train/labelled_outputs.h): log_softmax and argmax of the whole, to rounding.
    const auto outputs = batch_outputs(model, batch, all_positions, packed ? &*packed : nullptr);
    const auto loss = cross_entropy_of(outputs);  // == cross_entropy(logits, targets) to rounding
    if (recorder && recorder->wants(batch)) {
      recorder->add_outputs(batch, outputs.target_log_probs, outputs.predictions);
    }
    auto correct = (outputs.predictions == batch.targets).to(torch::kDouble);  // (N,)
    const int64_t rows = batch.inputs.size(0);
    auto per_row_correct = torch::zeros({rows}, correct.options()).index_add_(0, batch.example_of, correct);
    auto per_row_count =
        torch::zeros({rows}, correct.options()).index_add_(0, batch.example_of, torch::ones_like(correct));
    labelled_tokens += static_cast<double>(correct.size(0));
    // Examples without a labelled position have no accuracy (pandas' mean skips their NaN).
    auto has_labels = per_row_count > 0;
    auto accuracy = (per_row_correct / per_row_count.clamp_min(1)).masked_select(has_labels);
    batch_sums.push_back(torch::stack({loss.to(torch::kDouble), correct.sum(), accuracy.sum(),
                                       has_labels.sum().to(torch::kDouble)}));  // (4,)
  }
  double loss_sum = 0.0;
  double correct_tokens = 0.0;
  // Example accuracies grouped per segment (slices are constant within a segment).
  std::vector<double> segment_accuracy_sum(split.segments.size(), 0.0);
  std::vector<int64_t> segment_examples(split.segments.size(), 0);
  if (!batch_sums.empty()) {
    const auto sums = torch::stack(batch_sums).to(torch::kCPU).contiguous();  // (batches, 4)
    const double* row = sums.data_ptr<double>();
    for (const auto& batch : split.batches) {  // in batch order, as the sums were always taken
      loss_sum += row[0];
      correct_tokens += row[1];
      segment_accuracy_sum[batch.segment] += row[2];
      segment_examples[batch.segment] += static_cast<int64_t>(row[3]);
      row += 4;
    }
  }

  EvaluationResult result;
  if (recorder) {
    result.records = recorder->take();
  }
  auto& metrics = result.metrics;
  metrics["valid/loss"] = split.batches.empty() ? NAN : loss_sum / static_cast<double>(split.batches.size());
  double accuracy_sum = 0.0;
  int64_t examples = 0;
  for (size_t s = 0; s < split.segments.size(); ++s) {
    accuracy_sum += segment_accuracy_sum[s];
    examples += segment_examples[s];
  }
  metrics["valid/accuracy"] = config.accuracy_average == "token"
                                  ? correct_tokens / labelled_tokens
                                  : accuracy_sum / static_cast<double>(examples);
  for (const auto& key : config.slice_keys) {
    std::map<int64_t, std::pair<double, int64_t>> groups;  // slice value -> (sum, count)
    for (size_t s = 0; s < split.segments.size(); ++s) {
      const auto found = split.segments[s].slices.find(key);
      if (found == split.segments[s].slices.end()) {
        continue;
      }
      groups[found->second].first += segment_accuracy_sum[s];
      groups[found->second].second += segment_examples[s];
    }
    for (const auto& [value, sum_count] : groups) {
      metrics["valid/" + key + "/accuracy-" + std::to_string(value)] =
          sum_count.first / static_cast<double>(sum_count.second);
    }
  }
  // A split that mixes tasks (multi-task runs) reports each task's accuracy apart: valid/<task>/accuracy.
  std::map<std::string, std::pair<double, int64_t>> by_task;  // task -> (sum, count)
  for (size_t s = 0; s < split.segments.size(); ++s) {
    by_task[split.segments[s].task].first += segment_accuracy_sum[s];
    by_task[split.segments[s].task].second += segment_examples[s];
  }
  if (by_task.size() > 1) {
    for (const auto& [task, sum_count] : by_task) {
      metrics["valid/" + task + "/accuracy"] = sum_count.first / static_cast<double>(sum_count.second);
    }
  }
  return result;
}

}  // namespace zoolab
