#include "engine/data/tasks/mad_copying.h"

#include <algorithm>

#include "engine/data/rng.h"
#include "engine/data/tasks/task_support.h"
#include "engine/util/checked_size.h"

namespace zoolab {

namespace {

// MAD's assert (seq_len > 2·num_tokens_to_copy + 1: the tokens, at least one blank among them, the copy
// token and one blank per token to copy) and its vocabulary: tokens to copy from [0, V-2), blank V-2,
// copy V-1.
void check_selective_copying_shape(const SegmentConfig& s, int64_t vocab_size, const std::string& path) {
  const int64_t L = s.input_seq_len;
  const int64_t n = s.integer("num_tokens_to_copy");
  if (n < 1) {
    throw ConfigError(path + ".num_tokens_to_copy", "must be >= 1, got " + std::to_string(n));
  }
  const CheckedSize needed = CheckedSize(n) * 2 + 2;
  if (!needed.within(static_cast<uint64_t>(L))) {
    const std::string need_text =
        needed.ok() ? "input_seq_len >= " + std::to_string(*needed.value()) : "more than 2^64 tokens";
    const std::string fits = L >= 4 ? "; num_tokens_to_copy <= " + std::to_string((L - 2) / 2) + " fits"
                                    : "; input_seq_len must be >= 4 for one token";
    throw ConfigError(path + ".num_tokens_to_copy",
                      std::to_string(n) + " tokens to copy need " + need_text +
                          " (the tokens, at least one blank, the copy token and one blank per token to "
                          "copy), got " +
                          std::to_string(L) + fits);
  }
  if (vocab_size < 3) {
    throw ConfigError("data.vocab_size", "task selective_copying (" + path +
                                             ") needs data.vocab_size >= 3 (tokens to copy [0, V-2), blank "
                                             "V-2, copy V-1), got " +
                                             std::to_string(vocab_size));
  }
}

}  // namespace

TokenSegment generate_selective_copying(const SegmentConfig& config, int64_t vocab_size, uint64_t seed) {
  check_generated_segment(config, vocab_size, check_selective_copying_shape);
  const int64_t N = config.num_examples;
  const int64_t L = config.input_seq_len;
  const int64_t n = config.integer("num_tokens_to_copy");
  const int64_t copy_token = vocab_size - 1;
  const int64_t blank_token = vocab_size - 2;
  const int64_t num_blanks = L - 2 * n - 1;  // blanks among the tokens to copy
  const int64_t copy_position = L - n - 1;

  TokenSegment segment = empty_token_segment(config, blank_token);
  segment.slices = {{"input_seq_len", L}, {"num_tokens_to_copy", n}};

  Rng rng(seed);
  std::vector<int64_t> to_copy(static_cast<size_t>(n));
  std::vector<int64_t> blanks_before(static_cast<size_t>(n));
  for (int64_t e = 0; e < N; ++e) {
    int64_t* input = segment.inputs.data() + e * L;
    int64_t* label = segment.labels.data() + e * L;
    // to_copy = rng.choice(arange(V-2), size=n, replace=True).
    for (auto& token : to_copy)
      token = static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(vocab_size - 2)));
    // np.insert(to_copy, np.random.randint(0, n, num_blanks), blank): each blank goes right before a
    // uniformly drawn token to copy (index n, after the last one, is never drawn: the last token to copy
    // always sits right before the copy token). MAD draws these indices from the global np.random, not
    // from the instance's rng; we draw them from the segment's stream, in the same place.
    std::fill(blanks_before.begin(), blanks_before.end(), 0);
    for (int64_t b = 0; b < num_blanks; ++b)
      ++blanks_before[rng.uniform_int(static_cast<uint64_t>(n))];
    int64_t position = 0;
    for (int64_t j = 0; j < n; ++j) {
      position += blanks_before[static_cast<size_t>(j)];  // the inputs start as blanks
      input[position++] = to_copy[static_cast<size_t>(j)];
    }
    // Then the copy token and n blanks, whose targets are the tokens to copy in order (no shift: MAD's
    // targets are aligned with its inputs).
    input[copy_position] = copy_token;
    for (int64_t i = 0; i < n; ++i)
      label[copy_position + 1 + i] = to_copy[static_cast<size_t>(i)];
  }
  return segment;
}

std::vector<QueryFacts> selective_copying_query_facts(const int64_t* inputs, const int64_t* labels,
                                                      int64_t seq_len, const Slices& /*slices*/) {
  int64_t first = -1;
  for (int64_t p = 0; p < seq_len; ++p) {
    if (labels[p] != kIgnoreLabel) {
      first = p;
      break;
    }
  }
  if (first < 0) {
    return {};
  }
  // The sources: the tokens that are not blanks before the copy token (at first - 1).
  const int64_t blank = inputs[first];
  std::vector<int64_t> sources;
  for (int64_t p = 0; p + 1 < first; ++p) {
    if (inputs[p] != blank) {
      sources.push_back(p);
    }
  }
  // The i-th query copies the i-th of them.
  size_t i = 0;
  return labelled_query_facts(inputs, labels, seq_len, [&](QueryFacts& f) {
    if (i < sources.size()) {
      f.set_source(sources[i], static_cast<int64_t>(i));
    }
    ++i;
  });
}

TaskSpec selective_copying_task_spec() {
  TaskSpec spec;
  spec.name = "selective_copying";
  spec.family = "mad";
  spec.summary =
      "MAD's selective copying: num_tokens_to_copy tokens scattered among blanks, a copy token, then one "
      "blank per token; the labels there are the tokens in order";
  spec.params = {
      ParamSpec::integer("num_tokens_to_copy")
          .defaults_to(16)
          .at_least(1)
          .described("tokens to copy (from [0, V-2)); input_seq_len - 2·num_tokens_to_copy - 1 blanks are "
                     "scattered among them"),
  };
  spec.slice_keys = {"input_seq_len", "num_tokens_to_copy"};
  spec.generator_version = 1;
  spec.example = {{"input_seq_len", 64}, {"num_examples", 100}, {"num_tokens_to_copy", 8}};
  spec.example_vocab_size = 16;
  spec.check_shape = check_selective_copying_shape;
  spec.generate = generate_selective_copying;
  spec.query_facts = selective_copying_query_facts;
  spec.source_label = "source";
  return spec;
}

}  // namespace zoolab
