#pragma once

// A database of runs with configurations and metrics for the dashboard tests of seed groups and task
// definitions: each run is a configuration as to_json writes it, reduced to what the dashboards read.

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/analysis/dashboards.h"
#include "engine/analysis/figure.h"
#include "engine/store/store.h"

namespace zoolab::dashboard_test {

using nlohmann::json;

// One setting of an MQAR run; `seed` is the run seed, the only field repetitions change.
struct Setting {
  std::string mixer = "attention";
  int64_t d_model = 64;
  int64_t seq_len = 64;
  int64_t kv_pairs = 4;
  double learning_rate = 1e-3;
  int64_t vocab_size = 8192;
  int64_t max_epochs = 64;
  int64_t batch_size = 64;
  uint64_t seed = 123;
};

inline json config_of(const Setting& s) {
  const json segment = {
      {"task", "mqar"}, {"input_seq_len", s.seq_len}, {"num_kv_pairs", s.kv_pairs}, {"num_examples", 1000}};
  return {{"name", s.mixer + "-d" + std::to_string(s.d_model) + "-seed=" + std::to_string(s.seed)},
          {"description", ""},
          {"seed", s.seed},
          {"data",
           {{"vocab_size", s.vocab_size},
            {"batch_size", {s.batch_size, s.batch_size}},
            {"seed", 0},
            {"cache_dir", ""},
            {"train", json::array({segment})},
            {"test", json::array({segment})}}},
          {"model", {{"d_model", s.d_model}, {"n_layers", 2}, {"sequence_mixer", {{"name", s.mixer}}}}},
          {"train",
           {{"learning_rate", s.learning_rate},
            {"max_epochs", s.max_epochs},
            {"early_stopping_metric", "valid/accuracy"},
            {"early_stopping_threshold", 0.99},
            {"accuracy_average", "example"}}}};
}

class DashboardFixture : public ::testing::Test {
 protected:
  int64_t add(const json& config, RunStatus status = RunStatus::Finished) {
    NewRun run;
    run.name = config.value("name", std::string("run"));
    run.task = "mqar";
    run.mixer = "attention";
    run.config_json = config.dump();
    run.status = status;
    return m_store.create_run(run);
  }

  // A finished run of `setting` whose last valid/accuracy is `accuracy`.
  int64_t add(const Setting& setting, double accuracy) {
    const int64_t run = add(config_of(setting));
    log(run, "valid/accuracy", 1, accuracy);
    return run;
  }

  void log(int64_t run, const std::string& key, int64_t step, double value) {
    MetricPoint point;
    point.run_id = run;
    point.key = key;
    point.step = step;
    point.value = value;
    m_store.append_metrics({point});
  }

  Figure build(const std::string& name, const DashboardOptions& options = {}) {
    return build_dashboard(name, m_store, options);
  }

  Store m_store{":memory:"};
};

inline std::string joined(const std::vector<std::string>& notes) {
  std::string out;
  for (const auto& note : notes) {
    out += note + "\n";
  }
  return out;
}

template <typename F>
std::string invalid_argument_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "(no std::invalid_argument thrown)";
}

// Every plotted point of the figure, in panel, series and x order.
inline std::vector<FigurePoint> points_of(const Figure& figure) {
  std::vector<FigurePoint> out;
  for (const auto& panel : figure.panels) {
    for (const auto& series : panel.series) {
      out.insert(out.end(), series.points.begin(), series.points.end());
    }
  }
  return out;
}

}  // namespace zoolab::dashboard_test
