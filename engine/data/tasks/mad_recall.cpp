#include "engine/data/tasks/mad_recall.h"

#include <cmath>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

#include "engine/data/rng.h"
#include "engine/data/tasks/task_support.h"
#include "engine/util/checked_size.h"

namespace zoolab {

namespace {

constexpr const char* kMadInContextRecall = "in_context_recall";
constexpr const char* kMadNoisyInContextRecall = "noisy_in_context_recall";
constexpr const char* kMadFuzzyInContextRecall = "fuzzy_in_context_recall";

bool mad_is_fuzzy(const SegmentConfig& s) {
  return s.task == kMadFuzzyInContextRecall;
}

// Special tokens at the top of the vocabulary (instances.py): in-context recall reserves vocab_size - 1 as
// the copy prefix without multi_query; fuzzy recall reserves a pad token always and the copy prefix
// without multi_query.
int64_t mad_special_tokens(const SegmentConfig& s) {
  const bool multi_query = s.flag("multi_query");
  if (mad_is_fuzzy(s)) {
    return multi_query ? 1 : 2;
  }
  return multi_query ? 0 : 1;
}

// MAD's assert on frac_noise and its noise vocabulary (both functions of instances.py).
void mad_check_noise(const SegmentConfig& s, const std::string& path) {
  const double frac = s.number("frac_noise");
  if (!(frac >= 0.0 && frac < 1.0)) {
    throw ConfigError(path + ".frac_noise",
                      "must be in [0, 1) (MAD draws each key-value slot as noise with this "
                      "probability), got " +
                          std::to_string(frac));
  }
  if (frac > 0.0 && s.integer("noise_vocab_size") <= 0) {
    throw ConfigError(path + ".noise_vocab_size",
                      "must be > 0 when frac_noise > 0 (noise tokens are drawn from it), got " +
                          std::to_string(s.integer("noise_vocab_size")) + " with frac_noise " +
                          std::to_string(frac) + "; or set frac_noise to 0");
  }
}

// The vocabulary the keys and values need (`needed` non-special tokens) is there, else ConfigError: at
// noise_vocab_size when noise takes part of it, else at data.vocab_size.
void mad_check_vocab(const SegmentConfig& s, int64_t vocab_size, const std::string& path, CheckedSize needed,
                     const std::string& field, const std::string& what) {
  const int64_t noise = s.integer("noise_vocab_size");
  const int64_t special = mad_special_tokens(s);
  const CheckedSize required = needed + CheckedSize(special) + CheckedSize(noise);
  if (required.within(static_cast<uint64_t>(vocab_size))) {
    return;
  }
  const std::string need_text =
      required.ok() ? "data.vocab_size >= " + std::to_string(*required.value()) : "more than 2^64 tokens";
  const std::string layout = "data.vocab_size " + std::to_string(vocab_size) + " less " +
                             std::to_string(special) + " special token(s) and noise_vocab_size " +
                             std::to_string(noise);
  if (!field.empty()) {
    throw ConfigError(path + "." + field, what + "; " + layout + " is too small: needs " + need_text);
  }
  if (noise > 0) {
    throw ConfigError(path + ".noise_vocab_size", what + "; " + layout + " is too small: needs " + need_text +
                                                      " or a smaller noise_vocab_size");
  }
  throw ConfigError("data.vocab_size", "segment " + path + ": " + what + "; " + layout +
                                           " is too small: needs " + need_text + ", got " +
                                           std::to_string(vocab_size));
}

// generate_in_context_recall_instance's asserts, and the shapes it cannot generate: seq_len 2 leaves no
// pair before the probe (MAD's rng.choice over the empty presented keys fails), and the key and value
// halves of the non-special vocabulary must not be empty.
void check_mad_in_context_shape(const SegmentConfig& s, int64_t vocab_size, const std::string& path) {
  mad_check_noise(s, path);
  mad_check_vocab(s, vocab_size, path, CheckedSize(2), "",
                  "keys and values need at least 2 non-special tokens (one key, one value)");
  const int64_t L = s.input_seq_len;
  if (L < 4 || L % 2 != 0) {
    throw ConfigError(
        path + ".input_seq_len",
        "must be an even number >= 4 (MAD lays the sequence out in key-value pairs and probes a key "
        "of an earlier pair at the end), got " +
            std::to_string(L));
  }
}

// generate_fuzzy_in_context_recall_instance's needs: keys are permutations of up to k_motif_size distinct
// key tokens and values of up to v_motif_size distinct value tokens (numpy's choice over an empty list of
// permutations fails), and the probe index is drawn from [0, seq_len - 2·(probe size)), at most
// k_motif_size + v_motif_size.
void check_mad_fuzzy_shape(const SegmentConfig& s, int64_t vocab_size, const std::string& path) {
  mad_check_noise(s, path);
  const int64_t k = s.integer("k_motif_size");
  const int64_t v = s.integer("v_motif_size");
  if (k < 1 || v < 1) {
    throw ConfigError(path + (k < 1 ? ".k_motif_size" : ".v_motif_size"),
                      "must be >= 1, got " + std::to_string(k < 1 ? k : v));
  }
  // Keys are the lower half (floor) of the non-special tokens, values the upper half (ceil).
  mad_check_vocab(s, vocab_size, path, CheckedSize(k) * 2, "k_motif_size",
                  "k_motif_size " + std::to_string(k) + " needs " + std::to_string(k) +
                      " distinct key tokens (the lower half of the non-special tokens)");
  mad_check_vocab(s, vocab_size, path, CheckedSize(v) * 2 - CheckedSize(1), "v_motif_size",
                  "v_motif_size " + std::to_string(v) + " needs " + std::to_string(v) +
                      " distinct value tokens (the upper half of the non-special tokens)");
  // k and v are below vocab_size now, so this cannot overflow.
  const int64_t needed = 2 * (k + v) + 1;
  if (s.input_seq_len < needed) {
    throw ConfigError(path + ".input_seq_len",
                      "needs input_seq_len >= " + std::to_string(needed) +
                          " (MAD inserts the key-value probe, up to k_motif_size + v_motif_size = " +
                          std::to_string(k + v) +
                          " tokens, at an index below input_seq_len - 2·its size), got " +
                          std::to_string(s.input_seq_len));
  }
}

// Our row from MAD's raw sequence and targets (instances.py's final lines): MAD returns raw[:-1] and
// raw[1:] (training) or targets[1:] (test); we keep input_seq_len raw tokens, so position p is labelled
// with MAD's target of raw token p + 1, and a raw sequence of only input_seq_len tokens leaves our last
// position unlabelled.
void mad_write_row(const std::vector<int64_t>& raw, const std::vector<int64_t>& targets, bool is_training,
                   int64_t L, int64_t* input, int64_t* label) {
  const auto R = static_cast<int64_t>(raw.size());
  if (R < L || R > L + 1) {
    throw std::logic_error("mad_recall: a raw sequence of " + std::to_string(R) +
                           " tokens for input_seq_len " + std::to_string(L));
  }
  for (int64_t p = 0; p < L; ++p) {
    input[p] = raw[static_cast<size_t>(p)];
    if (p + 1 < R) {
      label[p] = is_training ? raw[static_cast<size_t>(p + 1)] : targets[static_cast<size_t>(p + 1)];
    }
  }
}

TokenSegment mad_make_segment(const SegmentConfig& s, const MadRecallLayout& layout) {
  TokenSegment segment = empty_token_segment(s, 0);
  segment.slices = {{"input_seq_len", s.input_seq_len},
                    {"key_vocab_size", layout.key_vocab_size},
                    {"value_vocab_size", layout.value_vocab_size},
                    {"noise_percent", std::llround(100.0 * s.number("frac_noise"))}};
  if (mad_is_fuzzy(s)) {
    segment.slices["k_motif_size"] = s.integer("k_motif_size");
    segment.slices["v_motif_size"] = s.integer("v_motif_size");
  }
  return segment;
}

// One example of generate_in_context_recall_instance into raw/targets, step by step as there. Returns
// false when every slot before the probe became noise (MAD's rng.choice over no presented keys raises;
// possible only when not_noise_idx is the last slot, which the loop never reaches).
bool mad_draw_in_context(Rng& rng, const MadRecallLayout& layout, int64_t L, bool multi_query, double frac,
                         std::vector<int64_t>& value_of, std::vector<int64_t>& presented,
                         std::vector<int64_t>& raw, std::vector<int64_t>& targets) {
  raw.clear();
  targets.clear();
  presented.clear();
  std::fill(value_of.begin(), value_of.end(), -1);
  const int64_t num_kv_pairs = L / 2;
  const auto not_noise_idx = static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(num_kv_pairs)));
  for (int64_t i = 0; i < num_kv_pairs - 1; ++i) {  // the last slot is the probe
    const bool is_noise = frac > 0.0 && i != not_noise_idx && rng.uniform_double() < frac;
    if (is_noise) {
      for (int j = 0; j < 2; ++j) {
        raw.push_back(layout.noise_base +
                      static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(layout.noise_vocab_size))));
        targets.push_back(kIgnoreLabel);
      }
      continue;
    }
    const auto k = static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(layout.key_vocab_size)));
    int64_t& v = value_of[static_cast<size_t>(k)];
    const bool seen = v >= 0;  // kv_map and keys_presented hold the same keys here
    if (!seen) {
      v = layout.key_vocab_size +
          static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(layout.value_vocab_size)));
      presented.push_back(k);
    }
    raw.push_back(k);
    raw.push_back(v);
    targets.push_back(kIgnoreLabel);
    targets.push_back(seen && multi_query ? v : kIgnoreLabel);  // probe a key presented before
  }
  if (presented.empty()) {
    return false;
  }
  // The probe: a uniform choice among the distinct presented keys, and its value.
  const int64_t k_probe = presented[rng.uniform_int(presented.size())];
  const int64_t v_probe = value_of[static_cast<size_t>(k_probe)];
  if (!multi_query) {
    raw.push_back(layout.copy_prefix);
    targets.push_back(kIgnoreLabel);
  }
  raw.push_back(k_probe);
  raw.push_back(v_probe);
  targets.push_back(kIgnoreLabel);
  targets.push_back(v_probe);
  return true;
}

TokenSegment mad_generate_in_context(const SegmentConfig& s, int64_t vocab_size, uint64_t seed) {
  check_generated_segment(s, vocab_size, check_mad_in_context_shape);
  const MadRecallLayout layout = mad_recall_layout(s, vocab_size);
  TokenSegment segment = mad_make_segment(s, layout);
  const int64_t L = s.input_seq_len;
  const bool multi_query = s.flag("multi_query");
  const bool is_training = s.flag("is_training");
  const double frac = s.number("frac_noise");
  std::vector<int64_t> value_of(static_cast<size_t>(layout.key_vocab_size), -1);
  std::vector<int64_t> presented, raw, targets;
  raw.reserve(static_cast<size_t>(L) + 1);
  targets.reserve(static_cast<size_t>(L) + 1);
  Rng rng(seed);
  for (int64_t n = 0; n < s.num_examples; ++n) {
    // MAD raises where every slot is noise; we draw the example again (MAD conditioned on not failing).
    while (!mad_draw_in_context(rng, layout, L, multi_query, frac, value_of, presented, raw, targets)) {
    }
    mad_write_row(raw, targets, is_training, L, segment.inputs.data() + n * L, segment.labels.data() + n * L);
  }
  return segment;
}

// A uniformly random permutation of `size` distinct tokens of [base, base + pool): MAD's rng.choice over
// the shuffled list of all such permutations, without the list.
std::vector<int64_t> mad_motif(Rng& rng, int64_t base, int64_t pool, int64_t size) {
  std::vector<int64_t> motif = rng.sample_without_replacement(pool, size);
  for (auto& token : motif) {
    token += base;
  }
  return motif;
}

// One example of generate_fuzzy_in_context_recall_instance into raw/targets, step by step as there.
void mad_draw_fuzzy(Rng& rng, const MadRecallLayout& layout, int64_t L, int64_t k_max, int64_t v_max,
                    bool multi_query, bool is_training, double frac, std::vector<int64_t>& raw,
                    std::vector<int64_t>& targets) {
  raw.clear();
  targets.clear();
  const auto draw_size = [&rng](int64_t max) {
    return 1 + static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(max)));
  };
  const int64_t kv = layout.key_vocab_size;
  const int64_t vv = layout.value_vocab_size;
  // The probe: its key motif size (uniform over 1..k_motif_size when training, k_motif_size at test), its
  // value motif size (uniform over 1..v_motif_size in both), the motifs, and the index it is inserted at.
  const int64_t k_probe_size = is_training ? draw_size(k_max) : k_max;
  const int64_t v_probe_size = draw_size(v_max);
  const std::vector<int64_t> k_probe = mad_motif(rng, 0, kv, k_probe_size);
  const std::vector<int64_t> v_probe = mad_motif(rng, kv, vv, v_probe_size);
  const int64_t kv_probe_size = k_probe_size + v_probe_size;
  const auto probe_idx = static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(L - 2 * kv_probe_size)));
  bool probe_added = false;
  std::map<std::vector<int64_t>, std::vector<int64_t>> kv_map;  // by the key's tokens (and so its size)
  std::set<std::vector<int64_t>> presented;
  const auto append = [&](const std::vector<int64_t>& tokens) {
    raw.insert(raw.end(), tokens.begin(), tokens.end());
  };
  const auto ignore = [&](int64_t count) {
    targets.insert(targets.end(), static_cast<size_t>(count), kIgnoreLabel);
  };
  // MAD's while-loop rule: stop once the sequence is at least seq_len - probe size - (k_motif_size +
  // v_motif_size) long, so that it and the final probe fit in seq_len + 1 tokens; the rest is padding.
  const int64_t limit = L - kv_probe_size - (k_max + v_max);
  while (static_cast<int64_t>(raw.size()) < limit) {
    // Sizes are drawn first in every iteration, the probe's included (MAD draws them before the check).
    const int64_t k_size = is_training ? draw_size(k_max) : k_max;
    const int64_t v_size = draw_size(v_max);
    if (static_cast<int64_t>(raw.size()) >= probe_idx && !probe_added) {
      append(k_probe);
      append(v_probe);
      ignore(kv_probe_size);
      kv_map[k_probe] = v_probe;
      presented.insert(k_probe);
      probe_added = true;
      continue;
    }
    const bool is_noise = frac > 0.0 && rng.uniform_double() < frac;
    if (is_noise) {
      for (int64_t j = 0; j < k_size + v_size; ++j) {
        raw.push_back(layout.noise_base +
                      static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(layout.noise_vocab_size))));
      }
      ignore(k_size + v_size);
      continue;
    }
    std::vector<int64_t> k = mad_motif(rng, 0, kv, k_size);
    std::vector<int64_t> v;
    if (k == k_probe) {
      // Drawing the probe's key by chance presents the probe: it is not inserted again.
      v = v_probe;
      probe_added = true;
    } else {
      const auto found = kv_map.find(k);
      if (found == kv_map.end()) {
        v = mad_motif(rng, kv, vv, v_size);
        kv_map.emplace(k, v);
      } else {
        v = found->second;  // the key keeps its value (and its value's size)
      }
    }
    append(k);
    append(v);
    ignore(k_size);
    const bool seen = presented.count(k) > 0;
    if (seen && multi_query) {
      targets.insert(targets.end(), v.begin(), v.end());
    } else {
      ignore(static_cast<int64_t>(v.size()));
    }
    presented.insert(std::move(k));
  }
  // The final probe, labelled whether or not its key was presented.
  if (!multi_query) {
    raw.push_back(layout.copy_prefix);
    ignore(1);
  }
  append(k_probe);
  append(v_probe);
  ignore(k_probe_size);
  targets.insert(targets.end(), v_probe.begin(), v_probe.end());
  // Left padding to seq_len + 1 tokens (one for the shift).
  const int64_t pad = L + 1 - static_cast<int64_t>(raw.size());
  if (pad > 0) {
    raw.insert(raw.begin(), static_cast<size_t>(pad), layout.pad_token);
    targets.insert(targets.begin(), static_cast<size_t>(pad), kIgnoreLabel);
  }
}

TokenSegment mad_generate_fuzzy(const SegmentConfig& s, int64_t vocab_size, uint64_t seed) {
  check_generated_segment(s, vocab_size, check_mad_fuzzy_shape);
  const MadRecallLayout layout = mad_recall_layout(s, vocab_size);
  TokenSegment segment = mad_make_segment(s, layout);
  const int64_t L = s.input_seq_len;
  const int64_t k_max = s.integer("k_motif_size");
  const int64_t v_max = s.integer("v_motif_size");
  const bool multi_query = s.flag("multi_query");
  const bool is_training = s.flag("is_training");
  const double frac = s.number("frac_noise");
  std::vector<int64_t> raw, targets;
  raw.reserve(static_cast<size_t>(L) + 1);
  targets.reserve(static_cast<size_t>(L) + 1);
  Rng rng(seed);
  for (int64_t n = 0; n < s.num_examples; ++n) {
    mad_draw_fuzzy(rng, layout, L, k_max, v_max, multi_query, is_training, frac, raw, targets);
    mad_write_row(raw, targets, is_training, L, segment.inputs.data() + n * L, segment.labels.data() + n * L);
  }
  return segment;
}

// The parameters of the three tasks, with MAD's benchmark defaults (MADConfig, configs/tasks/*.yml).
std::vector<ParamSpec> mad_recall_params(int64_t noise_vocab_size, double frac_noise, bool fuzzy) {
  std::vector<ParamSpec> params = {
      ParamSpec::boolean("multi_query")
          .defaults_to(true)
          .described(
              "label every repeated key's value (true, MAD's benchmark) or only the final probe, which then "
              "follows a copy-prefix token (vocab_size - 1)"),
      ParamSpec::integer("noise_vocab_size")
          .defaults_to(noise_vocab_size)
          .at_least(0)
          .described(
              "noise tokens, taken from the top of the non-special vocabulary (they shrink the key and "
              "value vocabularies even when frac_noise is 0)"),
      ParamSpec::number("frac_noise")
          .defaults_to(frac_noise)
          .at_least(0)
          .at_most(1)
          .described("probability that a key-value slot is noise instead (0 <= frac_noise < 1; > 0 needs "
                     "noise_vocab_size > 0)"),
  };
  if (fuzzy) {
    params.push_back(ParamSpec::integer("k_motif_size")
                         .defaults_to(3)
                         .at_least(1)
                         .described("largest key motif (distinct adjacent key tokens); training draws 1.."
                                    "k_motif_size, test examples use k_motif_size"));
    params.push_back(ParamSpec::integer("v_motif_size")
                         .defaults_to(3)
                         .at_least(1)
                         .described("largest value motif (distinct adjacent value tokens), drawn from "
                                    "1..v_motif_size"));
  }
  params.push_back(
      ParamSpec::boolean("is_training")
          .defaults_to(true)
          .described("MAD's training targets: every next token is labelled (true); false labels only "
                     "the probed values, as MAD's test sets"));
  return params;
}

std::vector<QueryFacts> mad_query_facts_rule(const int64_t* inputs, const int64_t* labels, int64_t seq_len,
                                             const Slices& slices) {
  return mad_recall_query_facts(inputs, labels, seq_len, slices);
}

TaskSpec mad_recall_base_spec() {
  TaskSpec spec;
  spec.family = "mad";
  spec.slice_keys = {"input_seq_len", "key_vocab_size", "value_vocab_size", "noise_percent"};
  spec.generator_version = 1;
  spec.query_facts = mad_query_facts_rule;
  spec.source_label = "key";
  return spec;
}

}  // namespace

MadRecallLayout mad_recall_layout(const SegmentConfig& s, int64_t vocab_size) {
  MadRecallLayout layout;
  const bool multi_query = s.flag("multi_query");
  layout.noise_vocab_size = s.integer("noise_vocab_size");
  // MAD's non_special_vocab_size: keys are its lower half (floor), values the rest, noise above it.
  const int64_t non_special = vocab_size - mad_special_tokens(s) - layout.noise_vocab_size;
  layout.key_vocab_size = non_special / 2;
  layout.value_vocab_size = non_special - non_special / 2;
  layout.noise_base = non_special;
  if (!multi_query) {
    layout.copy_prefix = vocab_size - 1;
  }
  if (mad_is_fuzzy(s)) {
    layout.pad_token = multi_query ? vocab_size - 1 : vocab_size - 2;
  }
  return layout;
}

TokenSegment generate_in_context_recall(const SegmentConfig& segment, int64_t vocab_size, uint64_t seed) {
  return mad_generate_in_context(segment, vocab_size, seed);
}

TokenSegment generate_noisy_in_context_recall(const SegmentConfig& segment, int64_t vocab_size,
                                              uint64_t seed) {
  // MAD's noisy function calls the in-context one with its own defaults.
  return mad_generate_in_context(segment, vocab_size, seed);
}

TokenSegment generate_fuzzy_in_context_recall(const SegmentConfig& segment, int64_t vocab_size,
                                              uint64_t seed) {
  return mad_generate_fuzzy(segment, vocab_size, seed);
}

std::vector<QueryFacts> mad_recall_query_facts(const int64_t* inputs, const int64_t* labels, int64_t seq_len,
                                               const Slices& slices) {
  const int64_t kv = slice_or(slices, "key_vocab_size", -1);
  const int64_t vv = slice_or(slices, "value_vocab_size", -1);
  if (kv < 0 || vv < 0) {
    return latest_pair_query_facts(inputs, labels, seq_len, slices);
  }
  const auto is_key = [kv](int64_t t) { return t >= 0 && t < kv; };
  const auto is_value = [kv, vv](int64_t t) { return t >= kv && t < kv + vv; };
  return labelled_query_facts(inputs, labels, seq_len, [&](QueryFacts& f) {
    const int64_t p = f.position;
    const int64_t t = f.target;
    if (!is_value(t)) {
      return;
    }
    // The value tokens up to p, then the key motif before them.
    int64_t key_end = p;
    while (key_end >= 0 && is_value(inputs[key_end])) {
      --key_end;
    }
    if (key_end < 0 || !is_key(inputs[key_end])) {
      return;
    }
    int64_t key_start = key_end;
    while (key_start > 0 && is_key(inputs[key_start - 1])) {
      --key_start;
    }
    // The latest earlier s with the same maximal key run and value tokens (m of them in all), then t.
    const int64_t m = p - key_start + 1;
    for (int64_t s = key_start - m - 1; s >= 0; --s) {
      if (inputs[s + m] != t || (s > 0 && is_key(inputs[s - 1]))) {
        continue;
      }
      bool same = true;
      for (int64_t i = 0; i < m && same; ++i) {
        same = inputs[s + i] == inputs[key_start + i];
      }
      if (same) {
        f.set_source(s + m - 1);
        return;
      }
    }
  });
}

TaskSpec in_context_recall_task_spec() {
  TaskSpec spec = mad_recall_base_spec();
  spec.name = kMadInContextRecall;
  spec.summary =
      "MAD's in-context recall: key-value pairs drawn with replacement (a key keeps its value); with "
      "multi_query every repeated key's value is asked, and a presented key is probed at the end";
  spec.params = mad_recall_params(0, 0.0, false);
  spec.example = {{"input_seq_len", 64}, {"num_examples", 100}};
  spec.example_vocab_size = 16;
  spec.check_shape = check_mad_in_context_shape;
  spec.generate = generate_in_context_recall;
  return spec;
}

TaskSpec noisy_in_context_recall_task_spec() {
  TaskSpec spec = mad_recall_base_spec();
  spec.name = kMadNoisyInContextRecall;
  spec.summary =
      "MAD's noisy in-context recall: in-context recall where each key-value slot is, with probability "
      "frac_noise, two tokens of a separate noise vocabulary instead";
  spec.params = mad_recall_params(16, 0.2, false);
  spec.example = {{"input_seq_len", 64}, {"num_examples", 100}};
  spec.example_vocab_size = 32;
  spec.check_shape = check_mad_in_context_shape;
  spec.generate = generate_noisy_in_context_recall;
  return spec;
}

TaskSpec fuzzy_in_context_recall_task_spec() {
  TaskSpec spec = mad_recall_base_spec();
  spec.name = kMadFuzzyInContextRecall;
  spec.summary =
      "MAD's fuzzy in-context recall: keys and values are motifs of several distinct tokens, the probe "
      "pair is inserted at a random index and asked again at the end; left-padded";
  spec.params = mad_recall_params(0, 0.0, true);
  spec.slice_keys.push_back("k_motif_size");
  spec.slice_keys.push_back("v_motif_size");
  spec.example = {{"input_seq_len", 64}, {"num_examples", 100}};
  spec.example_vocab_size = 16;
  spec.check_shape = check_mad_fuzzy_shape;
  spec.generate = generate_fuzzy_in_context_recall;
  return spec;
}

}  // namespace zoolab
