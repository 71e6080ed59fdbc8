#include "engine/data/tasks/compositional_mqar.h"

#include <algorithm>

#include "engine/data/rng.h"
#include "engine/data/tasks/task_support.h"
#include "engine/util/checked_size.h"

namespace zoolab {

namespace {

// The largest g with g·g <= n (n >= 0), exactly (no floating-point rounding at large n).
int64_t compositional_isqrt(int64_t n) {
  int64_t lo = 0;
  int64_t hi = 3037000499;  // floor(sqrt(2^63 - 1))
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo + 1) / 2;
    if (mid <= n / mid) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

// Zoology's asserts in compositional_mqar (even length, vocab_size > input_seq_len, 6·kv <= input_seq_len,
// kv a perfect square), in its order, plus the vocabulary thirds its distinct draws need, reported against
// the segment's own fields. Products of configured counts are CheckedSize.
void check_compositional_mqar_shape(const SegmentConfig& s, int64_t vocab_size, const std::string& path) {
  const int64_t L = s.input_seq_len;
  const int64_t kv = s.integer("num_kv_pairs");
  require_positive(s.number("power_a"), path, "power_a");
  require_even_length_below_vocab(s, vocab_size, path);
  if (kv < 1) {
    throw ConfigError(path + ".num_kv_pairs", "must be a positive perfect square, got " + std::to_string(kv));
  }
  // Three context tokens (K1 K2 V) and three query tokens (K1 K2, then a free slot) per pair.
  const CheckedSize needed = CheckedSize(kv) * 6;
  if (!needed.within(static_cast<uint64_t>(L))) {
    const std::string need_text =
        needed.ok() ? "input_seq_len >= " + std::to_string(*needed.value()) : "more than 2^64 tokens";
    throw ConfigError(path + ".num_kv_pairs", std::to_string(kv) + " kv pairs need " + need_text +
                                                  " (6 tokens a pair), got " + std::to_string(L));
  }
  const int64_t g = compositional_isqrt(kv);
  if (g * g != kv) {
    throw ConfigError(path + ".num_kv_pairs", "must be a perfect square (the keys are a K1 x K2 grid), got " +
                                                  std::to_string(kv) + "; the nearest are " +
                                                  std::to_string(g * g) + " and " +
                                                  std::to_string((g + 1) * (g + 1)));
  }
  // g distinct K1 from [1, V/3), g distinct K2 from [V/3, 2·(V/3)), kv distinct values from [2·(V/3), V).
  // (All three follow from the checks above, as in Zoology, but they are what the draws need.)
  const int64_t third = vocab_size / 3;
  if (g > third - 1) {
    throw ConfigError(path + ".num_kv_pairs",
                      std::to_string(g) + " distinct K1 tokens need data.vocab_size >= " +
                          std::to_string(3 * (g + 1)) + ", got " + std::to_string(vocab_size));
  }
  if (kv > vocab_size - 2 * third) {
    throw ConfigError(path + ".num_kv_pairs",
                      std::to_string(kv) + " distinct values need data.vocab_size >= " +
                          std::to_string(3 * kv) + ", got " + std::to_string(vocab_size));
  }
}

}  // namespace

TokenSegment generate_compositional_mqar(const SegmentConfig& config, int64_t vocab_size, uint64_t seed) {
  check_generated_segment(config, vocab_size, check_compositional_mqar_shape);
  const int64_t N = config.num_examples;
  const int64_t L = config.input_seq_len;
  const int64_t kv = config.integer("num_kv_pairs");
  const int64_t g = compositional_isqrt(kv);  // the grid's side
  const double power_a = config.number("power_a");
  const int64_t context = 3 * kv;           // C: triples K1 K2 V
  const int64_t space = (L - context) / 3;  // query slots at offsets 0, 3, 6, ... of the query region
  const int64_t third = vocab_size / 3;
  const int64_t k1_base = 1;  // K1: [1, V/3); token 0 is never a key
  const int64_t num_k1 = third - 1;
  const int64_t k2_base = third;  // K2: [V/3, 2·(V/3))
  const int64_t num_k2 = third;
  const int64_t value_base = 2 * third;  // values: [2·(V/3), V), which holds the remainder of V/3
  const int64_t num_values = vocab_size - 2 * third;
  const std::vector<double> weights = power_law_gap_weights(space, power_a);

  TokenSegment segment = empty_token_segment(config, 0);
  segment.slices = {{"num_kv_pairs", kv}, {"input_seq_len", L}};

  // Zoology draws each quantity for all examples at once with numpy (K1 sets, K2 sets, the permutations,
  // values, gaps); the examples are independent, so drawing example by example from one stream changes only
  // the stream order, not the distribution.
  Rng rng(seed);
  std::vector<int64_t> k1s(static_cast<size_t>(kv));
  std::vector<int64_t> k2s(static_cast<size_t>(kv));
  for (int64_t n = 0; n < N; ++n) {
    int64_t* input = segment.inputs.data() + n * L;
    int64_t* label = segment.labels.data() + n * L;
    // Step 1: g distinct K1 and g distinct K2 (each in random order).
    const std::vector<int64_t> k1_set = rng.sample_without_replacement(num_k1, g);
    const std::vector<int64_t> k2_set = rng.sample_without_replacement(num_k2, g);
    // Step 2: the grid in Zoology's order (np.repeat of the K1s, np.tile of the K2s: A A B B / X Y X Y),
    // then its cells permuted uniformly (np.random.permutation).
    const std::vector<int64_t> perm = rng.sample_without_replacement(kv, kv);
    for (int64_t j = 0; j < kv; ++j) {
      const int64_t cell = perm[static_cast<size_t>(j)];
      k1s[static_cast<size_t>(j)] = k1_base + k1_set[static_cast<size_t>(cell / g)];
      k2s[static_cast<size_t>(j)] = k2_base + k2_set[static_cast<size_t>(cell % g)];
    }
    // Step 3: kv distinct values, value j for (permuted) cell j.
    const std::vector<int64_t> values = rng.sample_without_replacement(num_values, kv);
    // Step 4: the context K1 K2 V per cell.
    for (int64_t j = 0; j < kv; ++j) {
      input[3 * j] = k1s[static_cast<size_t>(j)];
      input[3 * j + 1] = k2s[static_cast<size_t>(j)];
      input[3 * j + 2] = value_base + values[static_cast<size_t>(j)];
    }
    // Step 5: cell j is queried as K1 K2 at C + 3·gaps[j] (power-law gaps without replacement over
    // (L - C) / 3 slots, as multiquery_ar's); Zoology puts the value's label at C + 3·gaps[j] + 2 and then
    // shifts labels by one token, so it sits on the query's K2.
    const std::vector<int64_t> gaps = rng.weighted_sample_without_replacement(weights, kv);
    for (int64_t j = 0; j < kv; ++j) {
      const int64_t position = context + 3 * gaps[static_cast<size_t>(j)];
      input[position] = k1s[static_cast<size_t>(j)];
      input[position + 1] = k2s[static_cast<size_t>(j)];
      label[position + 1] = value_base + values[static_cast<size_t>(j)];
    }
  }

  // Step 6: the random fill of what is neither context nor query (task_support.h).
  if (config.flag("random_non_queries")) {
    fill_zero_tokens_uniformly(segment, rng, vocab_size);
  }
  return segment;
}

std::vector<QueryFacts> compositional_mqar_query_facts(const int64_t* inputs, const int64_t* labels,
                                                       int64_t seq_len, const Slices& slices) {
  const int64_t kv = std::max<int64_t>(slice_or(slices, "num_kv_pairs", 0), 0);
  const int64_t context = std::min<int64_t>(3 * kv, seq_len);
  return labelled_query_facts(inputs, labels, seq_len, [&](QueryFacts& f) {
    // The context triple (before the query) with the query's K1 (at p - 1) and K2 and the label as its value;
    // its K2 is the source (its next token is the target). The grid makes the triple unique.
    const int64_t p = f.position;
    for (int64_t j = 0; p >= 1 && 3 * j + 2 < std::min(context, p); ++j) {
      if (inputs[3 * j] == inputs[p - 1] && inputs[3 * j + 1] == f.key && inputs[3 * j + 2] == f.target) {
        f.set_source(3 * j + 1, j);
        return;
      }
    }
  });
}

TaskSpec compositional_mqar_task_spec() {
  TaskSpec spec;
  spec.name = "compositional_mqar";
  spec.family = "mqar";
  spec.summary =
      "Compositional MQAR (Zoology's compositional_mqar): keys are pairs (K1, K2) forming a full K1 x K2 "
      "grid, "
      "so neither half alone gives the value; every pair is queried once at power-law gaps, the label on its "
      "K2";
  spec.params = {
      ParamSpec::integer("num_kv_pairs")
          .defaults_to(4)
          .at_least(1)
          .described(
              "(K1, K2) -> value triples in the context, a perfect square (the grid's cells: 4, 9, 16, ...)"),
      power_a_param(),
      random_non_queries_param(),
  };
  spec.slice_keys = {"num_kv_pairs", "input_seq_len"};
  spec.generator_version = 1;
  spec.example = {{"input_seq_len", 64}, {"num_examples", 100}};
  spec.example_vocab_size = 8192;
  spec.check_shape = check_compositional_mqar_shape;
  spec.generate = generate_compositional_mqar;
  spec.query_facts = compositional_mqar_query_facts;
  spec.source_label = "key";
  return spec;
}

}  // namespace zoolab
