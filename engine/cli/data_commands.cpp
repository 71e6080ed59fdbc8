// zoolab-cli data mqar: the generated data as JSON lines, so anyone can check it from outside.
// zoolab-cli data export: the same for every task of the task registry (engine/data/task_registry.h), one
// segment at a time, streamed to a temporary file that is renamed into place.
// zoolab-cli data corpus / data tokenize: the text pipeline's input (docs/architecture.md#text-pipeline):
// Pile-format corpora from files, folders or the Debian-packaged sample texts, and token shards from a corpus
// and a tokenizer.

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "engine/cli/commands.h"
#include "engine/data/task_registry.h"
#include "engine/text/byte_level_bpe.h"
#include "engine/text/corpus.h"
#include "engine/text/file_header.h"
#include "engine/text/sample_corpus.h"
#include "engine/text/tokenize_corpus.h"
#include "engine/util/input_error.h"

namespace zoolab {

namespace {

// "1.23 MB": sizes people read at a glance.
std::string megabytes(int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f MB", static_cast<double>(bytes) / 1e6);
  return text;
}

void print_problem(const CorpusProblem& problem) {
  std::cerr << problem.to_string() << "\n";
}

void add_corpus_command(CLI::App& data, CliState& state) {
  struct CorpusArgs {
    std::vector<std::string> from;
    std::string set_name;
    std::string out;
    std::string on_error = "skip";
    bool sample = false;
    int64_t sample_limit = 0;
    int64_t sample_copyrights = 0;
    int level = 6;
  };
  auto args = std::make_shared<CorpusArgs>();
  auto* corpus = data.add_subcommand(
      "corpus", "Write a Pile-format corpus (.jsonl or .jsonl.zst) from files, folders or the sample texts");
  corpus->add_option(
      "--from", args->from,
      "A .jsonl / .jsonl.zst file, a text file, or a folder of text files (one document each); "
      "repeatable");
  corpus->add_option("--set-name", args->set_name,
                     "pile_set_name of documents that have none (default: the folder's or file's name)");
  corpus->add_option("--out", args->out, "Output file, .jsonl or .jsonl.zst")->required();
  corpus
      ->add_option("--on-error,--on-bad-input", args->on_error,
                   "Bad input (malformed line, invalid UTF-8, truncated .zst): skip it and report, or refuse")
      ->check(CLI::IsMember({"skip", "refuse"}));
  corpus->add_flag("--sample", args->sample,
                   "Add the sample texts Debian packages ship: King James Bible, fortunes, licences "
                   "(packaging/sample-corpus.sh installs them)");
  corpus
      ->add_option("--sample-limit", args->sample_limit,
                   "Take about this many bytes from each sample source (0: all); for tiny test corpora")
      ->check(CLI::NonNegativeNumber);
  corpus
      ->add_option("--sample-copyrights", args->sample_copyrights,
                   "Also take /usr/share/doc/*/copyright files, up to this many bytes")
      ->check(CLI::NonNegativeNumber);
  corpus->add_option("--level", args->level, "zstd compression level for .zst output")
      ->check(CLI::Range(1, 19));
  corpus->callback([args, &state]() {
    if (args->from.empty() && !args->sample)
      throw std::invalid_argument("data corpus: give --from PATH (repeatable), --sample, or both");
    CorpusWriter writer(args->out, args->level);
    if (args->sample) {
      SampleCorpusOptions options;
      options.max_bytes_per_source = args->sample_limit;
      options.copyright_bytes = args->sample_copyrights;
      if (args->sample_limit > 0)
        options.min_bytes = std::min<int64_t>(options.min_bytes, args->sample_limit);
      const auto report = write_sample_corpus(writer, options);
      for (const auto& source : report.sources)
        std::cout << "sample " << source.name << ": " << source.documents << " documents, "
                  << megabytes(source.bytes) << " from " << source.origin << "\n";
      for (const auto& skipped : report.skipped)
        std::cerr << "sample: left out " << skipped << "\n";
    }
    int64_t problems = 0;
    if (!args->from.empty()) {
      std::vector<CorpusInput> inputs;
      for (const auto& path : args->from)
        inputs.push_back({path, args->set_name});
      CorpusReader reader(inputs, parse_on_bad_input(args->on_error));
      reader.set_problem_callback(print_problem);
      CorpusDocument document;
      while (reader.next(document))
        writer.add(document.text, document.set_name);
      const auto& stats = reader.stats();
      problems = stats.problems;
      std::cout << "read " << stats.documents << " documents (" << megabytes(stats.text_bytes)
                << " of text) from " << stats.files << " files; " << stats.problems << " problems skipped\n";
    }
    const int64_t size = writer.finish();
    std::cout << "wrote " << writer.documents() << " documents (" << megabytes(writer.text_bytes())
              << " of text) to " << args->out << " (" << megabytes(size) << ")\n";
    if (problems > 0)
      std::cout << "skipped " << problems << " problems (listed above as file:line: what)\n";
    state.exit_code = 0;
  });
}

void add_tokenize_command(CLI::App& data, CliState& state) {
  struct TokenizeArgs {
    std::vector<std::string> corpus;
    std::string tokenizer;
    std::string out;
    double valid_fraction = 0.01;
    uint64_t seed = 0;
    std::string on_error = "skip";
    int threads = 1;
    bool json = false;
  };
  auto args = std::make_shared<TokenizeArgs>();
  auto* tokenize = data.add_subcommand(
      "tokenize",
      "Tokenize a corpus into a shards folder (train.ztok, valid.ztok, bigrams.zbg, tokenizer.json)");
  tokenize
      ->add_option("--corpus", args->corpus, "A .jsonl / .jsonl.zst corpus, text file or folder; repeatable")
      ->required();
  tokenize
      ->add_option("--tokenizer", args->tokenizer,
                   "tokenizer.json, or a folder with GPT-2's encoder.json and vocab.bpe")
      ->required();
  tokenize->add_option("--out", args->out, "The shards folder (created; its files are replaced)")->required();
  tokenize
      ->add_option("--valid-fraction", args->valid_fraction,
                   "Share of documents held out for validation (at least one document)")
      ->check(CLI::Range(0.0, 0.99));
  tokenize->add_option("--seed", args->seed, "Seed of the document split");
  tokenize
      ->add_option("--on-error,--on-bad-input", args->on_error, "Bad input: skip it and report, or refuse")
      ->check(CLI::IsMember({"skip", "refuse"}));
  tokenize->add_option("--threads", args->threads, "Documents encoded in parallel")
      ->check(CLI::Range(1, 256));
  tokenize->add_flag("--json", args->json, "Print the manifest as JSON instead of a summary");
  tokenize->callback([args, &state]() {
    const BpeTokenizer tokenizer = BpeTokenizer::load(args->tokenizer);
    std::vector<CorpusInput> inputs;
    for (const auto& path : args->corpus)
      inputs.push_back({path, ""});
    TokenizeOptions options;
    options.valid_fraction = args->valid_fraction;
    options.seed = args->seed;
    options.on_bad_input = parse_on_bad_input(args->on_error);
    options.threads = args->threads;
    options.tokenizer_source = std::filesystem::absolute(args->tokenizer).string();
    options.on_problem = print_problem;
    options.on_progress = [](const TokenizeProgress& p) {
      if (p.seconds >= 1.0)
        std::cerr << "tokenized " << p.documents << "/" << p.total_documents << " documents, " << p.tokens
                  << " tokens, " << static_cast<int64_t>(p.tokens / p.seconds) << " tokens/s\n";
    };
    const auto report = tokenize_corpus(inputs, tokenizer, args->out, options);
    if (args->json) {
      std::cout << report.manifest.dump(2) << "\n";
    } else {
      std::cout << "train: " << report.train.documents << " documents, " << report.train.tokens << " tokens ("
                << report.train.dtype << ")\n"
                << "valid: " << report.valid.documents << " documents, " << report.valid.tokens << " tokens\n"
                << "bigrams: " << report.bigrams << " distinct in the training split\n"
                << "corpus: " << report.corpus.documents << " documents, "
                << megabytes(report.corpus.text_bytes) << " of text, " << report.corpus.problems
                << " problems skipped\n";
      char line[160];
      std::snprintf(line, sizeof(line), "throughput: %.0f tokens/s (%.2f s, %d thread%s), %.2f bytes/token\n",
                    report.tokens_per_second, report.seconds, args->threads, args->threads == 1 ? "" : "s",
                    report.bytes_per_token);
      std::cout << line << "wrote " << args->out << "\n";
    }
    state.exit_code = 0;
  });
}

// The fields every exported line has; a slice key of the same name would overwrite one of them.
constexpr const char* kExportFields[] = {"segment", "task", "inputs", "labels"};

void export_append_tokens(std::string& line, const int64_t* values, int64_t count) {
  line += '[';
  char digits[24];
  for (int64_t i = 0; i < count; ++i) {
    if (i > 0) {
      line += ',';
    }
    const auto end = std::to_chars(digits, digits + sizeof(digits), values[i]).ptr;
    line.append(digits, end);
  }
  line += ']';
}

// Where `data export` writes: standard output for "-", else a temporary file beside the target that
// commit() renames into place, so an interrupted or failed export never leaves a half-written file under the
// target's name (and a file that was there stays as it was). The temporary file is removed unless committed.
class ExportOutput {
 public:
  explicit ExportOutput(const std::string& out) : m_out(out) {
    if (out == "-") {
      return;
    }
    namespace fs = std::filesystem;
    std::error_code ec;
    // A link is followed, as a plain write would: the file it names is replaced, not the link.
    m_target = out;
    if (fs::is_symlink(fs::symlink_status(out, ec))) {
      m_target = fs::weakly_canonical(out, ec).string();
      if (ec) {
        throw InputError("--out " + out + ": cannot follow the link (" + ec.message() + ")");
      }
    }
    if (fs::is_directory(m_target, ec)) {
      throw InputError("--out " + out + " is a folder; give the file to write, e.g. " +
                       (fs::path(out) / "test.jsonl").string());
    }
    fs::path folder = fs::path(m_target).parent_path();
    if (folder.empty()) {
      folder = ".";
    }
    if (!fs::is_directory(folder, ec)) {
      throw InputError("--out " + out + ": " +
                       (fs::exists(folder, ec)
                            ? folder.string() + " is not a folder"
                            : "the folder " + folder.string() + " does not exist (create it first)"));
    }
    if (fs::exists(fs::symlink_status(m_target, ec)) && ::access(m_target.c_str(), W_OK) != 0) {
      throw InputError("--out " + out + ": the file cannot be written (" + std::strerror(errno) + ")");
    }
    m_temp = temporary_path_for(m_target);
    m_file.open(m_temp, std::ios::binary | std::ios::trunc);
    if (!m_file) {
      const std::string reason = std::strerror(errno);
      throw InputError("--out " + out + ": cannot write in the folder " + folder.string() + " (" + reason +
                       ")");
    }
  }
  ~ExportOutput() {
    if (!m_temp.empty() && !m_committed) {
      m_file.close();
      std::error_code ignored;
      std::filesystem::remove(m_temp, ignored);
    }
  }
  ExportOutput(const ExportOutput&) = delete;
  ExportOutput& operator=(const ExportOutput&) = delete;

  std::ostream& stream() { return m_out == "-" ? std::cout : m_file; }

  // Checks that every byte got out (a full disk shows here), then moves the file into place.
  void commit() {
    stream().flush();
    if (m_out != "-") {
      m_file.close();
    }
    if (!stream()) {
      throw std::runtime_error("writing " + (m_out == "-" ? std::string("standard output") : m_out) +
                               " failed (disk full?)");
    }
    if (m_out != "-") {
      commit_temporary(m_temp, m_target);
      m_committed = true;
    }
  }

 private:
  std::string m_out;
  std::string m_target;
  std::string m_temp;
  std::ofstream m_file;
  bool m_committed = false;
};

// Every example of a split as JSON lines ({"segment", ["task",] "inputs", "labels", slices}), generated
// segment by segment with the run's seeds, written atomically (or to standard output for "-").
void write_split_jsonl(const RunConfig& config, const std::string& split, const std::string& out_path,
                       bool with_task) {
  // The seeds and the generator training uses (load_or_generate without its cache, which gives the same
  // tokens): the export is the data a run of this configuration trains or is evaluated on.
  const auto seeds = segment_seeds(config.data);
  const bool train = split == "train";
  const auto& segments = train ? config.data.train : config.data.test;
  const auto& split_seeds = train ? seeds.train : seeds.test;

  ExportOutput output(out_path);
  std::ostream& out = output.stream();
  std::string line;
  int64_t written = 0;
  for (size_t s = 0; s < segments.size(); ++s) {
    // One segment in memory at a time, and one line of it as text.
    const auto segment = generate_segment(segments[s], config.data.vocab_size, split_seeds[s]);
    const int64_t length = segment.seq_len;
    if (static_cast<int64_t>(segment.inputs.size()) != segment.num_examples * length ||
        segment.labels.size() != segment.inputs.size()) {
      throw std::logic_error("task \"" + segment.task + "\" generated a segment of the wrong size");
    }
    std::string slices;
    for (const auto& [key, value] : segment.slices) {
      for (const char* field : kExportFields) {
        if (key == field) {
          throw std::logic_error("task \"" + segment.task + "\" has a slice key \"" + key +
                                 "\", a field of every exported line");
        }
      }
      slices += "," + nlohmann::json(key).dump() + ":" + std::to_string(value);
    }
    const std::string head =
        "{\"segment\":" + std::to_string(s) +
        (with_task ? ",\"task\":" + nlohmann::json(segment.task).dump() : std::string()) + ",\"inputs\":";
    for (int64_t i = 0; i < segment.num_examples; ++i) {
      line = head;
      export_append_tokens(line, segment.inputs.data() + i * length, length);
      line += ",\"labels\":";
      export_append_tokens(line, segment.labels.data() + i * length, length);
      line += slices;
      line += "}\n";
      out.write(line.data(), static_cast<std::streamsize>(line.size()));
      ++written;
    }
    if (!out) {
      break;  // commit() reports it
    }
  }
  output.commit();
  if (out_path != "-") {
    std::cerr << "wrote " << written << " examples of " << segments.size()
              << (segments.size() == 1 ? " segment" : " segments") << " (" << split << " split) to "
              << out_path << "\n";
  }
}

void add_export_command(CLI::App& data, CliState& state) {
  struct ExportArgs {
    ConfigSource source;
    std::string split = "train";
    std::string out;
  };
  auto args = std::make_shared<ExportArgs>();
  auto* command = data.add_subcommand(
      "export", "Write every example of a split, of any task (`zoolab-cli tasks`), as JSON lines");
  add_config_options(command, args->source);
  command->add_option("--split", args->split, "train or test (default: train)")
      ->check(CLI::IsMember({"train", "test"}));
  command
      ->add_option("--out", args->out,
                   "Output file (.jsonl), replaced when it exists; '-' for standard output. One line per "
                   "example: {\"segment\", \"task\", \"inputs\", \"labels\", and the segment's slices}")
      ->required();
  command->callback([args, &state]() {
    const auto config = load_config_option(args->source);
    if (is_text_task(config.data)) {
      throw ConfigError("data.task",
                        "`data export` writes the segments of a task run; a text run's data are token shards "
                        "(`zoolab-cli data tokenize`)");
    }
    write_split_jsonl(config, args->split, args->out, /*with_task=*/true);
    state.exit_code = 0;
  });
}

}  // namespace

void add_data_commands(CLI::App& app, CliState& state) {
  struct DataArgs {
    ConfigSource source;
    std::string split = "train";
    std::string out;
  };
  auto args = std::make_shared<DataArgs>();
  auto* data = app.add_subcommand("data", "Generate and export task data");
  data->require_subcommand(1);
  auto* mqar = data->add_subcommand("mqar", "Write the MQAR examples of a configuration as JSON lines");
  add_config_options(mqar, args->source);
  mqar->add_option("--split", args->split, "train or test")->check(CLI::IsMember({"train", "test"}));
  mqar->add_option("--out", args->out, "Output file (.jsonl); '-' for standard output")->required();
  mqar->callback([args, &state]() {
    const auto config = load_config_option(args->source);
    if (is_text_task(config.data)) {
      throw ConfigError("data.task",
                        "`data mqar` writes MQAR segments; a text run's data are token shards "
                        "(`zoolab-cli data tokenize`)");
    }
    const auto& segments = args->split == "train" ? config.data.train : config.data.test;
    for (size_t s = 0; s < segments.size(); ++s) {
      if (segments[s].task != "mqar") {
        throw ConfigError("data." + args->split + "[" + std::to_string(s) + "].task",
                          "`data mqar` writes MQAR segments, this one is \"" + segments[s].task +
                              "\"; `zoolab-cli data export` writes the segments of every task");
      }
    }
    // The lines of `data export` without their "task" (every segment is MQAR).
    write_split_jsonl(config, args->split, args->out, /*with_task=*/false);
    state.exit_code = 0;
  });
  add_export_command(*data, state);
  add_corpus_command(*data, state);
  add_tokenize_command(*data, state);
}

}  // namespace zoolab
