#include "engine/data/tasks/mad_compression.h"

#include "engine/data/query_facts.h"
#include "engine/data/rng.h"
#include "engine/data/tasks/task_support.h"

namespace zoolab {

namespace {

// MAD's assert (noise tokens when frac_noise > 0) and a vocabulary with at least one ordinary token after
// the compression token and the noise tokens. MAD leaves frac_noise unbounded (above 1 it acts as 1); the
// spec takes [0, 1].
void check_compression_shape(const SegmentConfig& s, int64_t vocab_size, const std::string& path) {
  const int64_t noise = s.integer("noise_vocab_size");
  const double frac_noise = s.number("frac_noise");
  if (frac_noise > 0.0 && noise <= 0) {
    throw ConfigError(path + ".noise_vocab_size",
                      "must be >= 1 when frac_noise > 0 (noise tokens are drawn from it), got " +
                          std::to_string(noise) + "; or set frac_noise to 0");
  }
  if (vocab_size - 1 - noise < 1) {
    if (noise > 0) {
      throw ConfigError(path + ".noise_vocab_size",
                        std::to_string(noise) + " noise tokens leave no ordinary token in data.vocab_size " +
                            std::to_string(vocab_size) +
                            "; needs noise_vocab_size <= " + std::to_string(vocab_size - 2));
    }
    throw ConfigError("data.vocab_size", "task compression (" + path +
                                             ") needs data.vocab_size >= 2 (an ordinary token and the "
                                             "compression token V-1), got " +
                                             std::to_string(vocab_size));
  }
}

}  // namespace

TokenSegment generate_compression(const SegmentConfig& config, int64_t vocab_size, uint64_t seed) {
  check_generated_segment(config, vocab_size, check_compression_shape);
  const int64_t N = config.num_examples;
  const int64_t L = config.input_seq_len;
  const int64_t noise = config.integer("noise_vocab_size");
  const double frac_noise = config.number("frac_noise");
  const int64_t compression_token = vocab_size - 1;
  const int64_t ordinary = vocab_size - 1 - noise;  // ordinary tokens [0, V-1-noise), noise after them

  TokenSegment segment = empty_token_segment(config, 0);
  segment.slices = {{"input_seq_len", L}};

  Rng rng(seed);
  for (int64_t e = 0; e < N; ++e) {
    int64_t* input = segment.inputs.data() + e * L;
    int64_t* label = segment.labels.data() + e * L;
    // L-1 uniform ordinary tokens, then the compression token.
    for (int64_t t = 0; t + 1 < L; ++t)
      input[t] = static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(ordinary)));
    input[L - 1] = compression_token;
    // Then each of the L-1 tokens becomes a uniform noise token with probability frac_noise.
    if (frac_noise > 0.0) {
      for (int64_t t = 0; t + 1 < L; ++t) {
        if (rng.uniform_double() < frac_noise)
          input[t] = ordinary + static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(noise)));
      }
    }
    // MAD returns (inputs, inputs): every position is labelled with its own input, the compression token
    // and the noise tokens included (the targets it blanks at the noise are discarded).
    for (int64_t t = 0; t < L; ++t)
      label[t] = input[t];
  }
  return segment;
}

TaskSpec compression_task_spec() {
  TaskSpec spec;
  spec.name = "compression";
  spec.family = "mad";
  spec.summary =
      "MAD's compression data (uniform tokens, then a compression token; every label is its own input). "
      "MAD scores it with an auto-encoder that rebuilds every token from the last position; with zoolab's "
      "causal LM the label is the current input, so this measures copying the current token, not MAD's "
      "compression score";
  spec.params = {
      ParamSpec::integer("noise_vocab_size")
          .defaults_to(0)
          .at_least(0)
          .described("noise tokens [V-1-noise_vocab_size, V-1), taken from the ordinary tokens' share"),
      ParamSpec::number("frac_noise")
          .defaults_to(0.0)
          .at_least(0)
          .at_most(1)
          .described("probability that a token (all but the compression token) is replaced by a noise token; "
                     "it stays labelled"),
  };
  spec.slice_keys = {"input_seq_len"};
  spec.generator_version = 1;
  spec.example = {{"input_seq_len", 32}, {"num_examples", 100}};
  spec.example_vocab_size = 16;
  spec.check_shape = check_compression_shape;
  spec.generate = generate_compression;
  spec.query_facts = sourceless_query_facts;
  return spec;
}

}  // namespace zoolab
