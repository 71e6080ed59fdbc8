// zoolab-cli bench: training throughput of a configuration, measured on the trainer's own step.

#include <chrono>
#include <iostream>

#include <torch/torch.h>
#if __has_include(<torch/csrc/autograd/profiler_legacy.h>)
#include <torch/csrc/autograd/profiler_legacy.h>
#define ZOOLAB_HAS_RECORD_PROFILE 1
#endif

#include "engine/cli/commands.h"
#include "engine/train/batches.h"
#include "engine/train/model_setup.h"
#include "engine/train/train_step.h"
#include "engine/train/trainer.h"

namespace zoolab {

void add_bench_command(CLI::App& app, CliState& state) {
  struct BenchArgs {
    ConfigSource source;
    int64_t steps = 20;
    int64_t warmup = 3;
    int threads = 0;
    std::string device = "cpu";
    std::string lm_head;
    std::string profile;
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
    const nlohmann::json result = {{"train_examples_per_s", static_cast<double>(examples) / seconds},
                                   {"steps", args->steps},
                                   {"seconds", seconds},
                                   {"batch_size", batch_size},
                                   {"seq_len", segment.input_seq_len},
                                   {"mixer", config.model.sequence_mixer.name},
                                   {"d_model", config.model.d_model},
                                   {"lm_head", config.train.lm_head},
                                   {"threads", threads},
                                   {"device", args->device}};
    std::cout << result.dump() << std::endl;
    state.exit_code = 0;
  });
}

}  // namespace zoolab
