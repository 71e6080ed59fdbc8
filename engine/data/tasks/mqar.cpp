#include "engine/data/tasks/mqar.h"

#include <cmath>

#include "engine/config/run_memory.h"
#include "engine/data/rng.h"
#include "engine/data/tasks/task_support.h"
#include "engine/util/checked_size.h"
#include "engine/util/memory_budget.h"

namespace zoolab {

namespace {

// Zoology's asserts in multiquery_ar plus the vocabulary halves of its key and value draws, reported
// against the segment's own fields. Products of configured counts are CheckedSize: 2^62 passes must be
// refused, not wrapped into a small number that passes.
void check_mqar_shape(const SegmentConfig& s, int64_t vocab_size, const std::string& path) {
  const int64_t L = s.input_seq_len;
  const int64_t kv = s.integer("num_kv_pairs");
  const int64_t passes = s.integer("num_passes");
  require_positive(s.number("power_a"), path, "power_a");
  require_even_length_below_vocab(s, vocab_size, path);
  // The context (kv pairs, num_passes times) and one query slot per pair.
  const CheckedSize one_pass = CheckedSize(kv) * 4;
  const CheckedSize needed = CheckedSize(kv) * 2 * passes + CheckedSize(kv) * 2;
  if (!needed.within(static_cast<uint64_t>(L))) {
    const std::string with_passes =
        passes == 1 ? std::string() : " with " + std::to_string(passes) + " passes";
    if (!needed.ok() && one_pass.within(static_cast<uint64_t>(L))) {
      throw ConfigError(path + ".num_passes", std::to_string(passes) + " passes over " + std::to_string(kv) +
                                                  " kv pairs need more than 2^64 tokens; input_seq_len " +
                                                  std::to_string(L) + " holds at most " +
                                                  std::to_string((L - 2 * kv) / (2 * kv)) + " passes");
    }
    const std::string need_text =
        needed.ok() ? "input_seq_len >= " + std::to_string(*needed.value()) : "more than 2^64 tokens";
    throw ConfigError(path + ".num_kv_pairs", std::to_string(kv) + " kv pairs" + with_passes + " need " +
                                                  need_text + ", got " + std::to_string(L));
  }
  // Keys come from [1, V/2) and values from [V/2, V), distinct within an example.
  if (kv > vocab_size / 2 - 1) {
    throw ConfigError(path + ".num_kv_pairs", std::to_string(kv) + " distinct keys need data.vocab_size >= " +
                                                  std::to_string(2 * (kv + 1)) + ", got " +
                                                  std::to_string(vocab_size));
  }
}

}  // namespace

TokenSegment generate_mqar(const SegmentConfig& config, int64_t vocab_size, uint64_t seed) {
  check_generated_segment(config, vocab_size, check_mqar_shape);
  const int64_t N = config.num_examples;
  const int64_t L = config.input_seq_len;
  const int64_t kv = config.integer("num_kv_pairs");
  const int64_t num_passes = config.integer("num_passes");
  const double power_a = config.number("power_a");
  const int64_t context = 2 * kv * num_passes;  // C
  const int64_t space = (L - context) / 2;      // query slots at even offsets of the query region
  const int64_t key_base = 1;                   // keys: [1, V/2); token 0 is never a key
  const int64_t num_keys = vocab_size / 2 - 1;
  const int64_t value_base = vocab_size / 2;  // values: [V/2, V)
  const int64_t num_values = vocab_size - vocab_size / 2;
  const std::vector<double> weights = power_law_gap_weights(space, power_a);

  TokenSegment segment = empty_token_segment(config, 0);
  segment.slices = {{"num_kv_pairs", kv}, {"input_seq_len", L}, {"num_passes", num_passes}};

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
    for (int64_t pass = 0; pass < num_passes; ++pass) {
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

  // Step 6: the random fill of what is neither context nor query (task_support.h).
  if (config.flag("random_non_queries")) {
    fill_zero_tokens_uniformly(segment, rng, vocab_size);
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

namespace zoolab {

TaskSpec mqar_task_spec() {
  TaskSpec spec;
  spec.name = "mqar";
  spec.family = "mqar";
  spec.summary =
      "Multi-query associative recall (Zoology's multiquery_ar): k key-value pairs, then every key "
      "queried once at power-law gaps; the label is its value";
  spec.params = {
      ParamSpec::integer("num_kv_pairs")
          .defaults_to(8)
          .at_least(1)
          .described("key-value pairs in the context, each queried once"),
      power_a_param(),
      random_non_queries_param(),
      ParamSpec::integer("num_passes")
          .defaults_to(1)
          .at_least(1)
          .described("times the context is repeated before the queries (just-read-twice prompting)"),
  };
  spec.slice_keys = {"num_kv_pairs", "input_seq_len", "num_passes"};
  spec.generator_version = 1;
  spec.example = {{"input_seq_len", 64}, {"num_examples", 100}, {"num_kv_pairs", 4}};
  spec.example_vocab_size = 8192;
  spec.check_shape = check_mqar_shape;
  spec.generate = generate_mqar;
  spec.query_facts = [](const int64_t* inputs, const int64_t* labels, int64_t seq_len, const Slices& slices) {
    return mqar_query_facts(inputs, labels, seq_len, slice_or(slices, "num_kv_pairs", 0),
                            slice_or(slices, "num_passes", 1));
  };
  return spec;
}

}  // namespace zoolab
