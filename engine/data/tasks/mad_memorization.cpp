#include "engine/data/tasks/mad_memorization.h"

#include "engine/data/query_facts.h"
#include "engine/data/rng.h"
#include "engine/data/tasks/task_support.h"

namespace zoolab {

namespace {

// The map's stream is keyed by kv_map_seed mixed with "kvmap" in ASCII, so that a segment whose seed
// equals kv_map_seed does not replay the map's draws.
constexpr uint64_t kMemorizationMapStream = 0x6b766d6170ULL;

// MAD's asserts (frac_noise in [0, 1] is the spec's range; noise tokens when frac_noise > 0), an even length
// (MAD emits 2·(seq_len // 2) tokens) and a vocabulary with at least one key and one value after the insert
// token and the noise tokens.
void check_memorization_shape(const SegmentConfig& s, int64_t vocab_size, const std::string& path) {
  const int64_t L = s.input_seq_len;
  const int64_t noise = s.integer("noise_vocab_size");
  const double frac_noise = s.number("frac_noise");
  if (L < 2 || L % 2 != 0) {
    throw ConfigError(path + ".input_seq_len",
                      "must be a positive even number (key, insert-token pairs), got " + std::to_string(L));
  }
  if (frac_noise > 0.0 && noise <= 0) {
    throw ConfigError(path + ".noise_vocab_size",
                      "must be >= 1 when frac_noise > 0 (noise pairs are drawn from it), got " +
                          std::to_string(noise) + "; or set frac_noise to 0");
  }
  if (vocab_size - 1 - noise < 2) {
    if (noise > 0) {
      throw ConfigError(path + ".noise_vocab_size",
                        std::to_string(noise) + " noise tokens leave no key-value pair in data.vocab_size " +
                            std::to_string(vocab_size) +
                            " (keys and values share V - 1 - noise_vocab_size "
                            "tokens); needs noise_vocab_size <= " +
                            std::to_string(vocab_size - 3));
    }
    throw ConfigError("data.vocab_size", "task memorization (" + path +
                                             ") needs data.vocab_size >= 3 (a key, a value and the insert "
                                             "token V-1), got " +
                                             std::to_string(vocab_size));
  }
}

}  // namespace

std::vector<int64_t> memorization_kv_map(int64_t vocab_size, int64_t noise_vocab_size, uint64_t kv_map_seed) {
  // generate_kv_map(vocab_size=V', k_motif_size=1, v_motif_size=1): the keys [0, V'/2) and the values
  // [V'/2, V') (one more value than keys when V' is odd), each list shuffled, keys first, then zipped, which
  // stops at the shorter list: a uniformly random injection of the keys into the values.
  const int64_t usable = vocab_size - 1 - noise_vocab_size;  // V'
  const int64_t num_keys = usable / 2;
  const int64_t num_values = usable - num_keys;
  Rng rng(kv_map_seed ^ kMemorizationMapStream);
  const std::vector<int64_t> keys = rng.sample_without_replacement(num_keys, num_keys);
  const std::vector<int64_t> values = rng.sample_without_replacement(num_values, num_values);
  std::vector<int64_t> value_of(static_cast<size_t>(num_keys));
  for (int64_t i = 0; i < num_keys; ++i)
    value_of[static_cast<size_t>(keys[static_cast<size_t>(i)])] = num_keys + values[static_cast<size_t>(i)];
  return value_of;
}

TokenSegment generate_memorization(const SegmentConfig& config, int64_t vocab_size, uint64_t seed) {
  check_generated_segment(config, vocab_size, check_memorization_shape);
  const int64_t N = config.num_examples;
  const int64_t L = config.input_seq_len;
  const int64_t noise = config.integer("noise_vocab_size");
  const double frac_noise = config.number("frac_noise");
  const auto map_seed = static_cast<uint64_t>(config.integer("kv_map_seed"));
  const int64_t insert_token = vocab_size - 1;
  const int64_t noise_base = vocab_size - 1 - noise;  // noise tokens: [V - 1 - noise, V - 1)
  const std::vector<int64_t> value_of = memorization_kv_map(vocab_size, noise, map_seed);
  const auto num_keys = static_cast<uint64_t>(value_of.size());
  const int64_t num_pairs = L / 2;

  TokenSegment segment = empty_token_segment(config, 0);
  segment.slices = {{"input_seq_len", L}, {"num_keys", static_cast<int64_t>(num_keys)}};

  Rng rng(seed);
  for (int64_t e = 0; e < N; ++e) {
    int64_t* input = segment.inputs.data() + e * L;
    int64_t* label = segment.labels.data() + e * L;
    // One pair that is never noise, so that every example asks something.
    const auto not_noise = static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(num_pairs)));
    for (int64_t i = 0; i < num_pairs; ++i) {
      const bool is_noise = frac_noise > 0.0 && i != not_noise && rng.uniform_double() < frac_noise;
      if (is_noise) {
        // Two uniform noise tokens, unlabelled.
        input[2 * i] = noise_base + static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(noise)));
        input[2 * i + 1] = noise_base + static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(noise)));
      } else {
        // A uniform key, then the insert token, labelled with the key's value.
        const auto key = static_cast<int64_t>(rng.uniform_int(num_keys));
        input[2 * i] = key;
        input[2 * i + 1] = insert_token;
        label[2 * i + 1] = value_of[static_cast<size_t>(key)];
      }
    }
  }
  return segment;
}

TaskSpec memorization_task_spec() {
  TaskSpec spec;
  spec.name = "memorization";
  spec.family = "mad";
  spec.summary =
      "MAD's memorization: key, insert-token pairs; the label at the insert token is the key's value under "
      "one fixed key-value map (seeded by kv_map_seed, shared by every segment), so the answer is in the "
      "weights, not in the context";
  spec.params = {
      ParamSpec::integer("noise_vocab_size")
          .defaults_to(0)
          .at_least(0)
          .described("noise tokens [V-1-noise_vocab_size, V-1), taken from the keys' and values' share"),
      ParamSpec::number("frac_noise")
          .defaults_to(0.0)
          .at_least(0)
          .at_most(1)
          .described("probability that a pair is two noise tokens instead of a key and the insert token (one "
                     "pair per example never is)"),
      ParamSpec::integer("kv_map_seed")
          .defaults_to(12345)
          .at_least(0)
          .described("seed of the fixed key-value map (MAD's MADConfig.seed); segments with the same seed, "
                     "vocabulary and noise_vocab_size share the map"),
  };
  spec.slice_keys = {"input_seq_len", "num_keys"};
  spec.generator_version = 1;
  spec.example = {{"input_seq_len", 32}, {"num_examples", 100}};
  spec.example_vocab_size = 64;
  spec.check_shape = check_memorization_shape;
  spec.generate = generate_memorization;
  spec.query_facts = sourceless_query_facts;
  return spec;
}

}  // namespace zoolab
