// zoolab-cli demo text: the whole text pipeline in one command, for a new user
// (docs/architecture.md#text-pipeline): the sample corpus (engine/text/sample_corpus.h) → a 4096-token BPE
// vocabulary learned from it → token shards with a held-out validation split → the tiny attention and
// BaseConv presets → their AR-hit analysis side by side. Every stage that already exists in the demo folder
// is reused, so a second call only trains (or, when both runs finished with the same configuration, only
// prints).

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "engine/cli/commands.h"
#include "engine/store/run_queue.h"
#include "engine/text/bpe_trainer.h"
#include "engine/text/corpus.h"
#include "engine/text/sample_corpus.h"
#include "engine/text/token_shards.h"
#include "engine/text/tokenize_corpus.h"
#include "engine/train/stop_request.h"

namespace zoolab {
namespace {

namespace fs = std::filesystem;

struct DemoArgs {
  std::string db;
  std::string dir;
  int threads = 0;
  int64_t vocab_size = 4096;  // the tiny presets' data.vocab_size
  int64_t train_tokens = 0;   // 0: the presets' budget
  double valid_fraction = 0.05;
};

// The two models the paper's first finding contrasts (docs/reference.md#text-runs-and-ar-hits): attention and
// a gated convolution. The gap is reported as BaseConv minus attention, so a positive share is the paper's.
constexpr const char* kAttentionPreset = "text-tiny-attention";
constexpr const char* kConvolutionPreset = "text-tiny-baseconv";

void stage(const std::string& text) {
  std::cout << "\n== " << text << std::endl;
}

void build_corpus(const fs::path& path) {
  if (fs::exists(path)) {
    std::cout << "reusing " << path.string() << std::endl;
    return;
  }
  CorpusWriter writer(path.string());
  const auto report = write_sample_corpus(writer);
  writer.finish();
  for (const auto& source : report.sources) {
    std::printf("  %-10s %5lld documents %9lld bytes  %s\n", source.name.c_str(),
                static_cast<long long>(source.documents), static_cast<long long>(source.bytes),
                source.origin.c_str());
  }
  std::printf("wrote %s: %lld documents, %.2f MB of text\n", path.string().c_str(),
              static_cast<long long>(report.documents), static_cast<double>(report.bytes) / 1e6);
}

// What to tell a user whose demo folder was made with other settings.
std::string another_folder_hint(const fs::path& dir) {
  return "pass another --dir, or delete " + dir.string() + " to rebuild it";
}

// The tokenizer of the demo: learned from the corpus, or the one a previous call left. A reused one must
// have the requested size (a fresh one may be smaller when the corpus runs out of pairs to merge).
BpeTokenizer build_tokenizer(const fs::path& corpus, const fs::path& path, int64_t vocab_size) {
  if (fs::exists(path)) {
    auto tokenizer = BpeTokenizer::load(path.string());
    if (tokenizer.vocab_size() != vocab_size) {
      throw std::runtime_error(
          path.string() + " has " + std::to_string(tokenizer.vocab_size()) + " tokens, not the " +
          std::to_string(vocab_size) +
          " of --vocab-size: the demo folder was made with another vocabulary; " +
          (tokenizer.vocab_size() < vocab_size
               ? "pass --vocab-size " + std::to_string(tokenizer.vocab_size()) + " to reuse it, or "
               : std::string()) +
          another_folder_hint(path.parent_path()));
    }
    std::cout << "reusing " << path.string() << std::endl;
    return tokenizer;
  }
  BpeTrainerOptions options;
  options.vocab_size = vocab_size;
  BpeTrainer trainer(options);
  CorpusReader reader({CorpusInput{corpus.string(), ""}}, OnBadInput::Refuse);
  CorpusDocument document;
  while (reader.next(document)) {
    trainer.add_text(document.text);
  }
  const auto pieces = trainer.words_seen();
  const auto distinct = trainer.unique_words();
  auto tokenizer = trainer.train();
  tokenizer.save_json(path.string());
  std::printf("learned %lld tokens from %lld pieces (%lld distinct); wrote %s\n",
              static_cast<long long>(tokenizer.vocab_size()), static_cast<long long>(pieces),
              static_cast<long long>(distinct), path.string().c_str());
  if (tokenizer.vocab_size() < vocab_size) {
    std::printf(
        "(the corpus has no more pairs to merge; later calls reuse this folder with --vocab-size %lld)\n",
        static_cast<long long>(tokenizer.vocab_size()));
  }
  return tokenizer;
}

void build_shards(const fs::path& corpus, const fs::path& tokenizer_path, const BpeTokenizer& tokenizer,
                  const fs::path& dir, double valid_fraction, int threads) {
  const auto folder = shards_folder(dir.string());
  if (fs::exists(folder.manifest)) {
    // Shards of another tokenizer would train on ids the analysis decodes with the wrong vocabulary.
    const int64_t shard_vocab = TokenShard(folder.train).info().vocab_size;
    if (shard_vocab != tokenizer.vocab_size()) {
      throw std::runtime_error(folder.train + " has vocab_size " + std::to_string(shard_vocab) + ", but " +
                               tokenizer_path.string() + " has " + std::to_string(tokenizer.vocab_size()) +
                               " tokens: the shards were made with another tokenizer; " +
                               another_folder_hint(dir.parent_path()) + " (or delete " + dir.string() +
                               " to tokenize again)");
    }
    std::cout << "reusing " << dir.string() << std::endl;
    return;
  }
  TokenizeOptions options;
  options.valid_fraction = valid_fraction;
  options.threads = std::max(1, threads);
  options.tokenizer_source = tokenizer_path.string();
  options.on_bad_input = OnBadInput::Refuse;
  const auto report = tokenize_corpus({CorpusInput{corpus.string(), ""}}, tokenizer, dir.string(), options);
  std::printf(
      "train %lld tokens, valid %lld tokens, %lld distinct training bigrams; %.0f tokens/s, %.2f "
      "bytes/token\n",
      static_cast<long long>(report.train.tokens), static_cast<long long>(report.valid.tokens),
      static_cast<long long>(report.bigrams), report.tokens_per_second, report.bytes_per_token);
}

// A smaller budget keeps the presets' shape of training: warm-up and validation spacing scale with it.
void scale_budget(RunConfig& config, int64_t train_tokens) {
  if (train_tokens <= 0) {
    return;
  }
  const double factor =
      static_cast<double>(train_tokens) / static_cast<double>(config.data.text.train_tokens);
  config.data.text.train_tokens = train_tokens;
  config.train.warmup_steps =
      static_cast<int64_t>(std::floor(static_cast<double>(config.train.warmup_steps) * factor));
  config.train.eval_interval = std::max<int64_t>(
      1, static_cast<int64_t>(std::lround(static_cast<double>(config.train.eval_interval) * factor)));
  config.name += "-" + std::to_string(train_tokens) + "tok";
}

// The run of this exact configuration, trained here unless a finished one is in the database.
RunRecord train_preset(Store& store, const char* preset, const fs::path& shards, const DemoArgs& args) {
  auto config = load_config_option(ConfigSource{"", preset, {}});
  apply_shards_option(config, shards.string());
  scale_budget(config, args.train_tokens);
  // Re-validate: the scaled budget must still leave warm-up shorter than training.
  config = parse_run_config(to_json(config));
  auto record = new_run_record(config, RunStatus::Running);
  for (const auto& run : store.list_runs()) {
    if (run.status == RunStatus::Finished && run.config_json == record.config_json) {
      std::cout << "reusing run " << run.id << " \"" << run.name << "\" (finished, same configuration)"
                << std::endl;
      return run;
    }
  }
  record.pid = static_cast<int64_t>(getpid());
  const auto run_id = store.create_run(record);
  std::cout << "run " << run_id << " \"" << config.name << "\" (" << text_train_steps(config.data)
            << " steps)" << std::endl;
  TrainOptions options;
  options.threads = args.threads;
  options.on_epoch = [](const EpochReport& report) {
    std::cout << "  " << format_epoch(report) << std::endl;
  };
  options.on_message = [](const std::string& text) { std::cout << "  " << text << std::endl; };
  const auto result = train_run(store, run_id, config, options);
  if (result.status != RunStatus::Finished) {
    throw std::runtime_error("run " + std::to_string(run_id) + " (" + preset + ") " +
                             to_string(result.status) + ": " + result.message);
  }
  return find_run_or_throw(store, std::to_string(run_id));
}

void run_text_demo(const DemoArgs& args) {
  install_stop_signal_handlers();
  Store store(database_path(args.db));
  store.reap_dead_runs();
  const fs::path dir =
      fs::absolute(args.dir.empty() ? fs::path(store.files_dir()) / "text-demo" : fs::path(args.dir));
  fs::create_directories(dir);
  const auto corpus = dir / "sample.jsonl.zst";
  const auto tokenizer = dir / "tokenizer.json";
  const auto shards = dir / "shards";
  std::cout << "text demo in " << dir.string() << ", runs in " << store.path() << std::endl;

  stage("1/5 sample corpus (free texts from Debian packages)");
  build_corpus(corpus);
  stage("2/5 tokenizer: byte-level BPE with " + std::to_string(args.vocab_size) + " tokens");
  const auto bpe = build_tokenizer(corpus, tokenizer, args.vocab_size);
  stage("3/5 token shards");
  build_shards(corpus, tokenizer, bpe, shards, args.valid_fraction, args.threads);
  stage(std::string("4/5 training ") + kAttentionPreset + " and " + kConvolutionPreset);
  const auto attention = train_preset(store, kAttentionPreset, shards, args);
  const auto convolution = train_preset(store, kConvolutionPreset, shards, args);
  stage("5/5 AR-hit analysis: BaseConv (A) against attention (B)");
  std::cout.flush();
  print_text_analysis(store, convolution, attention, AnalysisOptions{}, /*json=*/false);
  std::fflush(stdout);
  std::cout << "\nnext: zoolab-cli analyze " << convolution.id << " --vs " << attention.id
            << " --json, or the Text tab of `zoolab --db " << store.path() << "`" << std::endl;
}

}  // namespace

void add_demo_command(CLI::App& app, CliState& state) {
  auto args = std::make_shared<DemoArgs>();
  auto* demo = app.add_subcommand("demo", "Try a whole pipeline in one command");
  demo->require_subcommand(1);
  auto* text = demo->add_subcommand(
      "text",
      "Sample corpus -> BPE tokenizer -> token shards -> tiny attention and BaseConv LMs -> AR-hit analysis");
  text->add_option("--db", args->db, kDatabaseOptionHelp);
  text->add_option(
      "--dir", args->dir,
      "Folder for the corpus, tokenizer and shards (default: <database>.files/text-demo); what is "
      "there already is reused");
  text->add_option("--threads", args->threads, "CPU threads (default: every core)")
      ->check(CLI::NonNegativeNumber);
  text->add_option("--vocab-size", args->vocab_size, "Tokenizer vocabulary (the presets' data.vocab_size)")
      ->check(CLI::Range(int64_t{257}, int64_t{4096}))
      ->capture_default_str();
  text->add_option("--train-tokens", args->train_tokens,
                   "Token budget of each model (default: the presets'; warm-up and validation spacing scale "
                   "with it)")
      ->check(CLI::NonNegativeNumber);
  text->add_option("--valid-fraction", args->valid_fraction, "Share of documents held out for validation")
      ->check(CLI::Range(0.0, 0.5))
      ->capture_default_str();
  text->callback([args, &state]() {
    run_text_demo(*args);
    state.exit_code = 0;
  });
}

}  // namespace zoolab
