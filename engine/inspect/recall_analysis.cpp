#include "engine/inspect/recall_analysis.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <tuple>

#include <nlohmann/json.hpp>

namespace zoolab {

namespace {

// Queries and right answers of one group.
struct Tally {
  int64_t n = 0;
  int64_t correct = 0;
};

std::vector<AccuracyBin> bins_of(const std::map<int64_t, Tally>& tallies) {
  std::vector<AccuracyBin> bins;
  bins.reserve(tallies.size());
  for (const auto& [value, tally] : tallies) {
    bins.push_back({value, tally.n, static_cast<double>(tally.correct) / static_cast<double>(tally.n)});
  }
  return bins;
}

// The segment a record names, checked: a set whose records point past its segments is corrupt, and
// silently dropping them would make the slices disagree with the totals.
const RecordSegment& segment_of(const QueryRecordSet& set, const ExampleOutcome& outcome) {
  if (outcome.segment < 0 || outcome.segment >= static_cast<int64_t>(set.segments.size())) {
    throw std::invalid_argument("query records: example " + std::to_string(outcome.example) +
                                " names segment " + std::to_string(outcome.segment) + ", but the set (step " +
                                std::to_string(set.step) + ", subset \"" + set.subset + "\") has " +
                                std::to_string(set.segments.size()) + " segments");
  }
  return set.segments[static_cast<size_t>(outcome.segment)];
}

// Records ordered by (example, position), whatever order the set holds them in.
std::vector<const QueryRecord*> sorted_records(const QueryRecordSet& set) {
  std::vector<const QueryRecord*> out;
  out.reserve(set.records.size());
  for (const auto& record : set.records) {
    out.push_back(&record);
  }
  std::stable_sort(out.begin(), out.end(), [](const QueryRecord* a, const QueryRecord* b) {
    return std::tie(a->example, a->position) < std::tie(b->example, b->position);
  });
  return out;
}

std::string where(const QueryRecord& record) {
  return "example " + std::to_string(record.example) + " position " + std::to_string(record.position);
}

nlohmann::json bins_json(const std::vector<AccuracyBin>& bins, const char* value_name) {
  auto out = nlohmann::json::array();
  for (const auto& bin : bins) {
    out.push_back({{value_name, bin.value}, {"n", bin.n}, {"accuracy", bin.accuracy}});
  }
  return out;
}

}  // namespace

std::vector<ExampleOutcome> example_outcomes(const QueryRecordSet& set) {
  std::map<int64_t, ExampleOutcome> by_example;
  for (const auto& record : set.records) {
    auto& outcome = by_example[record.example];
    outcome.example = record.example;
    outcome.segment = record.segment;
    ++outcome.queries;
    outcome.correct += record.correct ? 1 : 0;
  }
  std::vector<ExampleOutcome> out;
  out.reserve(by_example.size());
  for (const auto& [example, outcome] : by_example) {
    out.push_back(outcome);
  }
  return out;
}

RecallSummary summarize_recall(const QueryRecordSet& set) {
  RecallSummary summary;
  std::map<int64_t, Tally> by_gap, by_kv_index, by_position;
  int64_t correct = 0;
  double loss_sum = 0.0;
  for (const auto& record : set.records) {
    const int64_t right = record.correct ? 1 : 0;
    correct += right;
    loss_sum += static_cast<double>(record.loss);
    auto& gap = by_gap[record.gap];
    ++gap.n;
    gap.correct += right;
    auto& kv = by_kv_index[record.kv_index];
    ++kv.n;
    kv.correct += right;
    auto& position = by_position[record.position];
    ++position.n;
    position.correct += right;
  }
  summary.queries = static_cast<int64_t>(set.records.size());
  if (summary.queries > 0) {
    summary.query_accuracy = static_cast<double>(correct) / static_cast<double>(summary.queries);
    summary.mean_loss = loss_sum / static_cast<double>(summary.queries);
  }
  summary.by_gap = bins_of(by_gap);
  summary.by_kv_index = bins_of(by_kv_index);
  summary.by_position = bins_of(by_position);

  // Per-example accuracy, averaged over examples and over the examples of each slice value, as the
  // trainer's valid/accuracy and valid/<key>/accuracy-<value> are (Zoology's pandas mean).
  const auto outcomes = example_outcomes(set);
  summary.examples = static_cast<int64_t>(outcomes.size());
  std::set<std::string> slice_keys;
  for (const auto& segment : set.segments) {
    for (const auto& slice : segment.slices) {
      slice_keys.insert(slice.first);
    }
  }
  double accuracy_sum = 0.0;
  std::map<std::string, std::map<int64_t, std::pair<double, int64_t>>> slices;  // key -> value -> (sum, n)
  for (const auto& key : slice_keys) {
    slices[key];
  }
  for (const auto& outcome : outcomes) {
    const double accuracy = static_cast<double>(outcome.correct) / static_cast<double>(outcome.queries);
    accuracy_sum += accuracy;
    for (const auto& [key, value] : segment_of(set, outcome).slices) {
      auto& group = slices[key][value];
      group.first += accuracy;
      ++group.second;
    }
  }
  if (summary.examples > 0) {
    summary.accuracy = accuracy_sum / static_cast<double>(summary.examples);
  }
  for (const auto& [key, groups] : slices) {
    auto& bins = summary.by_slice[key];
    for (const auto& [value, sum_n] : groups) {
      bins.push_back({value, sum_n.second, sum_n.first / static_cast<double>(sum_n.second)});
    }
  }
  return summary;
}

RecallComparison compare_recall(const QueryRecordSet& a, const QueryRecordSet& b) {
  const auto ra = sorted_records(a);
  const auto rb = sorted_records(b);
  const auto differ = [&](const std::string& what) {
    std::string context;
    if (a.subset != b.subset) {
      context = " (run A's set is \"" + a.subset + "\", run B's \"" + b.subset + "\")";
    }
    return std::invalid_argument("compare recall: the two record sets hold different queries" + context +
                                 ": " + what);
  };
  const size_t common = std::min(ra.size(), rb.size());
  for (size_t i = 0; i < common; ++i) {
    const QueryRecord& x = *ra[i];
    const QueryRecord& y = *rb[i];
    if (x.example != y.example || x.position != y.position) {
      throw differ("run A's query " + std::to_string(i) + " is at " + where(x) + ", run B's at " + where(y));
    }
    if (x.key != y.key) {
      throw differ(where(x) + ": run A's query key " + std::to_string(x.key) + ", run B's " +
                   std::to_string(y.key));
    }
    if (x.target != y.target) {
      throw differ(where(x) + ": run A's target " + std::to_string(x.target) + ", run B's " +
                   std::to_string(y.target));
    }
  }
  if (ra.size() != rb.size()) {
    const bool a_longer = ra.size() > rb.size();
    const QueryRecord& extra = a_longer ? *ra[common] : *rb[common];
    throw differ("run A has " + std::to_string(ra.size()) + " queries, run B " + std::to_string(rb.size()) +
                 " (the first only in run " + (a_longer ? "A" : "B") + ": " + where(extra) + ")");
  }

  RecallComparison comparison;
  std::set<int64_t> both_right, only_a, only_b, both_wrong;
  for (size_t i = 0; i < common; ++i) {
    const bool right_a = ra[i]->correct;
    const bool right_b = rb[i]->correct;
    const int64_t example = ra[i]->example;
    if (right_a && right_b) {
      ++comparison.both_right;
      both_right.insert(example);
    } else if (right_a) {
      ++comparison.only_a;
      only_a.insert(example);
    } else if (right_b) {
      ++comparison.only_b;
      only_b.insert(example);
    } else {
      ++comparison.both_wrong;
      both_wrong.insert(example);
    }
  }
  comparison.both_right_examples.assign(both_right.begin(), both_right.end());
  comparison.only_a_examples.assign(only_a.begin(), only_a.end());
  comparison.only_b_examples.assign(only_b.begin(), only_b.end());
  comparison.both_wrong_examples.assign(both_wrong.begin(), both_wrong.end());
  return comparison;
}

GapHistory gap_history(const std::vector<QueryRecordSet>& sets) {
  GapHistory history;
  std::set<int64_t> gaps;
  for (const auto& set : sets) {
    for (const auto& record : set.records) {
      gaps.insert(record.gap);
    }
  }
  history.gaps.assign(gaps.begin(), gaps.end());
  std::map<int64_t, size_t> column;
  for (size_t g = 0; g < history.gaps.size(); ++g) {
    column[history.gaps[g]] = g;
  }
  for (const auto& set : sets) {
    history.steps.push_back(set.step);
    history.epochs.push_back(set.epoch);
    std::vector<Tally> tallies(history.gaps.size());
    for (const auto& record : set.records) {
      auto& tally = tallies[column[record.gap]];
      ++tally.n;
      tally.correct += record.correct ? 1 : 0;
    }
    std::vector<double> row(history.gaps.size(), std::numeric_limits<double>::quiet_NaN());
    for (size_t g = 0; g < tallies.size(); ++g) {
      if (tallies[g].n > 0) {
        row[g] = static_cast<double>(tallies[g].correct) / static_cast<double>(tallies[g].n);
      }
    }
    history.accuracy.push_back(std::move(row));
  }
  return history;
}

nlohmann::json to_json(const RecallSummary& summary) {
  nlohmann::json by_slice = nlohmann::json::object();
  for (const auto& [key, bins] : summary.by_slice) {
    by_slice[key] = bins_json(bins, "value");
  }
  return {{"examples", summary.examples},
          {"queries", summary.queries},
          {"accuracy", summary.accuracy},
          {"query_accuracy", summary.query_accuracy},
          {"mean_loss", summary.mean_loss},
          {"by_gap", bins_json(summary.by_gap, "gap")},
          {"by_kv_index", bins_json(summary.by_kv_index, "kv_index")},
          {"by_position", bins_json(summary.by_position, "position")},
          {"by_slice", by_slice}};
}

nlohmann::json to_json(const QueryRecord& record) {
  return {{"example", record.example},   {"position", record.position},     {"key", record.key},
          {"target", record.target},     {"prediction", record.prediction}, {"correct", record.correct},
          {"loss", record.loss},         {"p_target", record.p_target},     {"gap", record.gap},
          {"kv_index", record.kv_index}, {"segment", record.segment}};
}

nlohmann::json to_json(const RecallComparison& comparison) {
  return {{"both_right", comparison.both_right},
          {"only_a", comparison.only_a},
          {"only_b", comparison.only_b},
          {"both_wrong", comparison.both_wrong},
          {"both_right_examples", comparison.both_right_examples},
          {"only_a_examples", comparison.only_a_examples},
          {"only_b_examples", comparison.only_b_examples},
          {"both_wrong_examples", comparison.both_wrong_examples}};
}

nlohmann::json to_json(const GapHistory& history) {
  // NaN (no query at that gap) becomes null: JSON has no NaN.
  auto accuracy = nlohmann::json::array();
  for (const auto& row : history.accuracy) {
    auto out = nlohmann::json::array();
    for (const double value : row) {
      out.push_back(std::isnan(value) ? nlohmann::json(nullptr) : nlohmann::json(value));
    }
    accuracy.push_back(std::move(out));
  }
  return {
      {"steps", history.steps}, {"epochs", history.epochs}, {"gaps", history.gaps}, {"accuracy", accuracy}};
}

}  // namespace zoolab
