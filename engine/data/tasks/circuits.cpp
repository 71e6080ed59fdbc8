#include "engine/data/tasks/circuits.h"

#include "engine/data/query_facts.h"
#include "engine/data/rng.h"
#include "engine/data/tasks/task_support.h"

namespace zoolab {

namespace {

// The reference's vocabulary (zoology/data/circuits.py: `zero = 0`, `one = 1`, `end = 2`).
constexpr int64_t kCircuitZero = 0;
constexpr int64_t kCircuitOne = 1;
constexpr int64_t kCircuitEnd = 2;

// The tokens a circuit task writes must fit data.vocab_size. The field at fault is the segment's task
// (every other field of the segment is fine), so the error names it and says what would work.
void circuits_require_vocab(const SegmentConfig& s, int64_t vocab_size, int64_t needed,
                            const std::string& tokens, const std::string& path) {
  if (vocab_size < needed) {
    throw ConfigError(path + ".task", s.task + " writes the tokens " + tokens +
                                          ": needs data.vocab_size >= " + std::to_string(needed) + ", got " +
                                          std::to_string(vocab_size));
  }
}

void check_parity_shape(const SegmentConfig& s, int64_t vocab_size, const std::string& path) {
  // input_seq_len 1 is a valid (if trivial) parity example in the reference: no bits, the end token,
  // label 0.
  circuits_require_vocab(s, vocab_size, 3, "0, 1 (bits) and 2 (end)", path);
}

void check_majority_shape(const SegmentConfig& s, int64_t vocab_size, const std::string& path) {
  circuits_require_vocab(s, vocab_size, 3, "0, 1 (bits) and 2 (end)", path);
  // The reference divides the number of ones by the number of bits, input_seq_len - 1: at input_seq_len 1
  // it raises ZeroDivisionError (the rebuttal's binary_majority.py lists input_seq_len 1 all the same).
  if (s.input_seq_len < 2) {
    throw ConfigError(path + ".input_seq_len",
                      "majority needs at least one bit before the end token: input_seq_len >= 2, got " +
                          std::to_string(s.input_seq_len));
  }
}

void check_cumulative_shape(const SegmentConfig& s, int64_t vocab_size, const std::string& path) {
  circuits_require_vocab(s, vocab_size, 2, "0 and 1 (bits)", path);
}

TokenSegment circuits_empty_segment(const SegmentConfig& config) {
  TokenSegment segment = empty_token_segment(config, kCircuitZero);
  // Zoology's parity and cumulative tasks carry {"input_seq_len": input_seq_len}; its majority carries
  // none (its ratio slice is commented out). Every zoolab segment carries input_seq_len.
  segment.slices = {{"input_seq_len", config.input_seq_len}};
  return segment;
}

enum class CircuitsRule { kParity, kMajority };

// circuits.py `parity` / `majority`: per example, input_seq_len - 1 uniform bits (np.random.randint(0, 2)),
// then the end token; the label sits at the end token (the reference appends the answer, sets the last
// label of the shifted sequence and drops the answer from the input). Every other label is -100.
TokenSegment circuits_generate_final(const SegmentConfig& config, uint64_t seed, CircuitsRule rule) {
  const int64_t N = config.num_examples;
  const int64_t L = config.input_seq_len;
  const int64_t bits = L - 1;
  TokenSegment segment = circuits_empty_segment(config);
  Rng rng(seed);
  for (int64_t n = 0; n < N; ++n) {
    int64_t* input = segment.inputs.data() + n * L;
    int64_t ones = 0;
    for (int64_t t = 0; t < bits; ++t) {
      const bool one = rng.uniform_int(2) == 1;
      input[t] = one ? kCircuitOne : kCircuitZero;
      ones += one ? 1 : 0;
    }
    input[bits] = kCircuitEnd;
    // majority: `ratio = num_ones / len(seq); most = ratio > 0.5`, i.e. 2·ones > bits, so a tie (possible
    // when bits is even) is 0. The quotient is exact enough: ones/bits rounds to 0.5 only when it is 0.5.
    const bool answer = rule == CircuitsRule::kParity ? ones % 2 == 1 : 2 * ones > bits;
    segment.labels[static_cast<size_t>(n * L + bits)] = answer ? kCircuitOne : kCircuitZero;
  }
  return segment;
}

// circuits.py `cumulative_parity` / `cumulative_majority`: per example, uniform bits labelled at every
// position (no shift: the label at t is about bits 0..t, including the bit the model reads at t).
// The reference's cumulative_parity draws input_seq_len - 1 bits (its sequences are one shorter than its
// input_seq_len); ours draws input_seq_len, the tokens the model sees, as cumulative_majority does: our
// segment at input_seq_len L is the reference's at L + 1.
TokenSegment circuits_generate_cumulative(const SegmentConfig& config, uint64_t seed, CircuitsRule rule) {
  const int64_t N = config.num_examples;
  const int64_t L = config.input_seq_len;
  TokenSegment segment = circuits_empty_segment(config);
  Rng rng(seed);
  for (int64_t n = 0; n < N; ++n) {
    int64_t* input = segment.inputs.data() + n * L;
    int64_t* label = segment.labels.data() + n * L;
    int64_t ones = 0;
    for (int64_t t = 0; t < L; ++t) {
      const bool one = rng.uniform_int(2) == 1;
      input[t] = one ? kCircuitOne : kCircuitZero;
      ones += one ? 1 : 0;
      // cumulative_parity: `cur_parity = (cur_parity + seq[i]) % 2`. cumulative_majority:
      // `(inputs * 2 - 1).cumsum(axis=1) >= 0`, i.e. ones - zeros >= 0 with zeros = t + 1 - ones, so a
      // tie is 1 (unlike majority's).
      const bool answer = rule == CircuitsRule::kParity ? ones % 2 == 1 : 2 * ones >= t + 1;
      label[t] = answer ? kCircuitOne : kCircuitZero;
    }
  }
  return segment;
}

TokenSegment generate_parity(const SegmentConfig& config, int64_t vocab_size, uint64_t seed) {
  check_generated_segment(config, vocab_size, check_parity_shape);
  return circuits_generate_final(config, seed, CircuitsRule::kParity);
}

TokenSegment generate_majority(const SegmentConfig& config, int64_t vocab_size, uint64_t seed) {
  check_generated_segment(config, vocab_size, check_majority_shape);
  return circuits_generate_final(config, seed, CircuitsRule::kMajority);
}

TokenSegment generate_cumulative_parity(const SegmentConfig& config, int64_t vocab_size, uint64_t seed) {
  check_generated_segment(config, vocab_size, check_cumulative_shape);
  return circuits_generate_cumulative(config, seed, CircuitsRule::kParity);
}

TokenSegment generate_cumulative_majority(const SegmentConfig& config, int64_t vocab_size, uint64_t seed) {
  check_generated_segment(config, vocab_size, check_cumulative_shape);
  return circuits_generate_cumulative(config, seed, CircuitsRule::kMajority);
}

// What the four specs share: no parameters of their own, the input_seq_len slice, no source to read the
// answer from (it is a function of every bit before it).
TaskSpec circuits_spec(const std::string& name, const std::string& summary) {
  TaskSpec spec;
  spec.name = name;
  spec.family = "circuits";
  spec.summary = summary;
  spec.slice_keys = {"input_seq_len"};
  spec.generator_version = 1;
  // The rebuttal configs' vocabulary (arxiv24_based_rebuttal_circuits: VOCAB_SIZE = 3).
  spec.example = {{"input_seq_len", 16}, {"num_examples", 100}};
  spec.example_vocab_size = 3;
  spec.query_facts = sourceless_query_facts;
  return spec;
}

}  // namespace

TaskSpec parity_task_spec() {
  TaskSpec spec = circuits_spec("parity",
                                "Parity (Zoology's circuits parity): input_seq_len - 1 uniform bits (tokens "
                                "0/1), then the end token 2; "
                                "the label at the end token is the parity of the bits");
  spec.check_shape = check_parity_shape;
  spec.generate = generate_parity;
  return spec;
}

TaskSpec majority_task_spec() {
  TaskSpec spec = circuits_spec(
      "majority",
      "Binary majority (Zoology's circuits majority): input_seq_len - 1 uniform bits (tokens 0/1), then the "
      "end token 2; the label at the end token is 1 iff more than half of the bits are 1 (a tie is 0)");
  spec.check_shape = check_majority_shape;
  spec.generate = generate_majority;
  return spec;
}

TaskSpec cumulative_parity_task_spec() {
  TaskSpec spec = circuits_spec(
      "cumulative_parity",
      "Running parity (Zoology's circuits cumulative_parity): input_seq_len uniform bits (tokens 0/1); the "
      "label at every position is the parity of the bits up to it");
  spec.check_shape = check_cumulative_shape;
  spec.generate = generate_cumulative_parity;
  return spec;
}

TaskSpec cumulative_majority_task_spec() {
  TaskSpec spec = circuits_spec(
      "cumulative_majority",
      "Running majority (Zoology's circuits cumulative_majority): input_seq_len uniform bits (tokens 0/1); "
      "the label at every position is 1 iff the bits up to it have at least as many ones as zeros (a tie is "
      "1)");
  spec.check_shape = check_cumulative_shape;
  spec.generate = generate_cumulative_majority;
  return spec;
}

}  // namespace zoolab
