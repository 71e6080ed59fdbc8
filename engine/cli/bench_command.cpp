// zoolab-cli bench: training throughput of a configuration, measured on the trainer's own step.

#include <sys/resource.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include <torch/torch.h>
#if __has_include(<torch/csrc/autograd/profiler_legacy.h>)
#include <torch/csrc/autograd/profiler_legacy.h>
#define ZOOLAB_HAS_RECORD_PROFILE 1
#endif

#include "engine/cli/commands.h"
#include "engine/train/batches.h"
#include "engine/train/distributed.h"
#include "engine/train/distributed_launch.h"
#include "engine/train/distributed_tensors.h"
#include "engine/train/evaluation.h"
#include "engine/train/model_setup.h"
#include "engine/train/text_step.h"
#include "engine/train/train_step.h"
#include "engine/train/trainer.h"
#include "kernels/blas_core.h"

namespace zoolab {
namespace {

// Peak resident set size of this process so far, in bytes: VmHWM of /proc/self/status where there is one
// (Linux), else getrusage's ru_maxrss (bytes on macOS, KiB elsewhere).
int64_t peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      return std::stoll(line.substr(6)) * 1024;  // "VmHWM:    12345 kB"
    }
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
#ifdef __APPLE__
  return static_cast<int64_t>(usage.ru_maxrss);
#else
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
#endif
}

// The memory and evaluation fields of bench's line: the peak RSS after the timed training steps and, unless
// skipped, the speed of one evaluation pass over the config's test split exactly as the trainer runs it
// (engine/train/mqar_trainer.cpp: per-query records of every example when train.inspect.records), with the
// peak RSS after it. The test split is generated here, after the training steps, so that it does not count
// in the training figure.
void add_memory_and_evaluation_fields(nlohmann::json& result, LanguageModel& model, const RunConfig& config,
                                      const torch::Device& device, bool evaluate_test_split,
                                      const std::string& profile) {
  result["peak_rss_bytes"] = peak_rss_bytes();
  if (!evaluate_test_split) {
    return;
  }
  const auto seeds = segment_seeds(config.data);
  const auto split = make_batches(load_segments(config.data.test, seeds.test, config.data.vocab_size, ""),
                                  config.data.test_batch_size, device);
  std::optional<RecordRequest> request;
  if (config.train.inspect.records) {
    request = RecordRequest{"all", 0};
  }
  EvaluationResult evaluation;
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t start_cpu = std::clock();
  if (profile.empty()) {
    evaluation = evaluate(model, split, config.train, request);
  } else {
#ifdef ZOOLAB_HAS_RECORD_PROFILE
    torch::autograd::profiler::RecordProfile record(profile);
    evaluation = evaluate(model, split, config.train, request);
#else
    throw std::runtime_error("--eval-profile: this LibTorch has no legacy profiler");
#endif
  }
  const double cpu_seconds = static_cast<double>(std::clock() - start_cpu) / CLOCKS_PER_SEC;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result["eval_examples_per_s"] = static_cast<double>(split.num_examples()) / seconds;
  result["eval_examples"] = split.num_examples();
  result["eval_seconds"] = seconds;
  result["eval_cpu_seconds"] = cpu_seconds;  // of every thread: steadier than wall time on a busy machine
  result["eval_records"] = evaluation.records ? static_cast<int64_t>(evaluation.records->records.size()) : 0;
  result["peak_rss_after_eval_bytes"] = peak_rss_bytes();
}

}  // namespace

void add_bench_command(CLI::App& app, CliState& state) {
  struct BenchArgs {
    ConfigSource source;
    int64_t steps = 20;
    int64_t warmup = 3;
    int threads = 0;
    std::string device = "cpu";
    std::string lm_head;
    std::string profile;
    int nproc = 1;
    double collective_timeout = kDefaultCollectiveTimeoutSeconds;
    bool skip_eval = false;
    std::string eval_profile;
  };
  auto args = std::make_shared<BenchArgs>();
  auto* bench = app.add_subcommand("bench", "Measure training throughput (examples/s); prints one JSON line");
  add_config_options(bench, args->source);
  bench->add_option("--steps", args->steps, "Timed optimizer steps")->check(CLI::PositiveNumber);
  bench->add_option("--warmup", args->warmup, "Untimed steps first")->check(CLI::NonNegativeNumber);
  bench->add_option("--threads", args->threads, "CPU threads (default: every core)")
      ->check(CLI::NonNegativeNumber);
  bench->add_option("--device", args->device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  bench
      ->add_option(
          "--lm-head", args->lm_head,
          "labelled (head at labelled positions) or all (every position, as Zoology); default: the config's")
      ->check(CLI::IsMember({"labelled", "all"}));
  bench->add_option("--profile", args->profile,
                    "Write a Chrome trace (chrome://tracing) of the timed steps to FILE");
  bench
      ->add_option(
          "--nproc", args->nproc,
          "Data parallel: N processes on this machine share each batch (--threads split among them); "
          "adds examples/s per rank and the all-reduce time per step")
      ->check(CLI::Range(1, 1024));
  bench->add_option("--collective-timeout", args->collective_timeout, "Seconds a rank waits at a collective")
      ->check(CLI::Range(1.0, 86400.0));
  bench->add_flag(
      "--skip-eval", args->skip_eval,
      "Do not time an evaluation pass over the test split (eval_examples_per_s); it takes seconds "
      "to minutes for the large presets");
  bench->add_option("--eval-profile", args->eval_profile,
                    "Write a Chrome trace of the timed evaluation pass to FILE");
  bench->callback([args, &state]() {
    auto config = load_config_option(args->source);
    const bool text = is_text_task(config.data);
    if (!args->lm_head.empty()) {
      config.train.lm_head = args->lm_head;
    }
    // --nproc: this process is rank 0 and prints; the other ranks time their share silently.
    auto ranks =
        join_ranks(args->nproc, args->threads, args->collective_timeout, args->device == "cuda", nullptr);
    std::unique_ptr<DataParallel> parallel;
    if (ranks.group) {
      parallel = std::make_unique<DataParallel>(*ranks.group);
    }
    const int threads = configure_threads(ranks.threads);
    if (args->device == "cuda" && !torch::cuda::is_available()) {
      throw std::runtime_error("--device cuda: this LibTorch has no CUDA support or no GPU is visible");
    }
    const torch::Device device =
        args->device == "cuda" ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);

    // Only as many examples as the timed steps use, from the first training segment. A text run's steps
    // take random token windows: the time of a step does not depend on which tokens it reads.
    const int64_t batch_size = config.data.train_batch_size;
    SplitData split;
    int64_t seq_len = config.data.text.context_length;
    TextBatch text_batch;
    if (text) {
      torch::manual_seed(config.data.seed);
      text_batch.inputs =
          torch::randint(config.data.vocab_size, {batch_size, seq_len}, torch::kLong).to(device);
      text_batch.targets =
          torch::randint(config.data.vocab_size, {batch_size, seq_len}, torch::kLong).to(device);
    } else {
      auto segment = config.data.train.front();
      seq_len = segment.input_seq_len;
      segment.num_examples =
          std::min<int64_t>(segment.num_examples, batch_size * (args->steps + args->warmup));
      const auto seeds = segment_seeds(config.data);
      split = make_batches(load_segments({segment}, {seeds.train.front()}, config.data.vocab_size, ""),
                           batch_size, device);
    }

    torch::manual_seed(config.seed);
    LanguageModel model(language_model_options(config));
    model->to(device);
    model->train();
    auto optimizer = make_optimizer(model, config);
    const bool all_positions = config.train.lm_head == "all";
    const auto& batches = split.batches;
    if (parallel) {
      parallel->broadcast_state(model, optimizer, false);
    }
    // One step of the whole batch, or (data parallel) of this rank's rows; returns this rank's rows.
    auto one_step = [&](int64_t i) -> int64_t {
      StepShare share;
      share.reduce = [&]() { parallel->reduce_gradients(model); };
      if (text) {
        if (!parallel) {
          text_train_step(model, optimizer, text_batch, config.train.gradient_clip);
          return batch_size;
        }
        const auto block = parallel->rows(batch_size);
        TextBatch rows{text_batch.inputs.narrow(0, block.first, block.count),
                       text_batch.targets.narrow(0, block.first, block.count)};
        share.loss_scale = static_cast<double>(block.count) / static_cast<double>(batch_size);
        text_train_step(model, optimizer, rows, config.train.gradient_clip, &share);
        return block.count;
      }
      const auto& batch = batches[static_cast<size_t>(i) % batches.size()];
      if (!parallel) {
        train_step(model, optimizer, batch, all_positions);  // reads the loss: the step is complete
        return batch.inputs.size(0);
      }
      const auto block = parallel->rows(batch.inputs.size(0));
      const auto rows = batch_rows(batch, block);
      share.loss_scale =
          static_cast<double>(rows.positions.numel()) / static_cast<double>(batch.positions.numel());
      share.auxiliary_scale = static_cast<double>(block.count) / static_cast<double>(batch.inputs.size(0));
      train_step(model, optimizer, rows, all_positions, &share);
      return block.count;
    };
    for (int64_t i = 0; i < args->warmup; ++i) {
      one_step(i);
    }
    const double reduce_before = parallel ? parallel->reduce_seconds() : 0.0;
    int64_t examples = 0;  // this rank's
    auto timed_steps = [&]() {
      for (int64_t i = 0; i < args->steps; ++i) {
        examples += one_step(args->warmup + i);
      }
    };
    const auto start = std::chrono::steady_clock::now();
    if (args->profile.empty() || (ranks.group && ranks.group->rank() != 0)) {
      timed_steps();
    } else {
#ifdef ZOOLAB_HAS_RECORD_PROFILE
      torch::autograd::profiler::RecordProfile record(args->profile);
      timed_steps();
#else
      throw std::runtime_error("--profile: this LibTorch has no legacy profiler");
#endif
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    int64_t total_examples = examples;
    double total_seconds = seconds;
    nlohmann::json per_rank;
    if (parallel) {
      // Every rank's examples, seconds and all-reduce seconds, gathered by a sum of one-hot slots.
      const int world = parallel->world_size();
      std::vector<double> slots(static_cast<size_t>(3 * world), 0.0);
      const auto mine = static_cast<size_t>(3 * parallel->rank());
      slots[mine] = static_cast<double>(examples);
      slots[mine + 1] = seconds;
      slots[mine + 2] = parallel->reduce_seconds() - reduce_before;
      const auto all = ranks.group->all_reduce_sum(slots, "gathering the bench results");
      total_examples = 0;
      total_seconds = 0.0;
      double reduce_seconds = 0.0;
      std::vector<double> rates;
      for (int r = 0; r < world; ++r) {
        const auto at = static_cast<size_t>(3 * r);
        total_examples += static_cast<int64_t>(all[at]);
        total_seconds = std::max(total_seconds, all[at + 1]);
        reduce_seconds += all[at + 2];
        rates.push_back(all[at] / all[at + 1]);
      }
      per_rank = {{"ranks", world},
                  {"examples_per_s_per_rank", rates},
                  {"allreduce_seconds_per_step", reduce_seconds / world / static_cast<double>(args->steps)}};
      if (parallel->rank() != 0) {
        state.exit_code = 0;
        return;
      }
    }
    nlohmann::json result = {{"train_examples_per_s", static_cast<double>(total_examples) / total_seconds},
                             {"steps", args->steps},
                             {"seconds", total_seconds},
                             {"batch_size", batch_size},
                             {"seq_len", seq_len},
                             {"mixer", config.model.sequence_mixer.name},
                             {"d_model", config.model.d_model},
                             {"lm_head", config.train.lm_head},
                             {"threads", threads},
                             {"device", args->device},
                             {"blas_core", kernels::blas_core()}};
    if (text) {
      result["train_tokens_per_s"] = static_cast<double>(total_examples * seq_len) / total_seconds;
    }
    if (!per_rank.is_null()) {
      result.update(per_rank);
    }
    // A text configuration has no MQAR test split: its validation is not timed here.
    add_memory_and_evaluation_fields(result, model, config, device, !args->skip_eval && !text,
                                     args->eval_profile);
    std::cout << result.dump() << std::endl;
    state.exit_code = 0;
    if (ranks.local) {
      const auto grace =
          std::chrono::milliseconds(static_cast<int64_t>(args->collective_timeout * 1000.0) + 10000);
      for (const auto& failure : ranks.local->wait(grace)) {
        std::cerr << "zoolab-cli: bench: " << failure << "\n";
        state.exit_code = 1;
      }
    }
  });
}

}  // namespace zoolab
