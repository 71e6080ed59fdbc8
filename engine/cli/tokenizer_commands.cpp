// zoolab-cli tokenizer encode | decode | train: the byte-level BPE of engine/text/byte_level_bpe.h from
// the command line (docs/architecture.md#text-pipeline), so ids can be checked against other tokenizers from
// outside.

#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "engine/cli/commands.h"
#include "engine/text/bpe_trainer.h"
#include "engine/text/byte_level_bpe.h"
#include "engine/text/corpus.h"
#include "engine/util/strict_json.h"

namespace zoolab {

namespace {

// All of FILE, or of standard input when FILE is empty or "-".
std::string read_input(const std::string& path) {
  if (path.empty() || path == "-") {
    std::ostringstream content;
    content << std::cin.rdbuf();
    return std::move(content).str();
  }
  std::ifstream file(path, std::ios::binary);
  if (!file)
    throw std::runtime_error("cannot open input " + path + " (missing or unreadable file)");
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

}  // namespace

void add_tokenizer_commands(CLI::App& app, CliState& state) {
  struct TokenizerArgs {
    std::string tokenizer;
    std::string in;
    std::string corpus;
    int64_t vocab_size = 0;
    std::string out;
    std::string on_bad_input = "skip";
  };
  auto args = std::make_shared<TokenizerArgs>();
  auto* group = app.add_subcommand("tokenizer", "Byte-level BPE: encode, decode, train (GPT-2 compatible)");
  group->require_subcommand(1);
  const char* tokenizer_help = "A tokenizer.json, or a folder with GPT-2's encoder.json and vocab.bpe";

  auto* encode = group->add_subcommand("encode", "Print the token ids of a text as one JSON array");
  encode->add_option("--tokenizer", args->tokenizer, tokenizer_help)->required();
  encode->add_option("--in", args->in, "Text file (default: standard input)");
  encode->callback([args, &state]() {
    const BpeTokenizer tokenizer = BpeTokenizer::load(args->tokenizer);
    const std::vector<int32_t> ids = tokenizer.encode(read_input(args->in));
    std::string out = "[";
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i > 0)
        out += ',';
      out += std::to_string(ids[i]);
    }
    out += "]\n";
    std::cout << out << std::flush;
    state.exit_code = 0;
  });

  auto* decode = group->add_subcommand("decode", "Write the text of a JSON array of token ids");
  decode->add_option("--tokenizer", args->tokenizer, tokenizer_help)->required();
  decode->add_option("--in", args->in, "File with a JSON array of ids (default: standard input)");
  decode->callback([args, &state]() {
    const BpeTokenizer tokenizer = BpeTokenizer::load(args->tokenizer);
    const std::string input = read_input(args->in);
    const std::string source = args->in.empty() ? "standard input" : args->in;
    nlohmann::json ids;
    try {
      ids = parse_strict_json(input);
    } catch (const JsonSyntaxError& error) {
      throw InputError(source + ": " + error.what() + "; expected an array of ids");
    }
    if (!ids.is_array())
      throw std::runtime_error(source + ": expected a JSON array of token ids");
    std::vector<int32_t> tokens;
    tokens.reserve(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!ids[i].is_number_integer()) {
        throw std::runtime_error(source + ": element " + std::to_string(i) + " is " + ids[i].dump() +
                                 ", not a token id");
      }
      const auto id = ids[i].get<int64_t>();
      if (id < 0 || id >= tokenizer.vocab_size()) {
        throw std::runtime_error(source + ": element " + std::to_string(i) + " is " + std::to_string(id) +
                                 ", outside the vocabulary (ids 0.." +
                                 std::to_string(tokenizer.vocab_size() - 1) + ")");
      }
      tokens.push_back(static_cast<int32_t>(id));
    }
    const std::string text = tokenizer.decode(tokens);
    std::cout.write(text.data(), static_cast<std::streamsize>(text.size()));
    std::cout.flush();
    state.exit_code = 0;
  });

  auto* train = group->add_subcommand("train", "Learn a byte-level BPE vocabulary from a corpus");
  train
      ->add_option("--corpus", args->corpus,
                   "Pile-format .jsonl / .jsonl.zst, a text file, or a folder of text files")
      ->required();
  train
      ->add_option("--vocab-size", args->vocab_size,
                   "Tokens in the vocabulary: 256 bytes + merges + <|endoftext|> (at least 257)")
      ->required();
  train->add_option("--out", args->out, "The tokenizer.json to write")->required();
  train
      ->add_option("--on-bad-input", args->on_bad_input,
                   "skip: report and skip bad lines or files; refuse: stop at the first")
      ->check(CLI::IsMember({"skip", "refuse"}));
  train->callback([args, &state]() {
    const auto start = std::chrono::steady_clock::now();
    BpeTrainerOptions options;
    options.vocab_size = args->vocab_size;
    options.progress_every = 512;
    options.progress = [](int64_t tokens, int64_t target) {
      std::cerr << "  " << tokens << " / " << target << " tokens\n";
    };
    BpeTrainer trainer(options);
    CorpusReader reader({CorpusInput{args->corpus, ""}}, parse_on_bad_input(args->on_bad_input));
    reader.set_problem_callback(
        [](const CorpusProblem& problem) { std::cerr << "skipped: " << problem.to_string() << "\n"; });
    CorpusDocument document;
    while (reader.next(document))
      trainer.add_text(document.text);
    const CorpusStats& stats = reader.stats();
    if (stats.documents == 0)
      throw std::runtime_error("corpus " + args->corpus + " has no documents to learn from");
    std::cerr << "counted " << trainer.words_seen() << " words (" << trainer.unique_words()
              << " distinct) in " << stats.documents << " documents, " << stats.text_bytes << " bytes\n";
    const BpeTokenizer tokenizer = trainer.train();
    tokenizer.save_json(args->out);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (tokenizer.vocab_size() < args->vocab_size) {
      std::cerr << "note: the corpus allowed only " << tokenizer.vocab_size() << " of the "
                << args->vocab_size << " tokens asked for (no pair of tokens was left to merge)\n";
    }
    std::cerr << "wrote " << args->out << ": " << tokenizer.vocab_size() << " tokens in " << seconds << " s"
              << (stats.problems > 0 ? ", " + std::to_string(stats.problems) + " problems skipped" : "")
              << "\n";
    state.exit_code = 0;
  });
}

}  // namespace zoolab
