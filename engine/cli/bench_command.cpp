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
#include "engine/train/evaluation.h"
#include "engine/train/model_setup.h"
#include "engine/train/train_step.h"
#include "engine/train/trainer.h"

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
  bench->add_flag(
      "--skip-eval", args->skip_eval,
      "Do not time an evaluation pass over the test split (eval_examples_per_s); it takes seconds "
      "to minutes for the large presets");
  bench->add_option("--eval-profile", args->eval_profile,
                    "Write a Chrome trace of the timed evaluation pass to FILE");
  bench->callback([args, &state]() {
    auto config = load_config_option(args->source);
    if (is_text_task(config.data)) {
      throw ConfigError("data.task",
                        "bench times MQAR steps; a text run prints its tokens/s at every "
                        "validation (`zoolab-cli train`)");
    }
    if (!args->lm_head.empty()) {
      config.train.lm_head = args->lm_head;
    }
    const int threads = configure_threads(args->threads);
    if (args->device == "cuda" && !torch::cuda::is_available()) {
      throw std::runtime_error("--device cuda: this LibTorch has no CUDA support or no GPU is visible");
    }
    const torch::Device device =
        args->device == "cuda" ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);

    // Only as many examples as the timed steps use, from the first training segment.
    auto segment = config.data.train.front();
    const int64_t batch_size = config.data.train_batch_size;
    segment.num_examples = std::min<int64_t>(segment.num_examples, batch_size * (args->steps + args->warmup));
    const auto seeds = segment_seeds(config.data);
    auto split = make_batches(load_segments({segment}, {seeds.train.front()}, config.data.vocab_size, ""),
                              batch_size, device);

    torch::manual_seed(config.seed);
    LanguageModel model(language_model_options(config));
    model->to(device);
    model->train();
    auto optimizer = make_optimizer(model, config);
    const bool all_positions = config.train.lm_head == "all";
    const auto& batches = split.batches;
    for (int64_t i = 0; i < args->warmup; ++i) {
      train_step(model, optimizer, batches[i % batches.size()], all_positions);
    }
    int64_t examples = 0;
    auto timed_steps = [&]() {
      for (int64_t i = 0; i < args->steps; ++i) {
        const auto& batch = batches[(args->warmup + i) % batches.size()];
        train_step(model, optimizer, batch, all_positions);  // reads the loss: the step is complete
        examples += batch.inputs.size(0);
      }
    };
    const auto start = std::chrono::steady_clock::now();
    if (args->profile.empty()) {
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
    nlohmann::json result = {{"train_examples_per_s", static_cast<double>(examples) / seconds},
                             {"steps", args->steps},
                             {"seconds", seconds},
                             {"batch_size", batch_size},
                             {"seq_len", segment.input_seq_len},
                             {"mixer", config.model.sequence_mixer.name},
                             {"d_model", config.model.d_model},
                             {"lm_head", config.train.lm_head},
                             {"threads", threads},
                             {"device", args->device}};
    add_memory_and_evaluation_fields(result, model, config, device, !args->skip_eval, args->eval_profile);
    std::cout << result.dump() << std::endl;
    state.exit_code = 0;
  });
}

}  // namespace zoolab
