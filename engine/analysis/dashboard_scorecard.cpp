// The MAD scorecard (Poli et al., 2024, "Mechanistic Design and Scaling of Hybrid Architectures", and
// athms/mad-lab's benchmark.py): for every architecture, its accuracy on each MAD task, averaged over the
// task's difficulty settings after taking, per setting, the best run over the optimisation grid (learning
// rate, weight decay); the MAD score is the mean over the tasks. docs/tasks.md#the-mad-protocol.

#include <map>
#include <set>

#include "engine/analysis/dashboard_support.h"
#include "engine/data/task_registry.h"

namespace zoolab::dashboard {

namespace {

// The task every segment of the run's test split (or, lacking one, its training split) names, or "" for a
// mixed-task run.
std::string single_test_task(const nlohmann::json& config) {
  std::string task;
  const auto data = config.find("data");
  if (data == config.end() || !data->is_object()) {
    return {};
  }
  const char* split = data->contains("test") ? "test" : "train";
  if (!data->contains(split) || !data->at(split).is_array()) {
    return {};
  }
  for (const auto& segment : data->at(split)) {
    if (!segment.is_object()) {
      return {};
    }
    const std::string name = segment.value("task", std::string("mqar"));
    if (!task.empty() && name != task) {
      return {};
    }
    task = name;
  }
  return task;
}

// A run's difficulty setting: its data (vocabulary, segments, their seeds and batch sizes) and model; the
// optimisation grid (train.learning_rate, train.weight_decay) and the run's name are what runs of one
// setting may differ in.
std::string setting_key(const nlohmann::json& config) {
  nlohmann::json key = config;
  key.erase("name");
  key.erase("description");
  if (key.contains("train")) {
    key["train"].erase("learning_rate");
    key["train"].erase("weight_decay");
  }
  return key.dump();
}

}  // namespace

void mad_scorecard(Figure& figure, const Selection& selection, const DashboardOptions& options) {
  const bool lower = lower_wins(options);
  // architecture -> task -> setting -> best run value
  std::map<std::string, std::map<std::string, std::map<std::string, RunValue>>> best;
  std::set<std::string> tasks;
  int64_t other = 0, mixed = 0;
  // Several widths of one mixer are several architectures.
  std::map<std::string, std::set<int64_t>> widths;
  for (const auto& run : selection.runs) {
    widths[run.run->model].insert(run.run->d_model);
  }
  for (const auto& run : selection.runs) {
    const std::string task = single_test_task(run.run->config);
    if (task.empty()) {
      ++mixed;
      continue;
    }
    const TaskSpec* spec = nullptr;
    for (const auto& candidate : task_registry()) {
      spec = candidate.name == task ? &candidate : spec;
    }
    if (spec == nullptr || spec->family != "mad") {
      ++other;
      continue;
    }
    std::string architecture = run.run->model;
    if (widths[run.run->model].size() > 1) {
      architecture += " d" + std::to_string(run.run->d_model);
    }
    tasks.insert(task);
    auto& cell = best[architecture][task];
    const std::string setting = setting_key(run.run->config);
    const auto found = cell.find(setting);
    if (found == cell.end() || better(run, found->second, lower)) {
      cell[setting] = run;
    }
  }
  if (other > 0) {
    figure.notes.push_back(std::to_string(other) + " run(s) of tasks outside the MAD suite left out");
  }
  if (mixed > 0) {
    figure.notes.push_back(std::to_string(mixed) + " run(s) testing several tasks at once left out");
  }
  FigureTable table;
  table.columns.push_back("architecture");
  // The tasks in the registry's order (MAD's: recall, copying, compression, memorization).
  std::vector<std::string> ordered;
  for (const auto& spec : task_registry()) {
    if (tasks.count(spec.name) > 0) {
      ordered.push_back(spec.name);
    }
  }
  table.columns.insert(table.columns.end(), ordered.begin(), ordered.end());
  table.columns.push_back("MAD score");
  for (const auto& [architecture, by_task] : best) {
    std::vector<std::string> line = {architecture};
    double score_sum = 0.0;
    int64_t scored = 0;
    for (const auto& task : ordered) {
      const auto found = by_task.find(task);
      if (found == by_task.end()) {
        line.emplace_back();
        continue;
      }
      double sum = 0.0;
      for (const auto& [setting, run] : found->second) {
        sum += run.value;
      }
      const double mean = sum / static_cast<double>(found->second.size());
      line.push_back(format_value(mean) + " (" + std::to_string(found->second.size()) + ")");
      score_sum += mean;
      ++scored;
    }
    // A score over fewer tasks than the table's is not comparable: it is shown, marked.
    line.push_back(scored == 0 ? std::string()
                               : format_value(score_sum / static_cast<double>(scored)) +
                                     (scored < static_cast<int64_t>(tasks.size()) ? " (partial)" : ""));
    table.rows.push_back(std::move(line));
  }
  if (tasks.count("compression") > 0) {
    figure.notes.push_back(
        "compression: MAD scores it with an encoder-decoder; zoolab's causal language model "
        "makes it the identity (docs/tasks.md#compression), so its column is not MAD's");
  }
  figure.notes.push_back(
      "each task cell: mean over its difficulty settings (their count in parentheses) of the "
      "best run per setting over learning rate and weight decay; MAD score: mean over tasks");
  figure.table = std::move(table);
}

}  // namespace zoolab::dashboard
