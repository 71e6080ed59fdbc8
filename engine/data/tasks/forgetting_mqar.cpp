#include "engine/data/tasks/forgetting_mqar.h"

#include <algorithm>

#include "engine/data/rng.h"
#include "engine/data/tasks/task_support.h"
#include "engine/util/checked_size.h"

namespace zoolab {

namespace {

// Zoology's asserts in forgetting_mqar (even length, vocab_size > input_seq_len, num_updates <= num_kv_pairs,
// 2·(kv + updates) + 2·kv <= input_seq_len) plus the vocabulary halves its distinct draws need, reported
// against the segment's own fields. Products of configured counts are CheckedSize.
void check_forgetting_mqar_shape(const SegmentConfig& s, int64_t vocab_size, const std::string& path) {
  const int64_t L = s.input_seq_len;
  const int64_t kv = s.integer("num_kv_pairs");
  const int64_t updates = s.integer("num_updates");
  require_positive(s.number("power_a"), path, "power_a");
  require_even_length_below_vocab(s, vocab_size, path);
  if (kv < 1) {
    throw ConfigError(path + ".num_kv_pairs", "must be at least 1, got " + std::to_string(kv));
  }
  if (updates < 0 || updates > kv) {
    throw ConfigError(path + ".num_updates", "must be between 0 and num_kv_pairs (" + std::to_string(kv) +
                                                 ": each update reassigns a different key), got " +
                                                 std::to_string(updates));
  }
  // The context (kv original pairs, then the update pairs) and one query slot per key.
  const CheckedSize without_updates = CheckedSize(kv) * 4;
  const CheckedSize needed = (CheckedSize(kv) + updates) * 2 + CheckedSize(kv) * 2;
  if (!needed.within(static_cast<uint64_t>(L))) {
    if (without_updates.within(static_cast<uint64_t>(L))) {
      throw ConfigError(path + ".num_updates",
                        std::to_string(updates) + " updates of " + std::to_string(kv) +
                            " kv pairs need input_seq_len >= " + std::to_string(4 * kv + 2 * updates) +
                            ", got " + std::to_string(L) + " (which holds at most " +
                            std::to_string((L - 4 * kv) / 2) + " updates)");
    }
    const std::string need_text =
        needed.ok() ? "input_seq_len >= " + std::to_string(*needed.value()) : "more than 2^64 tokens";
    throw ConfigError(path + ".num_kv_pairs", std::to_string(kv) + " kv pairs with " +
                                                  std::to_string(updates) + " updates need " + need_text +
                                                  ", got " + std::to_string(L));
  }
  // Keys come from [1, V/2), distinct within an example (implied by the checks above, as in Zoology, but it
  // is what the draw needs). Values come from [V/2, V), which holds at least as many tokens, so the kv
  // distinct values and a value other than value j for each update always exist.
  if (kv > vocab_size / 2 - 1) {
    throw ConfigError(path + ".num_kv_pairs", std::to_string(kv) + " distinct keys need data.vocab_size >= " +
                                                  std::to_string(2 * (kv + 1)) + ", got " +
                                                  std::to_string(vocab_size));
  }
}

}  // namespace

TokenSegment generate_forgetting_mqar(const SegmentConfig& config, int64_t vocab_size, uint64_t seed) {
  check_generated_segment(config, vocab_size, check_forgetting_mqar_shape);
  const int64_t N = config.num_examples;
  const int64_t L = config.input_seq_len;
  const int64_t kv = config.integer("num_kv_pairs");
  const int64_t num_updates = config.integer("num_updates");
  const double power_a = config.number("power_a");
  const int64_t context = 2 * (kv + num_updates);  // C: the original pairs, then the updates
  const int64_t space = (L - context) / 2;         // query slots at even offsets of the query region
  const int64_t key_base = 1;                      // keys: [1, V/2); token 0 is never a key
  const int64_t num_keys = vocab_size / 2 - 1;
  const int64_t value_base = vocab_size / 2;  // values: [V/2, V)
  const int64_t num_values = vocab_size - vocab_size / 2;
  const std::vector<double> weights = power_law_gap_weights(space, power_a);

  TokenSegment segment = empty_token_segment(config, 0);
  segment.slices = {{"num_kv_pairs", kv}, {"num_updates", num_updates}, {"input_seq_len", L}};

  // Zoology draws each quantity for all examples at once with numpy (keys, original values, updated values,
  // update indices, gaps); the examples are independent, so drawing example by example from one stream
  // changes only the stream order, not the distribution.
  Rng rng(seed);
  std::vector<int64_t> updated(static_cast<size_t>(num_updates));
  std::vector<int64_t> final_values(static_cast<size_t>(kv));
  for (int64_t n = 0; n < N; ++n) {
    int64_t* input = segment.inputs.data() + n * L;
    int64_t* label = segment.labels.data() + n * L;
    // Step 1: kv distinct keys and kv distinct values (key j <-> value j), as multiquery_ar.
    const std::vector<int64_t> keys = rng.sample_without_replacement(num_keys, kv);
    const std::vector<int64_t> values = rng.sample_without_replacement(num_values, kv);
    // Step 2: update j's new value is uniform over the values other than the ORIGINAL VALUE OF PAIR j
    // (`value_choices != original_values[i, j]`), not of the key it will be assigned to (chosen in step 3).
    // A reference quirk we keep: an update may repeat its key's own old value (when it lands on another
    // key) and may coincide with any other value of the example.
    for (int64_t j = 0; j < num_updates; ++j) {
      const auto r = static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(num_values - 1)));
      updated[static_cast<size_t>(j)] = r + (r >= values[static_cast<size_t>(j)] ? 1 : 0);
    }
    // Step 3: the updated pairs, num_updates distinct of the kv, in random order
    // (np.random.choice(num_kv_pairs, num_updates, replace=False)).
    const std::vector<int64_t> update_slots = rng.sample_without_replacement(kv, num_updates);
    for (int64_t j = 0; j < kv; ++j)
      final_values[static_cast<size_t>(j)] = values[static_cast<size_t>(j)];
    for (int64_t j = 0; j < num_updates; ++j)
      final_values[static_cast<size_t>(update_slots[static_cast<size_t>(j)])] =
          updated[static_cast<size_t>(j)];
    // Step 4: context k0 v0 ... k(kv-1) v(kv-1), then update j's key and new value at 2·kv + 2·j.
    for (int64_t j = 0; j < kv; ++j) {
      input[2 * j] = key_base + keys[static_cast<size_t>(j)];
      input[2 * j + 1] = value_base + values[static_cast<size_t>(j)];
    }
    for (int64_t j = 0; j < num_updates; ++j) {
      input[2 * kv + 2 * j] = key_base + keys[static_cast<size_t>(update_slots[static_cast<size_t>(j)])];
      input[2 * kv + 2 * j + 1] = value_base + updated[static_cast<size_t>(j)];
    }
    // Step 5: every original key j is queried once at C + 2·gaps[j] (power-law gaps without replacement, as
    // multiquery_ar); after Zoology's one-token shift its label, the key's final value, sits at that same
    // position.
    const std::vector<int64_t> gaps = rng.weighted_sample_without_replacement(weights, kv);
    for (int64_t j = 0; j < kv; ++j) {
      const int64_t position = context + 2 * gaps[static_cast<size_t>(j)];
      input[position] = key_base + keys[static_cast<size_t>(j)];
      label[position] = value_base + final_values[static_cast<size_t>(j)];
    }
  }

  // Step 6: the random fill of what is neither context nor query (task_support.h).
  if (config.flag("random_non_queries")) {
    fill_zero_tokens_uniformly(segment, rng, vocab_size);
  }
  return segment;
}

std::vector<QueryFacts> forgetting_mqar_query_facts(const int64_t* inputs, const int64_t* labels,
                                                    int64_t seq_len, const Slices& slices) {
  const int64_t pairs =
      std::max<int64_t>(slice_or(slices, "num_kv_pairs", 0) + slice_or(slices, "num_updates", 0), 0);
  const int64_t context = std::min<int64_t>(2 * pairs, seq_len);
  return labelled_query_facts(inputs, labels, seq_len, [&](QueryFacts& f) {
    // The latest context slot (k v at even offsets) before the query holding the key with the label as its
    // value: the update for an updated key, else the original pair. The noise after the context is not
    // searched, so a random key-value coincidence there is never taken for the source.
    const int64_t limit = std::min<int64_t>(context, f.position);
    for (int64_t k = limit > 1 ? ((limit - 2) / 2) * 2 : -2; k >= 0; k -= 2) {
      if (inputs[k] == f.key && inputs[k + 1] == f.target) {
        f.set_source(k, k / 2);
        return;
      }
    }
  });
}

TaskSpec forgetting_mqar_task_spec() {
  TaskSpec spec;
  spec.name = "forgetting_mqar";
  spec.family = "mqar";
  spec.summary =
      "Forgetting MQAR (Zoology's forgetting_mqar): k key-value pairs, then updates that give some keys a "
      "new value; every key is queried once at power-law gaps and the label is its latest value";
  spec.params = {
      ParamSpec::integer("num_kv_pairs")
          .defaults_to(8)
          .at_least(1)
          .described("distinct keys in the context, each queried once"),
      ParamSpec::integer("num_updates")
          .defaults_to(4)
          .at_least(0)
          .described("keys (distinct, at most num_kv_pairs) given a new value after the original pairs"),
      power_a_param(),
      random_non_queries_param(),
  };
  spec.slice_keys = {"num_kv_pairs", "num_updates", "input_seq_len"};
  spec.generator_version = 1;
  spec.example = {{"input_seq_len", 64}, {"num_examples", 100}};
  spec.example_vocab_size = 8192;
  spec.check_shape = check_forgetting_mqar_shape;
  spec.generate = generate_forgetting_mqar;
  spec.query_facts = forgetting_mqar_query_facts;
  spec.source_label = "key";
  return spec;
}

}  // namespace zoolab
