#pragma once

// What the dashboards know of a run: its record, its parsed configuration, the fields the figures group
// by, and its metric summaries. Loaded in two queries for the whole database (list_runs + all_summaries).

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/store/records.h"

namespace zoolab {

class Store;

struct RunFacts {
  RunRecord run;
  nlohmann::json config;  // the stored full configuration (null if it does not parse)
  std::string model;      // legend label: the sequence mixer; a hybrid is named by its parts other
                          // than base_conv, as Zoology names Hybrid[BaseConv, Based] "based"
  int64_t d_model = 0;
  int64_t seq_len = 0;       // longest input_seq_len of the training segments
  int64_t num_kv_pairs = 0;  // of the training segment with the longest input_seq_len
  double learning_rate = 0.0;
  std::string seed_group;  // seed_group_key(config): runs differing only in seed share it
  std::string sweep;       // the sweep's name, "" for a run outside a sweep
  std::unordered_map<std::string, MetricSummary> summaries;  // by metric key
};

// The legend label of a model configuration ({"sequence_mixer": {...}, ...}), see RunFacts::model.
std::string model_label(const nlohmann::json& model_config);

std::vector<RunFacts> load_run_facts(const Store& store);

// The facts of one run from what a caller already holds (the window's poller has the records and
// summaries): `config` is the parsed config_json (null when it does not parse), `sweep` the sweep's name.
RunFacts make_run_facts(RunRecord run, nlohmann::json config, const std::vector<MetricSummary>& summaries,
                        std::string sweep);

}  // namespace zoolab
