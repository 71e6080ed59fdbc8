#pragma once

// Comparing our task generators with the reference's: fixtures of statistics that running the reference
// generator produced (tests/engine/tasks/fixtures/<task>*.json, made by the make_task_fixtures_*.py scripts
// there with task_stats.py), and the same statistics of our segments. A statistic is a histogram of integer
// values; two agree when their total variation distance (half the L1 distance of the normalised
// histograms) is small.
//
// Fixture layout: {"task", "vocab_size", "segment": {the segment's fields as zoolab spells them},
// "num_examples", "histograms": {"<name>": {"<value>": count, ...}, ...}, "script"}.

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/config/run_config.h"
#include "engine/data/token_segment.h"

namespace zoolab::task_statistics {

using Histogram = std::map<int64_t, double>;
using Histograms = std::map<std::string, Histogram>;

// A fixture by its path under the source tree, e.g. "tests/engine/tasks/fixtures/forgetting_mqar.json".
nlohmann::json load_fixture(const std::string& relative_path);

// The fixture's segment as a SegmentConfig (task, input_seq_len, num_examples and the task's parameters).
SegmentConfig fixture_segment(const nlohmann::json& fixture);

Histograms fixture_histograms(const nlohmann::json& fixture);

// Half the L1 distance between the two histograms, each normalised to sum 1 (1 when either is empty).
double total_variation(const Histogram& a, const Histogram& b);

// The statistics every fixture has, as task_stats.py computes them:
//   label_count     labelled positions (label != -100) per example
//   label_position  the position of every labelled position
//   label_token     the label there
//   input_token     every input token
Histograms standard_histograms(const TokenSegment& segment);

}  // namespace zoolab::task_statistics
