#include "engine/inspect/inspection.h"

#include <stdexcept>

#include "engine/data/task_registry.h"
#include "engine/store/store.h"

namespace zoolab {

namespace {

// The latest set of `subset`, restricted to `step` when one is given.
std::optional<QueryRecordSetInfo> latest(const std::vector<QueryRecordSetInfo>& sets,
                                         const std::string& subset, std::optional<int64_t> step) {
  std::optional<QueryRecordSetInfo> found;
  for (const auto& info : sets) {
    if (info.subset != subset || (step && info.step != *step)) {
      continue;
    }
    if (!found || info.step > found->step) {
      found = info;
    }
  }
  return found;
}

}  // namespace

std::optional<QueryRecordSetInfo> choose_record_set(const std::vector<QueryRecordSetInfo>& sets,
                                                    std::optional<int64_t> step) {
  // "all" covers every test query, so it wins whenever it exists: at the final evaluation, or at the
  // step asked for.
  if (auto all = latest(sets, "all", step)) {
    return all;
  }
  return latest(sets, "tracked", step);
}

QueryRecordSet load_record_set(const Store& store, int64_t run, int64_t step, const std::string& subset) {
  const std::string what =
      "run " + std::to_string(run) + ", step " + std::to_string(step) + " (\"" + subset + "\" records)";
  const auto blob = store.query_records(run, step, subset);
  if (!blob) {
    throw std::runtime_error(what + ": no such query records in " + store.path() +
                             " (`zoolab-cli inspect RUN` lists the recorded steps)");
  }
  try {
    return decode_query_records(*blob);
  } catch (const std::exception& error) {
    throw std::runtime_error(what + ": " + error.what());
  }
}

std::vector<QueryRecordSet> load_tracked_history(const Store& store, int64_t run) {
  std::vector<QueryRecordSet> history;
  for (const auto& info : store.list_query_records(run)) {  // by step
    if (info.subset == "tracked") {
      history.push_back(load_record_set(store, run, info.step, info.subset));
    }
  }
  return history;
}

std::vector<TokenSegment> regenerate_test_split(const RunConfig& config) {
  // The trainer generates (or loads from its cache, which holds the same tokens) every segment with
  // data.vocab_size and the segment's test seed; doing the same here reproduces its test split exactly.
  const auto seeds = segment_seeds(config.data);
  std::vector<TokenSegment> split;
  split.reserve(config.data.test.size());
  for (size_t s = 0; s < config.data.test.size(); ++s) {
    split.push_back(generate_segment(config.data.test[s], config.data.vocab_size, seeds.test[s]));
  }
  return split;
}

TestExample test_example(const std::vector<TokenSegment>& split, int64_t example) {
  int64_t first = 0;
  if (example >= 0) {
    for (size_t s = 0; s < split.size(); ++s) {
      const auto& segment = split[s];
      if (example < first + segment.num_examples) {
        const auto row = static_cast<size_t>((example - first) * segment.seq_len);
        const auto end = row + static_cast<size_t>(segment.seq_len);
        TestExample out;
        out.example = example;
        out.segment = static_cast<int64_t>(s);
        out.inputs.assign(segment.inputs.begin() + static_cast<std::ptrdiff_t>(row),
                          segment.inputs.begin() + static_cast<std::ptrdiff_t>(end));
        out.labels.assign(segment.labels.begin() + static_cast<std::ptrdiff_t>(row),
                          segment.labels.begin() + static_cast<std::ptrdiff_t>(end));
        return out;
      }
      first += segment.num_examples;
    }
  } else {
    for (const auto& segment : split) {
      first += segment.num_examples;
    }
  }
  throw std::out_of_range("test example " + std::to_string(example) +
                          " is out of range: the test split has " + std::to_string(first) +
                          " examples (0 to " + std::to_string(first - 1) + ")");
}

}  // namespace zoolab
