#include "engine/text/byte_level_bpe.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <queue>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "engine/text/file_header.h"
#include "engine/text/pair_key.h"
#include "engine/text/pretokenizer.h"
#include "engine/text/utf8.h"
#include "engine/text/zstd_stream.h"
#include "engine/util/strict_json.h"

namespace zoolab {

namespace {

// The most tokens a tokenizer file may define. GPT-2 has 50257 and the largest public vocabularies a
// few hundred thousand; the cap keeps a small file from asking for a huge id table.
constexpr int64_t kMaxTokenizerTokens = int64_t{1} << 24;

// A token as a message quotes it: files may hold any text, and a message must not carry control
// characters to the terminal.
std::string quote_token(std::string_view token) {
  return "'" + escape_for_terminal(token) + "'";
}
// Pieces longer than this are not cached: they are rare (long runs of symbols) and would crowd it.
constexpr size_t kMaxCachedPieceBytes = 64;
// A bounded cache per thread and tokenizer: cleared when full, which keeps memory flat on any corpus
// while the common words (almost all of the pieces of real text) come back within a few thousand pieces.
constexpr size_t kMaxCacheEntries = 1 << 16;
// Tokenizers one thread keeps caches for; the least recently used one's cache goes first.
constexpr size_t kMaxCachesPerThread = 4;

using WordCache = std::unordered_map<std::string, std::vector<int32_t>>;

// Each thread's word caches, one per tokenizer it encoded with recently. Per thread, so that `data
// tokenize --threads N` encodes without a lock (one shared cache behind a mutex made the threads wait on
// each other for every piece). A tokenizer is known by an id never reused (not its address, which a
// later tokenizer may get) and a weak "alive" token, so the caches of destroyed tokenizers are dropped.
struct ThreadCaches {
  struct Entry {
    uint64_t tokenizer_id = 0;
    std::weak_ptr<const void> alive;
    WordCache words;
  };
  std::vector<std::unique_ptr<Entry>> entries;  // most recently used last

  WordCache& for_tokenizer(uint64_t id, const std::shared_ptr<const void>& alive) {
    if (!entries.empty() && entries.back()->tokenizer_id == id)
      return entries.back()->words;
    for (size_t i = 0; i + 1 < entries.size(); ++i) {
      if (entries[i]->tokenizer_id == id) {
        std::rotate(entries.begin() + static_cast<std::ptrdiff_t>(i),
                    entries.begin() + static_cast<std::ptrdiff_t>(i) + 1, entries.end());
        return entries.back()->words;
      }
    }
    entries.erase(std::remove_if(entries.begin(), entries.end(),
                                 [](const std::unique_ptr<Entry>& entry) { return entry->alive.expired(); }),
                  entries.end());
    if (entries.size() >= kMaxCachesPerThread)
      entries.erase(entries.begin());
    auto entry = std::make_unique<Entry>();
    entry->tokenizer_id = id;
    entry->alive = alive;
    entries.push_back(std::move(entry));
    return entries.back()->words;
  }
};

ThreadCaches& thread_caches() {
  thread_local ThreadCaches caches;
  return caches;
}

uint64_t next_tokenizer_id() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

// GPT-2's byte alphabet (encoder.py's bytes_to_unicode): printable Latin-1 bytes stand for themselves,
// the other 68 bytes map, in order, to U+0100 and up, so that every token is printable text.
struct ByteAlphabet {
  std::array<char32_t, 256> byte_to_code_point{};
  std::unordered_map<char32_t, uint8_t> code_point_to_byte;
  std::array<std::string, 256> byte_to_text;

  ByteAlphabet() {
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      byte_to_code_point[b] = printable ? static_cast<char32_t>(b) : next++;
      code_point_to_byte[byte_to_code_point[b]] = static_cast<uint8_t>(b);
      append_utf8(byte_to_text[b], byte_to_code_point[b]);
    }
  }
};

const ByteAlphabet& byte_alphabet() {
  static const ByteAlphabet alphabet;
  return alphabet;
}

// The bytes a token written in the byte alphabet stands for; nullopt when it has characters outside
// the alphabet (an added special token such as "<pad>" written as it is).
std::optional<std::string> alphabet_to_bytes(std::string_view text) {
  const auto& alphabet = byte_alphabet();
  std::string bytes;
  size_t offset = 0;
  while (offset < text.size()) {
    const Utf8CodePoint cp = decode_utf8(text, offset);
    if (!cp.valid)
      return std::nullopt;
    const auto it = alphabet.code_point_to_byte.find(cp.code_point);
    if (it == alphabet.code_point_to_byte.end())
      return std::nullopt;
    bytes.push_back(static_cast<char>(it->second));
    offset += cp.length;
  }
  return bytes;
}

// The whole file (decompressed when its name ends in .zst). `what` says what it should hold.
std::string read_whole_file(const std::string& path, const std::string& what) {
  if (!std::filesystem::is_regular_file(path)) {
    throw std::runtime_error("cannot open " + what + " " + path + " (missing or not a file)");
  }
  StreamReader reader(path, is_zstd_path(path));
  std::string bytes;
  std::string block(1 << 16, '\0');
  while (const size_t n = reader.read(block.data(), block.size()))
    bytes.append(block.data(), n);
  return bytes;
}

// Strict JSON (engine/util/strict_json.h): a tokenizer file is input from outside like any other.
nlohmann::json parse_json_file(const std::string& path, const std::string& what) {
  const std::string text = read_whole_file(path, what);
  try {
    return parse_strict_json(text);
  } catch (const JsonSyntaxError& error) {
    throw InputError(path + ": not valid JSON (" + error.what() + "); expected " + what);
  }
}

// `name` in `folder`, or its .zst, whichever exists.
std::string file_in_folder(const std::filesystem::path& folder, const std::string& name) {
  const auto plain = folder / name;
  const auto compressed = folder / (name + ".zst");
  if (!std::filesystem::exists(plain) && std::filesystem::exists(compressed))
    return compressed.string();
  return plain.string();
}

}  // namespace

struct BpeTokenizer::State {
  struct Merge {
    int32_t rank;
    int32_t merged;  // the id of left + right
  };

  std::vector<std::string> token_text;              // id → token in the byte alphabet (as files write it)
  std::vector<std::string> token_bytes;             // id → the bytes it decodes to
  std::vector<std::pair<int32_t, int32_t>> merges;  // in rank order
  std::unordered_map<uint64_t, Merge> merge_of_pair;
  std::array<int32_t, 256> byte_ids{};
  std::vector<bool> special;
  std::optional<int32_t> end_of_text;

  // Keys this tokenizer's word caches (ThreadCaches): encode is const and may run on several threads.
  const uint64_t id = next_tokenizer_id();
  const std::shared_ptr<const void> alive = std::make_shared<char>(0);

  State(std::vector<std::string> vocab, const std::vector<std::pair<std::string, std::string>>& merge_list,
        const std::vector<std::string>& special_tokens);
  void append_piece(std::string_view piece, WordCache& cache, std::vector<int32_t>& ids) const;
  std::vector<int32_t> merge_piece(std::string_view piece) const;
};

// GPT-2's bpe() semantics: repeatedly take the lowest-ranked adjacent pair and merge all its
// non-overlapping occurrences left to right, until no adjacent pair is a merge. A min-heap of (rank,
// position) visits one rank's occurrences in position order; pairs a merge creates wait until that
// rank is done (they cannot have its rank), so even a merge list whose ranks are not ordered by
// construction is applied exactly as GPT-2 would. Linear-logarithmic instead of GPT-2's quadratic loop.
std::vector<int32_t> BpeTokenizer::State::merge_piece(std::string_view piece) const {
  const auto n = static_cast<int32_t>(piece.size());
  std::vector<int32_t> symbol(n), next(n), prev(n);
  for (int32_t i = 0; i < n; ++i) {
    symbol[i] = byte_ids[static_cast<unsigned char>(piece[i])];
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  using Entry = std::pair<int32_t, int32_t>;  // (rank, position of the left symbol)
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
  const auto rank_at = [&](int32_t left) -> const Merge* {
    const int32_t right = next[left];
    if (right < 0)
      return nullptr;
    const auto it = merge_of_pair.find(pair_key(symbol[left], symbol[right]));
    return it == merge_of_pair.end() ? nullptr : &it->second;
  };
  for (int32_t i = 0; i + 1 < n; ++i) {
    if (const Merge* merge = rank_at(i))
      heap.push({merge->rank, i});
  }
  std::vector<Entry> created;
  while (!heap.empty()) {
    const int32_t rank = heap.top().first;
    while (!heap.empty() && heap.top().first == rank) {
      const int32_t left = heap.top().second;
      heap.pop();
      if (symbol[left] < 0)
        continue;  // merged into its left neighbour already
      const Merge* merge = rank_at(left);
      if (merge == nullptr || merge->rank != rank)
        continue;  // stale: the pair here has changed
      const int32_t right = next[left];
      symbol[left] = merge->merged;
      symbol[right] = -1;
      next[left] = next[right];
      if (next[left] >= 0)
        prev[next[left]] = left;
      if (prev[left] >= 0) {
        if (const Merge* before = rank_at(prev[left]))
          created.push_back({before->rank, prev[left]});
      }
      if (const Merge* after = rank_at(left))
        created.push_back({after->rank, left});
    }
    for (const Entry& entry : created)
      heap.push(entry);
    created.clear();
  }
  std::vector<int32_t> ids;
  for (int32_t i = 0; i >= 0 && n > 0; i = next[i])
    ids.push_back(symbol[i]);
  return ids;
}

void BpeTokenizer::State::append_piece(std::string_view piece, WordCache& cache,
                                       std::vector<int32_t>& ids) const {
  if (piece.size() == 1) {
    ids.push_back(byte_ids[static_cast<unsigned char>(piece[0])]);
    return;
  }
  const bool cacheable = piece.size() <= kMaxCachedPieceBytes;
  std::string key;
  if (cacheable) {
    key.assign(piece);
    const auto it = cache.find(key);
    if (it != cache.end()) {
      ids.insert(ids.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> merged = merge_piece(piece);
  ids.insert(ids.end(), merged.begin(), merged.end());
  if (cacheable) {
    if (cache.size() >= kMaxCacheEntries)
      cache.clear();
    cache.emplace(std::move(key), std::move(merged));
  }
}

BpeTokenizer::State::State(std::vector<std::string> vocab,
                           const std::vector<std::pair<std::string, std::string>>& merge_list,
                           const std::vector<std::string>& special_tokens)
    : token_text(std::move(vocab)) {
  std::unordered_map<std::string, int32_t> id_of_text;
  for (size_t id = 0; id < token_text.size(); ++id) {
    if (!id_of_text.emplace(token_text[id], static_cast<int32_t>(id)).second) {
      throw std::runtime_error("token " + quote_token(token_text[id]) +
                               " appears twice in the vocabulary (ids " +
                               std::to_string(id_of_text[token_text[id]]) + " and " + std::to_string(id) +
                               "); each token needs one id");
    }
  }
  // Special tokens missing from the vocabulary get the next ids.
  std::unordered_set<int32_t> special_ids;
  for (const std::string& token : special_tokens) {
    auto it = id_of_text.find(token);
    if (it == id_of_text.end()) {
      it = id_of_text.emplace(token, static_cast<int32_t>(token_text.size())).first;
      token_text.push_back(token);
    }
    special_ids.insert(it->second);
  }
  if (token_text.size() > static_cast<size_t>(INT32_MAX))
    throw std::runtime_error("vocabulary too large");

  token_bytes.resize(token_text.size());
  special.assign(token_text.size(), false);
  for (size_t id = 0; id < token_text.size(); ++id) {
    special[id] = special_ids.count(static_cast<int32_t>(id)) > 0;
    std::optional<std::string> bytes = alphabet_to_bytes(token_text[id]);
    // A token outside the byte alphabet can only be a special token, whose text is its bytes.
    if (!bytes && !special[id]) {
      throw std::runtime_error("token " + std::to_string(id) + " " + quote_token(token_text[id]) +
                               " has characters outside GPT-2's byte alphabet; a byte-level BPE vocabulary "
                               "writes every byte as one of its 256 printable characters");
    }
    token_bytes[id] = bytes ? std::move(*bytes) : token_text[id];
  }
  const auto& alphabet = byte_alphabet();
  for (int b = 0; b < 256; ++b) {
    const auto it = id_of_text.find(alphabet.byte_to_text[b]);
    if (it == id_of_text.end()) {
      std::ostringstream hex;
      hex << std::hex << b;
      throw std::runtime_error("the vocabulary has no token for byte 0x" + hex.str() + " ('" +
                               alphabet.byte_to_text[b] +
                               "'); a byte-level BPE vocabulary needs all 256 single-byte tokens");
    }
    byte_ids[b] = it->second;
  }

  merges.reserve(merge_list.size());
  merge_of_pair.reserve(merge_list.size() * 2);
  for (size_t rank = 0; rank < merge_list.size(); ++rank) {
    // Named references, not a structured binding: C++17 does not let a lambda capture a binding (GCC
    // allows it, Clang refuses it).
    const std::string& left = merge_list[rank].first;
    const std::string& right = merge_list[rank].second;
    const auto describe = [&]() {
      return "merge " + std::to_string(rank) + " (" + quote_token(left + " " + right) + ")";
    };
    const auto id_of = [&](const std::string& text, const char* what) {
      const auto it = id_of_text.find(text);
      if (it == id_of_text.end()) {
        throw std::runtime_error(describe() + ": its " + what + " " + quote_token(text) +
                                 " is not a token of the vocabulary; the merges do not belong to this "
                                 "vocabulary");
      }
      return it->second;
    };
    const int32_t left_id = id_of(left, "left part");
    const int32_t right_id = id_of(right, "right part");
    const int32_t merged_id = id_of(left + right, "result");
    // A repeated pair keeps its first (lowest) rank, as GPT-2's dict of ranks would not: there a later
    // duplicate overwrites; GPT-2's own vocab.bpe has none, so either choice gives its ids.
    merge_of_pair.emplace(pair_key(left_id, right_id), Merge{static_cast<int32_t>(rank), merged_id});
    merges.emplace_back(left_id, right_id);
  }
  if (const auto it = id_of_text.find(kEndOfText); it != id_of_text.end())
    end_of_text = it->second;
}

std::string bytes_to_gpt2_alphabet(std::string_view bytes) {
  const auto& alphabet = byte_alphabet();
  std::string text;
  for (const char byte : bytes)
    text += alphabet.byte_to_text[static_cast<unsigned char>(byte)];
  return text;
}

BpeTokenizer::BpeTokenizer(std::vector<std::string> vocab,
                           std::vector<std::pair<std::string, std::string>> merges,
                           std::vector<std::string> special_tokens)
    : m_state(std::make_unique<State>(std::move(vocab), merges, special_tokens)) {}

BpeTokenizer::~BpeTokenizer() = default;
BpeTokenizer::BpeTokenizer(BpeTokenizer&&) noexcept = default;
BpeTokenizer& BpeTokenizer::operator=(BpeTokenizer&&) noexcept = default;

BpeTokenizer BpeTokenizer::load(const std::string& path) {
  namespace fs = std::filesystem;
  if (fs::is_directory(path)) {
    const std::string tokenizer_json = file_in_folder(path, "tokenizer.json");
    const std::string encoder = file_in_folder(path, "encoder.json");
    if (!fs::exists(encoder) && fs::exists(tokenizer_json))
      return from_tokenizer_json(tokenizer_json);
    return from_gpt2_files(encoder, file_in_folder(path, "vocab.bpe"));
  }
  if (!fs::exists(path)) {
    throw std::runtime_error("tokenizer " + path +
                             " does not exist; give a tokenizer.json or a folder with encoder.json and "
                             "vocab.bpe");
  }
  return from_tokenizer_json(path);
}

BpeTokenizer BpeTokenizer::from_gpt2_files(const std::string& encoder_json, const std::string& vocab_bpe) {
  const nlohmann::json encoder = parse_json_file(encoder_json, "GPT-2 encoder.json (token → id)");
  if (!encoder.is_object() || encoder.empty()) {
    throw InputError(encoder_json + ": expected a JSON object mapping each token to its id");
  }
  std::vector<std::string> vocab(encoder.size());
  std::vector<bool> seen(encoder.size(), false);
  for (const auto& [token, id_json] : encoder.items()) {
    if (!id_json.is_number_integer()) {
      throw InputError(encoder_json + ": the id of token " + quote_token(token) + " is " + id_json.dump() +
                       ", not an integer");
    }
    const auto id = id_json.get<int64_t>();
    if (id < 0 || id >= static_cast<int64_t>(vocab.size()) || seen[id]) {
      throw InputError(encoder_json + ": token " + quote_token(token) + " has id " + std::to_string(id) +
                       "; the ids must be 0.." + std::to_string(vocab.size() - 1) + ", each once");
    }
    seen[id] = true;
    vocab[id] = token;
  }

  const std::string bpe = read_whole_file(vocab_bpe, "GPT-2 vocab.bpe (merges)");
  std::vector<std::pair<std::string, std::string>> merges;
  std::istringstream lines(bpe);
  std::string line;
  int64_t line_number = 0;
  while (std::getline(lines, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line_number == 1 && line.rfind("#version", 0) == 0)
      continue;  // "#version: 0.2"
    if (line.empty())
      continue;
    const size_t space = line.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string::npos) {
      throw InputError(vocab_bpe + " line " + std::to_string(line_number) + ": " +
                       quote_token(to_valid_utf8(line.substr(0, 80))) +
                       " is not a merge; each line after '#version' holds two tokens separated by one space");
    }
    merges.emplace_back(line.substr(0, space), line.substr(space + 1));
  }
  try {
    return BpeTokenizer(std::move(vocab), std::move(merges), {kEndOfText});
  } catch (const std::runtime_error& error) {
    throw InputError(encoder_json + " + " + vocab_bpe + ": " + error.what());
  }
}

BpeTokenizer BpeTokenizer::from_tokenizer_json(const std::string& path) {
  const nlohmann::json root = parse_json_file(path, "Hugging Face tokenizer.json");
  const auto fail = [&path](const std::string& message) { throw InputError(path + ": " + message); };
  if (!root.is_object() || !root.contains("model") || !root["model"].is_object()) {
    fail("no \"model\" object; not a Hugging Face tokenizer.json");
  }
  const nlohmann::json& model = root["model"];
  const std::string type = model.value("type", std::string("BPE"));
  if (type != "BPE")
    fail("model.type is \"" + type + "\"; only byte-level BPE tokenizers are supported");
  const auto null_or = [](const nlohmann::json& object, const char* key, const nlohmann::json& allowed) {
    return !object.contains(key) || object[key].is_null() || object[key] == allowed;
  };
  if (!null_or(model, "dropout", 0.0) && !null_or(model, "dropout", 0)) {
    fail("model.dropout is " + model["dropout"].dump() + "; BPE dropout is not supported (set it to null)");
  }
  if (!null_or(model, "continuing_subword_prefix", "") || !null_or(model, "end_of_word_suffix", "")) {
    fail("model.continuing_subword_prefix / end_of_word_suffix are set; byte-level BPE uses neither");
  }
  if (!null_or(model, "byte_fallback", false))
    fail("model.byte_fallback is true; not a byte-level BPE");
  if (!null_or(model, "ignore_merges", false)) {
    fail("model.ignore_merges is true; GPT-2 applies the merges to every word");
  }
  if (!null_or(root, "normalizer", nullptr)) {
    fail("\"normalizer\" is " + root["normalizer"].dump().substr(0, 80) + "; GPT-2's tokenizer has none");
  }
  const nlohmann::json pre = root.value("pre_tokenizer", nlohmann::json());
  if (!pre.is_object() || pre.value("type", std::string()) != "ByteLevel") {
    fail("pre_tokenizer is " + pre.dump().substr(0, 80) +
         "; only GPT-2's ByteLevel pre-tokenizer is supported");
  }
  if (pre.value("add_prefix_space", false) || !pre.value("use_regex", true)) {
    fail("pre_tokenizer ByteLevel has add_prefix_space true or use_regex false; GPT-2's has neither");
  }

  if (!model.contains("vocab") || !model["vocab"].is_object())
    fail("model.vocab is missing or not an object");
  if (!model.contains("merges") || !model["merges"].is_array())
    fail("model.merges is missing or not an array");
  // Every id below the largest must be used (no gaps), so with n entries (vocabulary plus added tokens)
  // no id can be n or more: refusing those first keeps the id table within what the file defines.
  const nlohmann::json* added_tokens =
      root.contains("added_tokens") && root["added_tokens"].is_array() ? &root["added_tokens"] : nullptr;
  const int64_t entries =
      static_cast<int64_t>(model["vocab"].size() + (added_tokens ? added_tokens->size() : 0));
  if (entries > kMaxTokenizerTokens) {
    fail("defines " + std::to_string(entries) + " tokens; at most " + std::to_string(kMaxTokenizerTokens) +
         " are supported");
  }
  std::vector<std::string> vocab;
  std::vector<bool> seen;
  const auto place = [&](const std::string& token, const nlohmann::json& id_json) {
    if (!id_json.is_number_integer() || id_json.get<int64_t>() < 0) {
      fail("token " + quote_token(token) + " has id " + id_json.dump() + "; ids are integers from 0");
    }
    if (id_json.get<int64_t>() >= entries) {
      fail("token " + quote_token(token) + " has id " + id_json.dump() + "; with " + std::to_string(entries) +
           " tokens in the file the ids must be 0.." + std::to_string(entries - 1) + " (no gaps)");
    }
    const auto id = static_cast<size_t>(id_json.get<int64_t>());
    if (id >= vocab.size()) {
      vocab.resize(id + 1);
      seen.resize(id + 1, false);
    }
    if (seen[id] && vocab[id] != token) {
      fail("id " + std::to_string(id) + " is given to both " + quote_token(vocab[id]) + " and " +
           quote_token(token));
    }
    seen[id] = true;
    vocab[id] = token;
  };
  for (const auto& [token, id] : model["vocab"].items())
    place(token, id);
  std::vector<std::string> specials;
  if (root.contains("added_tokens") && !root["added_tokens"].is_null()) {
    if (!root["added_tokens"].is_array())
      fail("added_tokens is " + root["added_tokens"].dump().substr(0, 80) + ", not an array");
    for (const auto& added : root["added_tokens"]) {
      if (!added.is_object() || !added.contains("content") || !added.contains("id")) {
        fail("added_tokens entry " + added.dump().substr(0, 80) + " lacks \"id\" or \"content\"");
      }
      if (!added["content"].is_string()) {
        fail("added_tokens entry " + added.dump().substr(0, 80) + ": \"content\" is " +
             added["content"].dump().substr(0, 40) + ", not a string");
      }
      if (added.contains("special") && !added["special"].is_boolean()) {
        fail("added_tokens entry " + added.dump().substr(0, 80) + ": \"special\" is " +
             added["special"].dump().substr(0, 40) + ", not true or false");
      }
      const auto content = added["content"].get<std::string>();
      place(content, added["id"]);
      if (added.value("special", true))
        specials.push_back(content);
    }
  }
  for (size_t id = 0; id < seen.size(); ++id) {
    if (!seen[id])
      fail("no token has id " + std::to_string(id) + "; the ids must have no gaps");
  }

  std::vector<std::pair<std::string, std::string>> merges;
  merges.reserve(model["merges"].size());
  for (const auto& merge : model["merges"]) {
    // Older files write "left right", newer ones ["left", "right"].
    if (merge.is_string()) {
      const auto text = merge.get<std::string>();
      const size_t space = text.find(' ');
      if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos) {
        fail("merge \"" + text + "\" is not two tokens separated by one space");
      }
      merges.emplace_back(text.substr(0, space), text.substr(space + 1));
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
      merges.emplace_back(merge[0].get<std::string>(), merge[1].get<std::string>());
    } else {
      fail("merge " + merge.dump().substr(0, 80) + " is neither \"left right\" nor [\"left\", \"right\"]");
    }
  }
  try {
    return BpeTokenizer(std::move(vocab), std::move(merges), specials);
  } catch (const std::runtime_error& error) {
    throw InputError(path + ": " + error.what());
  }
}

std::vector<int32_t> BpeTokenizer::encode(std::string_view text) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 1);
  WordCache& cache = thread_caches().for_tokenizer(m_state->id, m_state->alive);
  for_each_pretoken(
      text, [this, &cache, &ids](std::string_view piece) { m_state->append_piece(piece, cache, ids); });
  return ids;
}

std::string BpeTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string text;
  for (const int32_t id : ids)
    text += token_bytes(id);
  return text;
}

std::string BpeTokenizer::token_bytes(int32_t id) const {
  if (id < 0 || id >= static_cast<int32_t>(m_state->token_bytes.size())) {
    throw std::out_of_range("token id " + std::to_string(id) + " is outside the vocabulary (ids 0.." +
                            std::to_string(m_state->token_bytes.size() - 1) + ")");
  }
  return m_state->token_bytes[id];
}

int64_t BpeTokenizer::vocab_size() const {
  return static_cast<int64_t>(m_state->token_text.size());
}

std::optional<int32_t> BpeTokenizer::end_of_text() const {
  return m_state->end_of_text;
}

void BpeTokenizer::save_json(const std::string& path) const {
  const State& state = *m_state;
  nlohmann::ordered_json added = nlohmann::ordered_json::array();
  for (size_t id = 0; id < state.token_text.size(); ++id) {
    if (!state.special[id])
      continue;
    added.push_back({{"id", id},
                     {"content", state.token_text[id]},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", true},
                     {"special", true}});
  }
  const nlohmann::ordered_json byte_level = {
      {"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
  const nlohmann::ordered_json head = {{"version", "1.0"},
                                       {"truncation", nullptr},
                                       {"padding", nullptr},
                                       {"added_tokens", added},
                                       {"normalizer", nullptr},
                                       {"pre_tokenizer", byte_level},
                                       {"post_processor", byte_level},
                                       {"decoder", byte_level}};
  const nlohmann::ordered_json model_head = {{"type", "BPE"},
                                             {"dropout", nullptr},
                                             {"unk_token", nullptr},
                                             {"continuing_subword_prefix", ""},
                                             {"end_of_word_suffix", ""},
                                             {"fuse_unk", false},
                                             {"byte_fallback", false}};
  // The vocabulary (in id order, as Hugging Face writes it) and the merges are written as text: a JSON
  // object of 50k keys built in insertion order would cost a linear search per key.
  std::string text = "{\n";
  for (const auto& [key, value] : head.items())
    text += "  " + nlohmann::json(key).dump() + ": " + value.dump() + ",\n";
  text += "  \"model\": {\n";
  for (const auto& [key, value] : model_head.items()) {
    text += "    " + nlohmann::json(key).dump() + ": " + value.dump() + ",\n";
  }
  text += "    \"vocab\": {";
  for (size_t id = 0; id < state.token_text.size(); ++id) {
    text += (id == 0 ? "\n      " : ",\n      ") + nlohmann::json(state.token_text[id]).dump() + ": " +
            std::to_string(id);
  }
  text += "\n    },\n    \"merges\": [";
  for (size_t rank = 0; rank < state.merges.size(); ++rank) {
    const auto& [left, right] = state.merges[rank];
    text += (rank == 0 ? "\n      " : ",\n      ") +
            nlohmann::json(state.token_text[left] + " " + state.token_text[right]).dump();
  }
  text += "\n    ]\n  }\n}\n";
  // Written beside the target and renamed, so a reader never sees half a file.
  const std::string temp = temporary_path_for(path);
  {
    std::ofstream file(temp, std::ios::trunc | std::ios::binary);
    if (!file)
      throw std::runtime_error("cannot write tokenizer " + path + " (folder missing or read-only?)");
    file << text;
    file.flush();
    if (!file) {
      file.close();
      std::error_code ignored;
      std::filesystem::remove(temp, ignored);
      throw std::runtime_error("writing tokenizer " + path + " failed (disk full?)");
    }
  }
  commit_temporary(temp, path);
}

}  // namespace zoolab
