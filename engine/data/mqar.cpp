#include "engine/data/mqar.h"

#include <cmath>

#include "engine/config/run_memory.h"
#include "engine/data/rng.h"
#include "engine/util/checked_size.h"
#include "engine/util/memory_budget.h"

namespace zoolab {

namespace {

// Zoology's asserts in multiquery_ar and the vocabulary halves of its key and value draws.
// parse_run_config() reports the same conditions with full JSON paths; these guard direct callers, so
// they too use CheckedSize for products of configured counts and estimate the segment before allocating.
void check_shape(const SegmentConfig& c, int64_t vocab_size) {
  const int64_t L = c.input_seq_len;
  const int64_t kv = c.num_kv_pairs;
  if (c.task != "mqar")
    throw ConfigError("task", "expected \"mqar\", got \"" + c.task + "\"");
  if (L <= 0 || L % 2 != 0) {
    throw ConfigError("input_seq_len", "must be a positive even number, got " + std::to_string(L));
  }
  if (kv <= 0)
    throw ConfigError("num_kv_pairs", "must be positive, got " + std::to_string(kv));
  if (c.num_passes <= 0)
    throw ConfigError("num_passes", "must be positive, got " + std::to_string(c.num_passes));
  if (c.num_examples < 0) {
    throw ConfigError("num_examples", "must be non-negative, got " + std::to_string(c.num_examples));
  }
  if (!(c.power_a > 0.0))
    throw ConfigError("power_a", "must be > 0, got " + std::to_string(c.power_a));
  if (vocab_size <= L) {
    throw ConfigError("input_seq_len", "must be less than vocab_size (" + std::to_string(vocab_size) +
                                           "), got " + std::to_string(L));
  }
  const CheckedSize needed = CheckedSize(kv) * 2 * c.num_passes + CheckedSize(kv) * 2;
  if (!needed.within(static_cast<uint64_t>(L))) {
    throw ConfigError("num_kv_pairs", std::to_string(kv) + " kv pairs with " + std::to_string(c.num_passes) +
                                          " pass(es) need " +
                                          (needed.ok() ? "input_seq_len >= " + std::to_string(*needed.value())
                                                       : std::string("more than 2^64 tokens")) +
                                          ", got " + std::to_string(L));
  }
  if (kv > vocab_size / 2 - 1) {
    throw ConfigError("num_kv_pairs", std::to_string(kv) + " distinct keys need vocab_size >= " +
                                          std::to_string(2 * (kv + 1)) + ", got " +
                                          std::to_string(vocab_size));
  }
  if (const auto shortfall = memory_shortfall(segment_bytes(c))) {
    throw ConfigError("num_examples", std::to_string(c.num_examples) + " examples of " + std::to_string(L) +
                                          " tokens: holding their inputs and labels (8 bytes a token) " +
                                          *shortfall);
  }
}

// Query-gap probabilities (docs/reference.md#mqar-generator, step 4): p_i = a·i^(a-1) for i = 1..space,
// normalised; gap g (query at offset 2g of the query region) has probability p_{g+1}. With a = 0.01 this is
// nearly 1/i, so queries cluster right after the context. std::pow is within an ulp on common libms; a
// one-ulp difference changes a draw only if the uniform lands on that ulp.
std::vector<double> gap_weights(int64_t space, double power_a) {
  std::vector<double> p(static_cast<size_t>(space));
  double total = 0.0;
  for (int64_t i = 1; i <= space; ++i) {
    p[static_cast<size_t>(i - 1)] = power_a * std::pow(static_cast<double>(i), power_a - 1.0);
    total += p[static_cast<size_t>(i - 1)];
  }
  if (!std::isfinite(total) || !(total > 0.0)) {
    throw ConfigError("power_a", "gives non-finite query-gap weights over " + std::to_string(space) +
                                     " gaps, got " + std::to_string(power_a));
  }
  for (double& x : p)
    x /= total;
  return p;
}

}  // namespace

TokenSegment generate_mqar(const SegmentConfig& config, int64_t vocab_size, uint64_t seed) {
  check_shape(config, vocab_size);
  const int64_t N = config.num_examples;
  const int64_t L = config.input_seq_len;
  const int64_t kv = config.num_kv_pairs;
  const int64_t context = 2 * kv * config.num_passes;  // C
  const int64_t space = (L - context) / 2;             // query slots at even offsets of the query region
  const int64_t key_base = 1;                          // keys: [1, V/2); token 0 is never a key
  const int64_t num_keys = vocab_size / 2 - 1;
  const int64_t value_base = vocab_size / 2;  // values: [V/2, V)
  const int64_t num_values = vocab_size - vocab_size / 2;
  const std::vector<double> weights = gap_weights(space, config.power_a);

  TokenSegment segment;
  segment.num_examples = N;
  segment.seq_len = L;
  const auto tokens = static_cast<size_t>(N) * static_cast<size_t>(L);  // check_shape bounded N·L·16 bytes
  segment.inputs.assign(tokens, 0);
  segment.labels.assign(tokens, kIgnoreLabel);
  segment.slices = {{"num_kv_pairs", kv}, {"input_seq_len", L}, {"num_passes", config.num_passes}};

  // Steps are numbered as in docs/reference.md#mqar-generator. One stream per segment. Zoology draws all key
  // rows, then all value rows, then all gap rows with numpy; we draw keys, values and gaps example by
  // example, which changes only the stream order.
  Rng rng(seed);
  for (int64_t n = 0; n < N; ++n) {
    int64_t* input = segment.inputs.data() + n * L;
    int64_t* label = segment.labels.data() + n * L;
    const std::vector<int64_t> keys = rng.sample_without_replacement(num_keys, kv);      // step 2
    const std::vector<int64_t> values = rng.sample_without_replacement(num_values, kv);  // key j <-> value j
    // Step 3: context k1 v1 k2 v2 ..., tiled num_passes times (JRT).
    for (int64_t pass = 0; pass < config.num_passes; ++pass) {
      for (int64_t j = 0; j < kv; ++j) {
        input[pass * 2 * kv + 2 * j] = key_base + keys[static_cast<size_t>(j)];
        input[pass * 2 * kv + 2 * j + 1] = value_base + values[static_cast<size_t>(j)];
      }
    }
    // Steps 4-5: key j is queried at C + 2·gaps[j]; after Zoology's one-token shift its label (the
    // paired value) sits at that same position. The value is not repeated after the query.
    const std::vector<int64_t> gaps = rng.weighted_sample_without_replacement(weights, kv);
    for (int64_t j = 0; j < kv; ++j) {
      const int64_t position = context + 2 * gaps[static_cast<size_t>(j)];
      input[position] = key_base + keys[static_cast<size_t>(j)];
      label[position] = value_base + values[static_cast<size_t>(j)];
    }
  }

  // Step 6: every input token equal to 0 becomes a uniform token in [0, V) (which may coincide with a
  // key, a value or 0). Zoology draws these from the global torch RNG (seeded by TrainConfig.seed);
  // we continue the segment's own stream after all structural draws, so the same seed gives the
  // same keys, values and query positions with or without the random fill.
  if (config.random_non_queries) {
    for (auto& token : segment.inputs) {
      if (token == 0)
        token = static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(vocab_size)));
    }
  }
  return segment;
}

SegmentSeeds segment_seeds(const DataConfig& data) {
  // Zoology's prepare_data (docs/reference.md#segments-seeds-and-batches) draws train seeds in [0, 2^31) and
  // test seeds in [2^31, 2^32) from np.random.seed(DataConfig.seed), so the two can never coincide. We draw
  // each list from its own stream (the test stream is keyed by the seed's SplitMix64 image), so adding a
  // train segment does not change the test data, and segment i's seed does not depend on later segments.
  constexpr uint64_t kHalf = uint64_t{1} << 31;
  SegmentSeeds seeds;
  Rng train_rng(data.seed);
  for (size_t i = 0; i < data.train.size(); ++i)
    seeds.train.push_back(train_rng.uniform_int(kHalf));
  uint64_t mixed = data.seed;
  Rng test_rng(splitmix64_next(mixed) ^ 0x7465737473656564ULL);  // "testseed" in ASCII
  for (size_t i = 0; i < data.test.size(); ++i)
    seeds.test.push_back(kHalf + test_rng.uniform_int(kHalf));
  return seeds;
}

}  // namespace zoolab
