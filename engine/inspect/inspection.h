#pragma once

// A run's recorded evaluations, as the inspector loads them. No torch, no Qt.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/config/run_config.h"
#include "engine/data/tasks/mqar.h"
#include "engine/inspect/query_records.h"
#include "engine/store/records.h"

namespace zoolab {

class Store;

// The set `zoolab-cli inspect RUN [--step N]` shows: with no step, the latest "all" set (the final
// evaluation), else the latest "tracked" one; with a step, that step's "all" set if any, else its
// "tracked" one. nullopt when there is none.
std::optional<QueryRecordSetInfo> choose_record_set(const std::vector<QueryRecordSetInfo>& sets,
                                                    std::optional<int64_t> step = {});

// Loads and decodes one set; throws std::runtime_error naming the run and step when it is missing or
// unreadable.
QueryRecordSet load_record_set(const Store& store, int64_t run, int64_t step, const std::string& subset);

// Every "tracked" set of the run, by step (the accuracy-by-gap-over-epochs heatmap).
std::vector<QueryRecordSet> load_tracked_history(const Store& store, int64_t run);

// The run's test split, regenerated from its configuration (MQAR data is a function of the config), so
// records need not store tokens. Segments in config order.
std::vector<TokenSegment> regenerate_test_split(const RunConfig& config);

// One test example's tokens, by its index in the split; throws std::out_of_range naming the index.
struct TestExample {
  int64_t example = 0;
  int64_t segment = 0;
  std::vector<int64_t> inputs;
  std::vector<int64_t> labels;
};
TestExample test_example(const std::vector<TokenSegment>& split, int64_t example);

}  // namespace zoolab
