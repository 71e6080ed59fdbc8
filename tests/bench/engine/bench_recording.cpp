// The recording target (docs/development.md#benchmarks): recording the per-query results of 3,000 test
// examples (and encoding them for the store) adds less than 20% to an evaluation. Zoology's Figure 2
// attention cell at L=64 (d_model 64, 2 layers, 4 kv pairs, V=8192, 3,000 test examples, its test batch): an
// evaluation without records, the model alone at the labelled positions (the floor of an evaluation), one
// recording every example, one recording the default tracked subset, the recording alone, and plain and
// recording evaluations alternated in one benchmark whose `overhead` counters are recorded/plain - 1
// (alternating keeps a shared machine's drift out of the ratio; `median_overhead` is over the pairs). The
// CPU column is the whole process's (every thread's) CPU time: steadier than wall time on a shared machine.

#include <algorithm>
#include <chrono>
#include <optional>
#include <vector>

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "engine/config/presets.h"
#include "engine/inspect/query_records.h"
#include "engine/train/allocator.h"
#include "engine/train/batches.h"
#include "engine/train/evaluation.h"
#include "engine/train/labelled_outputs.h"
#include "engine/train/model_setup.h"
#include "engine/train/query_recording.h"
#include "engine/train/train_step.h"
#include "engine/train/trainer.h"

namespace zoolab {
namespace {

struct Setup {
  RunConfig config;
  SplitData split;
  LanguageModel model{nullptr};
};

Setup& setup() {
  static Setup s = [] {
    keep_freed_memory_in_process();  // as zoolab-cli does, before the first tensor
    configure_threads(0);            // every core, as the trainer does
    Setup made;
    made.config = load_preset("fig2-attention-L64-d64");
    auto& test = made.config.data.test.front();
    test.num_examples = 3000;
    const auto seeds = segment_seeds(made.config.data);
    made.split = make_batches(load_segments({test}, {seeds.test.front()}, made.config.data.vocab_size, ""),
                              made.config.data.test_batch_size, torch::kCPU);
    torch::manual_seed(made.config.seed);
    made.model = LanguageModel(language_model_options(made.config));
    made.model->eval();
    return made;
  }();
  return s;
}

// The evaluation and, when recording, the encoding the trainer stores.
size_t evaluate_once(const std::optional<RecordRequest>& request, size_t* records = nullptr) {
  auto& s = setup();
  auto result = evaluate(s.model, s.split, s.config.train, request);
  if (!result.records) {
    return 0;
  }
  if (records != nullptr) {
    *records = result.records->records.size();
  }
  return encode_query_records(*result.records).size();
}

void BM_EvaluatePlain(benchmark::State& state) {
  evaluate_once(std::nullopt);  // warm-up
  for (auto _ : state) {
    evaluate_once(std::nullopt);
  }
  state.SetItemsProcessed(state.iterations() * setup().split.num_examples());
}

void BM_EvaluateRecordingAll(benchmark::State& state) {
  size_t records = 0, bytes = evaluate_once(RecordRequest{"all", 0}, &records);
  for (auto _ : state) {
    bytes = evaluate_once(RecordRequest{"all", 0}, &records);
  }
  state.SetItemsProcessed(state.iterations() * setup().split.num_examples());
  state.counters["records"] = static_cast<double>(records);
  state.counters["bytes_per_record"] = static_cast<double>(bytes) / static_cast<double>(records);
}

void BM_EvaluateRecordingTracked(benchmark::State& state) {
  evaluate_once(RecordRequest{"tracked", 32});
  for (auto _ : state) {
    evaluate_once(RecordRequest{"tracked", 32});
  }
  state.SetItemsProcessed(state.iterations() * setup().split.num_examples());
}

// The model alone: the backbone and final norm at every batch's labelled positions, without the head
// and what evaluation computes from the logits. Evaluation cannot be faster than this; the rest of
// BM_EvaluatePlain is the head, the log-softmax, the argmax and the metrics.
void BM_BackboneOnly(benchmark::State& state) {
  auto& s = setup();
  torch::NoGradGuard no_grad;
  for (auto _ : state) {
    for (const auto& batch : s.split.batches) {
      benchmark::DoNotOptimize(s.model->hidden_at(batch.inputs, batch.positions).data_ptr());  // (N, D)
    }
  }
  state.SetItemsProcessed(state.iterations() * s.split.num_examples());
}

// The recording alone, without the evaluation around it: facts, copy and encoding of every query, fed one
// batch's outputs for every batch (timing does not depend on their values).
void BM_RecordAndEncodeOnly(benchmark::State& state) {
  auto& s = setup();
  torch::NoGradGuard no_grad;
  const auto& first = s.split.batches.front();
  const auto outputs = labelled_outputs(labelled_logits(s.model, first, false), first.targets);
  size_t bytes = 0;
  for (auto _ : state) {
    QueryRecorder recorder(s.split, {"all", 0});
    for (const auto& batch : s.split.batches) {
      const int64_t n = std::min(batch.targets.size(0), outputs.predictions.size(0));
      recorder.add_outputs(batch, outputs.target_log_probs.narrow(0, 0, n),
                           outputs.predictions.narrow(0, 0, n));
    }
    bytes = encode_query_records(recorder.take()).size();
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}

void BM_RecordingOverhead(benchmark::State& state) {
  using Clock = std::chrono::steady_clock;
  auto seconds = [](const std::optional<RecordRequest>& request) {
    const auto start = Clock::now();
    evaluate_once(request);
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  seconds(std::nullopt);
  seconds(RecordRequest{"all", 0});
  double plain = 0.0, recorded = 0.0;
  std::vector<double> ratios;
  for (auto _ : state) {
    // Each pair in turn starts with the other, so neither gains from running second.
    const bool plain_first = ratios.size() % 2 == 0;
    double p = 0.0, r = 0.0;
    if (plain_first) {
      p = seconds(std::nullopt);
      r = seconds(RecordRequest{"all", 0});
    } else {
      r = seconds(RecordRequest{"all", 0});
      p = seconds(std::nullopt);
    }
    plain += p;
    recorded += r;
    ratios.push_back(r / p);
  }
  std::sort(ratios.begin(), ratios.end());
  const auto n = static_cast<double>(state.iterations());
  state.counters["plain_ms"] = 1e3 * plain / n;
  state.counters["recorded_ms"] = 1e3 * recorded / n;
  state.counters["overhead"] = recorded / plain - 1.0;  // of the total times
  state.counters["median_overhead"] =
      ratios[ratios.size() / 2] - 1.0;  // of the pairs: robust to a busy machine
}

BENCHMARK(BM_EvaluatePlain)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();
BENCHMARK(BM_BackboneOnly)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();
BENCHMARK(BM_EvaluateRecordingAll)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();
BENCHMARK(BM_EvaluateRecordingTracked)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();
BENCHMARK(BM_RecordAndEncodeOnly)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();
BENCHMARK(BM_RecordingOverhead)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

}  // namespace
}  // namespace zoolab
