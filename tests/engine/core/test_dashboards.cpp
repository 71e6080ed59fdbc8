// The dashboards' data layer (engine/analysis): which runs each figure chooses, checked against raw SQL
// over the metrics table, and every dashboard's shape and option errors.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/analysis/dashboards.h"
#include "engine/analysis/figure.h"
#include "engine/analysis/paper_reference.h"
#include "engine/analysis/run_facts.h"
#include "engine/store/store.h"
#include "tests/engine/core/dashboard_test_support.h"

namespace zoolab {
namespace {

using nlohmann::json;

json mixer_config(const std::string& mixer) {
  if (mixer == "based") {  // as the fig2-based presets: Hybrid[BaseConv, Based]
    return {{"name", "hybrid"},
            {"kwargs",
             {{"configs", json::array({{{"name", "base_conv"}, {"kwargs", {{"kernel_size", 3}}}},
                                       {{"name", "based"}, {"kwargs", {{"feature_dim", 8}}}}})}}}};
  }
  return {{"name", mixer}, {"kwargs", json::object()}};
}

// A stored configuration as to_json writes it, reduced to what the dashboards read.
json run_config(const std::string& name, const std::string& mixer, int64_t d_model, int64_t seq_len,
                int64_t kv_pairs, double learning_rate) {
  // A shorter second training segment: seq_len must be the longest, kv pairs those of that segment.
  json train = json::array({{{"task", "mqar"}, {"input_seq_len", seq_len / 2}, {"num_kv_pairs", 1}},
                            {{"task", "mqar"}, {"input_seq_len", seq_len}, {"num_kv_pairs", kv_pairs}}});
  return {{"name", name},
          {"description", "test run " + name},
          {"seed", 1},
          {"data", {{"vocab_size", 8192}, {"train", train}}},
          {"model", {{"d_model", d_model}, {"n_layers", 2}, {"sequence_mixer", mixer_config(mixer)}}},
          {"train", {{"learning_rate", learning_rate}, {"max_epochs", 4}}}};
}

// The shared fixture (its store, log and build) with runs described by model and cell.
class DashboardTest : public dashboard_test::DashboardFixture {
 protected:
  int64_t add_run(const std::string& name, const std::string& mixer, int64_t d_model, int64_t seq_len,
                  double learning_rate, RunStatus status = RunStatus::Finished, int64_t kv_pairs = 4) {
    return add_run_with_config(name, mixer,
                               run_config(name, mixer, d_model, seq_len, kv_pairs, learning_rate), status);
  }

  int64_t add_run_with_config(const std::string& name, const std::string& mixer, const json& config,
                              RunStatus status = RunStatus::Finished, std::optional<int64_t> sweep = {}) {
    NewRun run;
    run.name = name;
    run.task = "mqar";
    run.mixer = mixer == "based" ? "hybrid" : mixer;
    run.config_json = config.dump();
    run.status = status;
    run.sweep_id = sweep;
    return m_store.create_run(run);
  }
};

const FigurePanel* find_panel(const Figure& figure, const std::string& title) {
  for (const auto& panel : figure.panels) {
    if (panel.title == title) {
      return &panel;
    }
  }
  return nullptr;
}

const FigureSeries* find_series(const FigurePanel& panel, const std::string& name) {
  for (const auto& series : panel.series) {
    if (series.name == name) {
      return &series;
    }
  }
  return nullptr;
}

using dashboard_test::invalid_argument_of;
using dashboard_test::joined;

TEST(ModelLabelTest, NamesHybridsByTheirPartsOtherThanBaseConv) {
  EXPECT_EQ(model_label({{"sequence_mixer", mixer_config("attention")}}), "attention");
  EXPECT_EQ(model_label({{"sequence_mixer", mixer_config("based")}}), "based");
  json all_base_conv = {
      {"name", "hybrid"},
      {"kwargs", {{"configs", json::array({{{"name", "base_conv"}}, {{"name", "base_conv"}}})}}}};
  EXPECT_EQ(model_label({{"sequence_mixer", all_base_conv}}), "base_conv");
  json three = {{"name", "hybrid"},
                {"kwargs",
                 {{"configs", json::array({{{"name", "base_conv"}},
                                           {{"name", "based"}},
                                           {{"name", "sliding_window"}},
                                           {{"name", "based"}}})}}}};
  EXPECT_EQ(model_label({{"sequence_mixer", three}}), "based+sliding_window");
  EXPECT_EQ(model_label(json()), "");
}

TEST_F(DashboardTest, LoadsRunFactsFromConfigurationsSummariesAndSweeps) {
  const int64_t sweep = m_store.create_sweep("widths", "{}");
  const int64_t in_sweep = add_run_with_config("a", "based", run_config("a", "based", 96, 256, 16, 0.003),
                                               RunStatus::Finished, sweep);
  const int64_t broken = add_run_with_config("b", "h3", json(), RunStatus::Failed);
  m_store.set_model_info(in_sweep, 12345, 678);
  log(in_sweep, "valid/accuracy", 1, 0.25);
  log(in_sweep, "valid/accuracy", 2, 0.5);
  log(in_sweep, "valid/accuracy", 3, 0.375);

  const auto facts = load_run_facts(m_store);
  ASSERT_EQ(facts.size(), 2u);
  const RunFacts& a = facts[0].run.id == in_sweep ? facts[0] : facts[1];
  const RunFacts& b = facts[0].run.id == broken ? facts[0] : facts[1];
  EXPECT_EQ(a.model, "based");
  EXPECT_EQ(a.d_model, 96);
  EXPECT_EQ(a.seq_len, 256);
  EXPECT_EQ(a.num_kv_pairs, 16);
  EXPECT_DOUBLE_EQ(a.learning_rate, 0.003);
  EXPECT_EQ(a.sweep, "widths");
  EXPECT_EQ(a.run.state_size, 678);
  ASSERT_EQ(a.summaries.count("valid/accuracy"), 1u);
  EXPECT_EQ(a.summaries.at("valid/accuracy").last, 0.375);
  EXPECT_EQ(a.summaries.at("valid/accuracy").best, 0.5);
  EXPECT_EQ(a.config["model"]["d_model"], 96);
  // A run whose stored configuration says nothing keeps its recorded mixer and zeros.
  EXPECT_EQ(b.model, "h3");
  EXPECT_EQ(b.d_model, 0);
  EXPECT_EQ(b.seq_len, 0);
  EXPECT_EQ(b.sweep, "");
}

// The chosen run of every (mixer, sequence length, d_model) cell by raw SQL over the metrics table, as
// Zoology's plots choose it: each run's last-step valid/accuracy, the highest per cell, ties to the
// lowest id. Returns (mixer, seq_len, d_model) -> (run id, value, runs in the cell).
std::map<std::tuple<std::string, int64_t, int64_t>, std::tuple<int64_t, double, int64_t>> chosen_by_sql(
    sqlite3* db) {
  const char* sql = R"sql(
    WITH last AS (
      SELECT m.run_id, m.value FROM metrics m
      WHERE m.key = 'valid/accuracy' AND m.id = (
        SELECT m2.id FROM metrics m2 WHERE m2.run_id = m.run_id AND m2.key = m.key
        ORDER BY m2.step DESC, m2.id DESC LIMIT 1)),
    cells AS (
      SELECT r.id, l.value,
        CASE json_extract(r.config_json, '$.model.sequence_mixer.name')
          WHEN 'hybrid' THEN json_extract(r.config_json, '$.model.sequence_mixer.kwargs.configs[1].name')
          ELSE json_extract(r.config_json, '$.model.sequence_mixer.name') END AS mixer,
        json_extract(r.config_json, '$.model.d_model') AS d_model,
        (SELECT MAX(json_extract(s.value, '$.input_seq_len')) FROM json_each(r.config_json, '$.data.train') s)
          AS seq_len
      FROM runs r JOIN last l ON l.run_id = r.id
      WHERE r.status = 'finished')
    SELECT c.mixer, c.seq_len, c.d_model,
      (SELECT c2.id FROM cells c2 WHERE c2.mixer = c.mixer AND c2.seq_len = c.seq_len AND c2.d_model = c.d_model
       ORDER BY c2.value DESC, c2.id ASC LIMIT 1),
      MAX(c.value), COUNT(*)
    FROM cells c GROUP BY c.mixer, c.seq_len, c.d_model)sql";
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::map<std::tuple<std::string, int64_t, int64_t>, std::tuple<int64_t, double, int64_t>> out;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    out[{reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), sqlite3_column_int64(stmt, 1),
         sqlite3_column_int64(stmt, 2)}] = {sqlite3_column_int64(stmt, 3), sqlite3_column_double(stmt, 4),
                                            sqlite3_column_int64(stmt, 5)};
  }
  sqlite3_finalize(stmt);
  return out;
}

TEST_F(DashboardTest, AccuracyVsWidthChoosesTheRunsThatSqlOverTheMetricsChooses) {
  std::mt19937 rng(20231207);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const std::vector<double> learning_rates = {1e-4, 4.6e-4, 2.15e-3, 1e-2};
  int unfinished = 0;
  int without_metric = 0;
  for (const std::string mixer : {"attention", "base_conv", "h3", "based"}) {
    for (int64_t d_model : {64, 128, 256}) {
      for (int64_t seq_len : {64, 128, 512}) {
        for (double lr : learning_rates) {
          const double dice = uniform(rng);
          const RunStatus status = dice < 0.1    ? RunStatus::Running
                                   : dice < 0.15 ? RunStatus::Cancelled
                                                 : RunStatus::Finished;
          unfinished += status != RunStatus::Finished;
          const std::string name = mixer + "-d" + std::to_string(d_model) + "-L" + std::to_string(seq_len);
          const int64_t run = add_run(name, mixer, d_model, seq_len, lr, status);
          log(run, "train/loss", 1, uniform(rng));
          if (uniform(rng) < 0.08) {
            without_metric += status == RunStatus::Finished;
            continue;
          }
          // Steps logged out of order, coarse values (ties between learning rates), and a best value
          // that is not the last one: the last step's value must be the one compared.
          std::vector<int64_t> steps = {3, 1, 4, 2};
          std::shuffle(steps.begin(), steps.end(), rng);
          for (int64_t step : steps) {
            log(run, "valid/accuracy", step, std::round(uniform(rng) * 8) / 8);
          }
        }
      }
    }
  }
  ASSERT_GT(unfinished, 0);
  ASSERT_GT(without_metric, 0);

  const Figure figure = build("accuracy-vs-width");
  const auto expected = chosen_by_sql(m_store.handle());
  ASSERT_FALSE(expected.empty());
  std::map<std::tuple<std::string, int64_t, int64_t>, std::tuple<int64_t, double, int64_t>> actual;
  std::vector<int64_t> panel_lengths;
  for (const auto& panel : figure.panels) {
    const int64_t seq_len = std::stoll(panel.title.substr(std::string("Sequence Length: ").size()));
    panel_lengths.push_back(seq_len);
    EXPECT_TRUE(panel.x.log);
    EXPECT_EQ(panel.y.title, "Accuracy");
    for (const auto& series : panel.series) {
      EXPECT_EQ(series.style, SeriesStyle::Line);
      EXPECT_EQ(series.group, series.name);
      for (size_t i = 0; i < series.points.size(); ++i) {
        const FigurePoint& point = series.points[i];
        if (i > 0) {
          EXPECT_LT(series.points[i - 1].x, point.x) << "points in d_model order";
        }
        const size_t of = point.label.find("best of ");
        const int64_t competitors = of == std::string::npos ? 1 : std::stoll(point.label.substr(of + 8));
        actual[{series.name, seq_len, static_cast<int64_t>(point.x)}] = {point.run_id, point.y, competitors};
        EXPECT_NE(point.label.find("run " + std::to_string(point.run_id) + " "), std::string::npos)
            << point.label;
        EXPECT_NE(point.label.find("lr "), std::string::npos) << point.label;
      }
    }
  }
  EXPECT_EQ(panel_lengths, (std::vector<int64_t>{64, 128, 512}));
  EXPECT_EQ(actual, expected);
  const std::string notes = joined(figure.notes);
  EXPECT_NE(notes.find(std::to_string(unfinished) + " runs not finished"), std::string::npos) << notes;
  const std::string missing =
      without_metric == 1 ? "1 run has" : std::to_string(without_metric) + " runs have";
  EXPECT_NE(notes.find(missing + " no valid/accuracy yet"), std::string::npos) << notes;
}

TEST_F(DashboardTest, AggregateBestAndUnfinishedRunsChangeTheChoice) {
  const int64_t steady = add_run("steady", "attention", 64, 64, 1e-3);
  log(steady, "valid/accuracy", 1, 0.6);
  log(steady, "valid/accuracy", 2, 0.7);
  const int64_t peaked = add_run("peaked", "attention", 64, 64, 1e-2);
  log(peaked, "valid/accuracy", 1, 0.9);
  log(peaked, "valid/accuracy", 2, 0.5);
  const int64_t running = add_run("running", "attention", 64, 64, 1e-4, RunStatus::Running);
  log(running, "valid/accuracy", 1, 0.8);

  auto chosen = [&](const DashboardOptions& options) {
    const Figure figure = build("accuracy-vs-width", options);
    EXPECT_EQ(figure.panels.size(), 1u);
    return figure.panels.at(0).series.at(0).points.at(0);
  };
  DashboardOptions options;
  EXPECT_EQ(chosen(options).run_id, steady);
  EXPECT_EQ(chosen(options).y, 0.7);
  options.include_unfinished = true;
  EXPECT_EQ(chosen(options).run_id, running);
  EXPECT_NE(chosen(options).label.find("best of 3 runs"), std::string::npos) << chosen(options).label;
  options.aggregate = "best";
  EXPECT_EQ(chosen(options).run_id, peaked);
  EXPECT_EQ(chosen(options).y, 0.9);
}

TEST_F(DashboardTest, SweepOptionKeepsOnlyThatSweepsRuns) {
  const int64_t sweep = m_store.create_sweep("lr-sweep", "{}");
  const int64_t inside = add_run_with_config(
      "in", "attention", run_config("in", "attention", 64, 64, 4, 1e-3), RunStatus::Finished, sweep);
  const int64_t outside = add_run("out", "attention", 64, 64, 1e-3);
  log(inside, "valid/accuracy", 1, 0.5);
  log(outside, "valid/accuracy", 1, 0.9);
  DashboardOptions options;
  options.sweep_id = sweep;
  const Figure figure = build("accuracy-vs-width", options);
  ASSERT_EQ(figure.panels.size(), 1u);
  EXPECT_EQ(figure.panels[0].series.at(0).points.at(0).run_id, inside);
  options.rows = "sweep";
  options.columns = "mixer";
  options.sweep_id.reset();
  const Figure table = build("pivot-table", options);
  ASSERT_TRUE(table.table.has_value());
  ASSERT_EQ(table.table->rows.size(), 2u);
  EXPECT_EQ(table.table->rows[0], (std::vector<std::string>{"(none)", "0.9000"}));
  EXPECT_EQ(table.table->rows[1], (std::vector<std::string>{"lr-sweep", "0.5000"}));
}

TEST_F(DashboardTest, PinnedPaperValuesEqualZoologyFigure2) {
  for (int64_t d_model : {64, 128}) {
    for (const std::string mixer : {"attention", "hyena", "mamba"}) {
      const int64_t run = add_run(mixer, mixer, d_model, 128, 1e-3, RunStatus::Finished, 8);
      log(run, "valid/accuracy", 1, 0.5);
    }
  }
  const int64_t long_run = add_run("long", "attention", 64, 1024, 1e-3);
  log(long_run, "valid/accuracy", 1, 0.5);
  DashboardOptions options;
  options.pin_paper = true;
  const Figure figure = build("accuracy-vs-width", options);
  ASSERT_EQ(figure.panels.size(), 2u) << "only our sequence lengths get panels";
  const FigurePanel* panel = find_panel(figure, "Sequence Length: 128");
  ASSERT_NE(panel, nullptr);
  std::set<std::string> references;
  for (const auto& series : panel->series) {
    if (series.style != SeriesStyle::Reference) {
      continue;
    }
    references.insert(series.name);
    const std::string model = series.group;
    EXPECT_EQ(series.name, model + " (paper)");
    std::vector<std::pair<double, double>> expected;
    for (const auto& cell : zoology_figure2()) {
      if (cell.mixer == model && cell.seq_len == 128) {
        expected.emplace_back(static_cast<double>(cell.d_model), cell.accuracy);
      }
    }
    std::vector<std::pair<double, double>> actual;
    for (const auto& point : series.points) {
      actual.emplace_back(point.x, point.y);
      EXPECT_EQ(point.run_id, 0);
    }
    EXPECT_EQ(actual, expected) << model;
  }
  // mamba is not in the paper's figure; the models we did not run are not pinned.
  EXPECT_EQ(references, (std::set<std::string>{"attention (paper)", "hyena (paper)"}));
  // The paper's widths join ours on the axis.
  std::vector<double> ticks;
  for (const auto& tick : panel->x.ticks) {
    ticks.push_back(tick.first);
  }
  EXPECT_EQ(ticks, (std::vector<double>{64, 128, 256, 512}));
  const FigurePanel* long_panel = find_panel(figure, "Sequence Length: 1024");
  ASSERT_NE(long_panel, nullptr);
  EXPECT_EQ(long_panel->series.size(), 1u);
  EXPECT_NE(joined(figure.notes).find("no values at sequence length 1024"), std::string::npos)
      << joined(figure.notes);

  // Spot checks of the transcription against docs/reference.md#the-papers-values.
  std::map<std::tuple<std::string, int64_t, int64_t>, double> table;
  for (const auto& cell : zoology_figure2()) {
    EXPECT_EQ(table.count({cell.mixer, cell.seq_len, cell.d_model}), 0u) << "duplicate cell";
    table[{cell.mixer, cell.seq_len, cell.d_model}] = cell.accuracy;
  }
  EXPECT_EQ(table.size(), 80u);
  EXPECT_EQ(table.at({"h3", 128, 512}), 0.75);
  EXPECT_EQ(table.at({"base_conv", 256, 256}), 0.80);
  EXPECT_EQ(table.at({"rwkv", 512, 512}), 0.37);
  EXPECT_EQ(table.at({"hyena", 64, 64}), 0.51);
}

TEST_F(DashboardTest, PinnedPaperOnAnEmptyDatabaseShowsFigure2Alone) {
  DashboardOptions options;
  options.pin_paper = true;
  const Figure figure = build("accuracy-vs-width", options);
  ASSERT_EQ(figure.panels.size(), 4u);
  size_t points = 0;
  for (const auto& panel : figure.panels) {
    EXPECT_EQ(panel.series.size(), 5u) << panel.title;
    for (const auto& series : panel.series) {
      EXPECT_EQ(series.style, SeriesStyle::Reference);
      points += series.points.size();
    }
  }
  EXPECT_EQ(points, zoology_figure2().size());
  EXPECT_TRUE(build("accuracy-vs-width").panels.empty());
}

TEST_F(DashboardTest, StateSizeKeepsTheBestRunPerSizeAndMarksTheSmallestReaching099) {
  struct Spec {
    std::string mixer;
    int64_t state;
    double value;
  };
  const std::vector<Spec> specs = {{"attention", 4096, 0.995}, {"attention", 4096, 0.999},
                                   {"attention", 2048, 0.98},  {"based", 1024, 0.991},
                                   {"based", 512, 0.97},       {"based", 1024, 0.5},
                                   {"hyena", 256, 0.2},        {"hyena", 0, 0.999}};
  std::vector<int64_t> ids;
  for (const auto& spec : specs) {
    // Another learning rate each: runs of one configuration would be one seed group (repetitions).
    const int64_t run = add_run(spec.mixer, spec.mixer, 64, 64, 1e-3 * static_cast<double>(ids.size() + 1));
    m_store.set_model_info(run, 1000, spec.state);
    log(run, "valid/accuracy", 1, spec.value);
    ids.push_back(run);
  }
  const Figure figure = build("accuracy-vs-state-size");
  ASSERT_EQ(figure.panels.size(), 1u);
  const FigurePanel& panel = figure.panels[0];
  EXPECT_TRUE(panel.x.log);
  EXPECT_NE(panel.x.title.find("bytes"), std::string::npos) << panel.x.title;
  ASSERT_EQ(panel.series.size(), 3u);
  const FigureSeries* attention = find_series(panel, "attention");
  ASSERT_NE(attention, nullptr);
  EXPECT_EQ(attention->style, SeriesStyle::Scatter);
  ASSERT_EQ(attention->points.size(), 2u);
  EXPECT_EQ(attention->points[1].x, 4096);
  EXPECT_EQ(attention->points[1].run_id, ids[1]);
  const FigureSeries* based = find_series(panel, "based");
  ASSERT_NE(based, nullptr);
  ASSERT_EQ(based->points.size(), 2u);
  EXPECT_EQ(based->points[1].run_id, ids[3]);
  ASSERT_EQ(panel.markers.size(), 1u);
  EXPECT_EQ(panel.markers[0].x, 1024);
  EXPECT_EQ(panel.markers[0].label, "smallest state reaching 0.99: 1024");
  EXPECT_NE(joined(figure.notes).find("1 run has no state size"), std::string::npos) << joined(figure.notes);

  DashboardOptions options;
  options.pin_paper = true;
  const Figure pinned = build("accuracy-vs-state-size", options);
  ASSERT_EQ(pinned.panels.at(0).markers.size(), 2u);
  EXPECT_EQ(pinned.panels[0].markers[1].x, kBasedPaperSmallestStateReaching099Bytes);
  EXPECT_NE(pinned.panels[0].markers[1].label.find("paper"), std::string::npos);
}

TEST_F(DashboardTest, ParametersAreLinesOfTheBestRunPerCountInOrder) {
  const std::vector<std::tuple<std::string, int64_t, double>> specs = {{"h3", 300000, 0.4},
                                                                       {"h3", 100000, 0.3},
                                                                       {"h3", 300000, 0.6},
                                                                       {"h3", 200000, 0.5},
                                                                       {"rwkv", 100000, 0.1}};
  std::vector<int64_t> ids;
  for (const auto& [mixer, params, value] : specs) {
    const int64_t run = add_run(mixer, mixer, 64, 64, 1e-3 * static_cast<double>(ids.size() + 1));
    m_store.set_model_info(run, params, 100);
    log(run, "valid/accuracy", 1, value);
    ids.push_back(run);
  }
  const Figure figure = build("accuracy-vs-parameters");
  ASSERT_EQ(figure.panels.size(), 1u);
  const FigureSeries* h3 = find_series(figure.panels[0], "h3");
  ASSERT_NE(h3, nullptr);
  EXPECT_EQ(h3->style, SeriesStyle::Line);
  std::vector<std::tuple<double, double, int64_t>> points;
  for (const auto& point : h3->points) {
    points.emplace_back(point.x, point.y, point.run_id);
  }
  EXPECT_EQ(points, (std::vector<std::tuple<double, double, int64_t>>{
                        {100000, 0.3, ids[1]}, {200000, 0.5, ids[3]}, {300000, 0.6, ids[2]}}));
  EXPECT_NE(h3->points[2].label.find("best of 2 runs"), std::string::npos) << h3->points[2].label;
  EXPECT_NE(find_series(figure.panels[0], "rwkv"), nullptr);
}

TEST_F(DashboardTest, SlicesPlotEachModelsBestRun) {
  const int64_t weak = add_run("weak", "attention", 64, 256, 1e-3);
  log(weak, "valid/accuracy", 1, 0.4);
  log(weak, "valid/num_kv_pairs/accuracy-4", 1, 0.9);
  const int64_t strong = add_run("strong", "attention", 128, 256, 1e-3);
  log(strong, "valid/accuracy", 1, 0.8);
  log(strong, "valid/num_kv_pairs/accuracy-64", 1, 0.6);
  log(strong, "valid/num_kv_pairs/accuracy-8", 1, 0.95);
  log(strong, "valid/num_kv_pairs/accuracy-16", 1, 0.85);
  log(strong, "valid/num_kv_pairs/accuracy-16", 2, 0.875);
  log(strong, "valid/input_seq_len/accuracy-256", 1, 0.7);
  log(strong, "valid/input_seq_len/accuracy-64", 1, 0.99);
  // Better overall but without slices: it cannot draw a line, so it does not take attention's.
  const int64_t unsliced = add_run("unsliced", "attention", 256, 256, 1e-3);
  log(unsliced, "valid/accuracy", 1, 0.99);
  const int64_t conv = add_run("conv", "base_conv", 64, 256, 1e-3);
  log(conv, "valid/accuracy", 1, 0.3);
  log(conv, "valid/num_kv_pairs/accuracy-4", 1, 0.5);

  const Figure kv = build("accuracy-by-kv-pairs");
  ASSERT_EQ(kv.panels.size(), 1u);
  EXPECT_TRUE(kv.panels[0].x.log);
  ASSERT_EQ(kv.panels[0].series.size(), 2u);
  const FigureSeries* attention = find_series(kv.panels[0], "attention (run " + std::to_string(strong) + ")");
  ASSERT_NE(attention, nullptr) << kv.panels[0].series[0].name;
  std::vector<std::pair<double, double>> points;
  for (const auto& point : attention->points) {
    points.emplace_back(point.x, point.y);
    EXPECT_EQ(point.run_id, strong);
  }
  EXPECT_EQ(points, (std::vector<std::pair<double, double>>{{8, 0.95}, {16, 0.875}, {64, 0.6}}));
  EXPECT_NE(attention->points[1].label.find("valid/num_kv_pairs/accuracy-16"), std::string::npos);
  EXPECT_NE(find_series(kv.panels[0], "base_conv (run " + std::to_string(conv) + ")"), nullptr);
  EXPECT_NE(joined(kv.notes).find("1 run has no valid/num_kv_pairs/accuracy-*"), std::string::npos)
      << joined(kv.notes);

  const Figure lengths = build("accuracy-by-seq-len");
  ASSERT_EQ(lengths.panels.size(), 1u);
  ASSERT_EQ(lengths.panels[0].series.size(), 1u);
  EXPECT_EQ(lengths.panels[0].series[0].points.size(), 2u);
  EXPECT_EQ(lengths.panels[0].series[0].points[0].x, 64);
  EXPECT_EQ(lengths.panels[0].series[0].points[0].y, 0.99);
}

TEST_F(DashboardTest, ParallelCoordinatesNormaliseEachAxis) {
  const std::vector<std::tuple<std::string, int64_t, double, double>> specs = {
      {"attention", 128, 1e-3, 0.5}, {"hyena", 64, 1e-2, 0.25}, {"based", 256, 1e-4, 1.0}};
  std::vector<int64_t> ids;
  for (const auto& [mixer, d_model, lr, value] : specs) {
    const int64_t run = add_run(mixer, mixer, d_model, 64, lr);
    log(run, "valid/accuracy", 1, value);
    ids.push_back(run);
  }
  const Figure figure = build("parallel-coordinates");
  ASSERT_EQ(figure.panels.size(), 1u);
  const FigurePanel& panel = figure.panels[0];
  std::vector<std::string> axes;
  for (const auto& [x, name] : panel.x.ticks) {
    EXPECT_EQ(x, static_cast<double>(axes.size()));
    axes.push_back(name);
  }
  // Sorted paths that differ (the names differ too, but identify rather than configure), then the metric.
  EXPECT_EQ(axes, (std::vector<std::string>{
                      "model.d_model", "model.sequence_mixer.kwargs.configs.0.kwargs.kernel_size",
                      "model.sequence_mixer.kwargs.configs.0.name",
                      "model.sequence_mixer.kwargs.configs.1.kwargs.feature_dim",
                      "model.sequence_mixer.kwargs.configs.1.name", "model.sequence_mixer.name",
                      "train.learning_rate", "valid/accuracy"}));
  EXPECT_EQ(panel.colour_scale_title, "valid/accuracy");
  ASSERT_EQ(panel.series.size(), 3u);
  std::map<int64_t, std::vector<double>> y;
  for (const auto& series : panel.series) {
    ASSERT_EQ(series.points.size(), axes.size());
    for (const auto& point : series.points) {
      y[point.run_id].push_back(point.y);
    }
    ASSERT_TRUE(series.colour_value.has_value());
    EXPECT_EQ(*series.colour_value,
              std::get<3>(specs[std::find(ids.begin(), ids.end(), series.points[0].run_id) - ids.begin()]));
  }
  // d_model 64..256 is linear (ratio 4); learning rates 1e-4..1e-2 log (ratio 100); names sorted.
  EXPECT_DOUBLE_EQ(y[ids[0]][0], 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(y[ids[1]][0], 0.0);
  EXPECT_DOUBLE_EQ(y[ids[2]][0], 1.0);
  EXPECT_DOUBLE_EQ(y[ids[0]][6], 0.5);
  EXPECT_DOUBLE_EQ(y[ids[1]][6], 1.0);
  EXPECT_DOUBLE_EQ(y[ids[2]][6], 0.0);
  // "attention" < "hybrid" < "hyena"
  EXPECT_DOUBLE_EQ(y[ids[0]][5], 0.0);
  EXPECT_DOUBLE_EQ(y[ids[2]][5], 0.5);
  EXPECT_DOUBLE_EQ(y[ids[1]][5], 1.0);
  // A path only some runs have: the others sit on a "(none)" category.
  // "(none)" sorts before "base_conv".
  EXPECT_DOUBLE_EQ(y[ids[0]][2], 0.0);
  EXPECT_DOUBLE_EQ(y[ids[1]][2], 0.0);
  EXPECT_DOUBLE_EQ(y[ids[2]][2], 1.0);
  EXPECT_EQ(panel.series[0].points[2].label, "model.sequence_mixer.kwargs.configs.0.name = (none)");
  // metric 0.25..1.0 linear
  EXPECT_DOUBLE_EQ(y[ids[0]][7], 1.0 / 3.0);
  EXPECT_EQ(panel.series[0].points[6].label, "train.learning_rate = 0.001");

  DashboardOptions options;
  options.dimensions = {"train.learning_rate", "mixer"};
  const Figure chosen = build("parallel-coordinates", options);
  ASSERT_EQ(chosen.panels.at(0).x.ticks.size(), 3u);
  EXPECT_EQ(chosen.panels[0].x.ticks[1].second, "mixer");
  EXPECT_EQ(chosen.panels[0].series[0].points[1].label, "mixer = attention");
  options.dimensions = {"model.width"};
  const std::string message = invalid_argument_of([&] { build("parallel-coordinates", options); });
  EXPECT_NE(message.find("\"model.width\""), std::string::npos) << message;
  EXPECT_NE(message.find("model.d_model"), std::string::npos) << message;
}

TEST_F(DashboardTest, PivotCellsAreBestMeanOrNewest) {
  // attention at d_model 64: 0.5 then 0.9 then 0.7 (newest); d_model 128: 0.25; hyena d_model 64: 0.125.
  for (const auto& [mixer, d_model, value] :
       std::vector<std::tuple<std::string, int64_t, double>>{{"attention", 64, 0.5},
                                                             {"attention", 64, 0.9},
                                                             {"attention", 64, 0.7},
                                                             {"attention", 128, 0.25},
                                                             {"hyena", 64, 0.125}}) {
    const int64_t run = add_run(mixer, mixer, d_model, 64, 1e-3);
    log(run, "valid/accuracy", 1, value);
  }
  DashboardOptions options;
  auto table = [&](const std::string& cell) {
    options.cell = cell;
    const Figure figure = build("pivot-table", options);
    EXPECT_TRUE(figure.panels.empty());
    EXPECT_TRUE(figure.table.has_value());
    return figure.table.value_or(FigureTable{});
  };
  const FigureTable best = table("best");
  EXPECT_EQ(best.columns, (std::vector<std::string>{"mixer \\ model.d_model", "64", "128"}));
  ASSERT_EQ(best.rows.size(), 2u);
  EXPECT_EQ(best.rows[0], (std::vector<std::string>{"attention", "0.9000", "0.2500"}));
  EXPECT_EQ(best.rows[1], (std::vector<std::string>{"hyena", "0.1250", ""}));
  EXPECT_EQ(table("mean").rows[0], (std::vector<std::string>{"attention", "0.7000", "0.2500"}));
  EXPECT_EQ(table("last").rows[0], (std::vector<std::string>{"attention", "0.7000", "0.2500"}));
  options.cell = "best";
  options.rows = "model.d_model";
  options.columns = "status";
  const Figure swapped = build("pivot-table", options);
  EXPECT_EQ(swapped.table->columns, (std::vector<std::string>{"model.d_model \\ status", "finished"}));
  EXPECT_EQ(swapped.table->rows[0], (std::vector<std::string>{"64", "0.9000"}));
  EXPECT_EQ(swapped.table->rows[1], (std::vector<std::string>{"128", "0.2500"}));

  // Accuracies with 4 fixed decimals, the same for every cell of the table.
  const int64_t precise = add_run("p", "rwkv", 64, 64, 1e-3);
  log(precise, "valid/accuracy", 1, 0.123456);
  options.rows = "mixer";
  options.columns = "model.d_model";
  EXPECT_EQ(build("pivot-table", options).table->rows[2], (std::vector<std::string>{"rwkv", "0.1235", ""}));

  options.cell = "median";
  std::string message = invalid_argument_of([&] { build("pivot-table", options); });
  EXPECT_NE(message.find("cell"), std::string::npos) << message;
  EXPECT_NE(message.find("\"median\""), std::string::npos) << message;
  EXPECT_NE(message.find("best, mean, last, group"), std::string::npos) << message;
  options.cell = "best";
  options.columns = "model.dmodel";
  message = invalid_argument_of([&] { build("pivot-table", options); });
  EXPECT_NE(message.find("columns"), std::string::npos) << message;
  EXPECT_NE(message.find("\"model.dmodel\""), std::string::npos) << message;
}

TEST_F(DashboardTest, UnknownDashboardAndBadAggregateAreRejectedWithTheChoices) {
  std::string message = invalid_argument_of([&] { build("accuracy-vs-depth"); });
  EXPECT_NE(message.find("\"accuracy-vs-depth\""), std::string::npos) << message;
  ASSERT_EQ(dashboard_list().size(), 8u);
  for (const auto& info : dashboard_list()) {
    EXPECT_NE(message.find(info.name), std::string::npos) << message;
    EXPECT_FALSE(info.description.empty());
    EXPECT_NO_THROW(build(info.name)) << info.name;  // every listed dashboard builds, even on no runs
  }
  DashboardOptions options;
  options.aggregate = "mean";
  message = invalid_argument_of([&] { build("accuracy-vs-width", options); });
  EXPECT_NE(message.find("aggregate"), std::string::npos) << message;
  EXPECT_NE(message.find("\"mean\""), std::string::npos) << message;
  EXPECT_NE(message.find("last, best"), std::string::npos) << message;
}

// RFC 4180 reader for the round trip: quoted fields with doubled quotes, commas and line breaks.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(field);
      field.clear();
    } else if (c == '\n') {
      row.push_back(field);
      field.clear();
      rows.push_back(row);
      row.clear();
    } else if (c != '\r') {
      field += c;
    }
  }
  EXPECT_TRUE(field.empty() && row.empty()) << "the CSV does not end with a line break";
  return rows;
}

TEST_F(DashboardTest, CsvHoldsEveryPointAndRoundTripsNumbersExactly) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (int64_t d_model : {64, 128, 256}) {
    for (const std::string mixer : {"attention", "h3"}) {
      const int64_t run = add_run("run, \"quoted\"\nname", mixer, d_model, 64, 1e-3);
      log(run, "valid/accuracy", 1, uniform(rng));  // full 53-bit mantissas
    }
  }
  DashboardOptions options;
  options.pin_paper = true;
  const Figure figure = build("accuracy-vs-width", options);
  const auto rows = parse_csv(figure_to_csv(figure));
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0],
            (std::vector<std::string>{"panel", "series", "group", "style", "x", "y", "run_id", "label", "n",
                                      "mean", "std", "min", "max", "error_low", "error_high", "run_ids"}));
  size_t row = 1;
  for (const auto& panel : figure.panels) {
    for (const auto& series : panel.series) {
      for (const auto& point : series.points) {
        ASSERT_LT(row, rows.size());
        const auto& fields = rows[row++];
        ASSERT_EQ(fields.size(), 16u);
        EXPECT_EQ(fields[0], panel.title);
        EXPECT_EQ(fields[1], series.name);
        EXPECT_EQ(fields[2], series.group);
        EXPECT_EQ(fields[3], series.style == SeriesStyle::Reference ? "reference" : "line");
        EXPECT_EQ(std::strtod(fields[4].c_str(), nullptr), point.x);
        EXPECT_EQ(std::strtod(fields[5].c_str(), nullptr), point.y);
        EXPECT_EQ(std::stoll(fields[6]), point.run_id);
        EXPECT_EQ(fields[7], point.label);
        // Single runs (a group of one: n 1, no spread) and the paper's values (no run: n 0).
        EXPECT_EQ(fields[8], point.run_id == 0 ? "0" : "1");
        EXPECT_EQ(fields[15], point.run_id == 0 ? "" : std::to_string(point.run_id));
        if (point.run_id != 0) {
          EXPECT_EQ(std::strtod(fields[9].c_str(), nullptr), point.y);
          EXPECT_EQ(fields[10], "0");
        }
      }
    }
  }
  EXPECT_EQ(row, rows.size()) << "one row per point, nothing else";
  EXPECT_EQ(rows.size(), 1u + 6u + 8u);  // our 6 points and the paper's attention and h3 at L=64

  const Figure table = build("pivot-table");
  const auto table_rows = parse_csv(figure_to_csv(table));
  ASSERT_EQ(table_rows.size(), 1 + table.table->rows.size());
  EXPECT_EQ(table_rows[0], table.table->columns);
  EXPECT_EQ(table_rows[1], table.table->rows[0]);
}

TEST_F(DashboardTest, JsonHasTheDocumentedShape) {
  const int64_t run = add_run("r", "attention", 64, 64, 1e-3);
  log(run, "valid/accuracy", 1, 0.75);
  m_store.set_model_info(run, 1000, 5000);
  const json width = figure_to_json(build("accuracy-vs-width"));
  EXPECT_EQ(width["name"], "accuracy-vs-width");
  EXPECT_TRUE(width["title"].is_string());
  EXPECT_TRUE(width["notes"].is_array());
  EXPECT_TRUE(width["table"].is_null());
  ASSERT_EQ(width["panels"].size(), 1u);
  const json& panel = width["panels"][0];
  EXPECT_EQ(panel["title"], "Sequence Length: 64");
  EXPECT_EQ(panel["x"]["log"], true);
  EXPECT_EQ(panel["x"]["ticks"][0]["value"], 64.0);
  EXPECT_EQ(panel["x"]["ticks"][0]["label"], "64");
  EXPECT_EQ(panel["y"]["min"], 0.0);
  EXPECT_EQ(panel["y"]["max"], 1.0);
  EXPECT_TRUE(panel["markers"].is_array());
  const json& series = panel["series"][0];
  EXPECT_EQ(series["name"], "attention");
  EXPECT_EQ(series["group"], "attention");
  EXPECT_EQ(series["style"], "line");
  EXPECT_TRUE(series["colour_value"].is_null());
  EXPECT_EQ(series["points"][0]["x"], 64.0);
  EXPECT_EQ(series["points"][0]["y"], 0.75);
  EXPECT_EQ(series["points"][0]["run_id"], run);
  EXPECT_TRUE(series["points"][0]["label"].is_string());
  EXPECT_EQ(series["points"][0]["runs"], json::array({run}));
  EXPECT_FALSE(series["points"][0].contains("std")) << "a single run has no spread";
  ASSERT_EQ(width["task_definitions"].size(), 1u);
  EXPECT_EQ(width["task_definition"], width["task_definitions"][0]["key"]);
  EXPECT_EQ(width["task_definitions"][0]["runs"], 1);
  EXPECT_EQ(width["task_definitions"][0]["label"], "mqar V=8192, 4 epochs, train kv 4");

  const json state = figure_to_json(build("accuracy-vs-state-size"));
  EXPECT_EQ(state["panels"][0]["series"][0]["style"], "scatter");
  EXPECT_EQ(figure_to_json(build("parallel-coordinates"))["panels"][0]["series"][0]["colour_value"], 0.75);

  const json pivot = figure_to_json(build("pivot-table"));
  EXPECT_TRUE(pivot["panels"].empty());
  EXPECT_EQ(pivot["table"]["columns"], json({"mixer \\ model.d_model", "64"}));
  EXPECT_EQ(pivot["table"]["rows"], json::array({json::array({"attention", "0.7500"})}));
}

// A MAD run: one task in train and test, a difficulty setting (vocabulary, length) and an optimisation point.
json mad_config(const std::string& name, const std::string& mixer, const std::string& task,
                int64_t vocab_size, int64_t seq_len, double learning_rate, double weight_decay) {
  const json segment = {{"task", task}, {"input_seq_len", seq_len}, {"num_examples", 100}};
  return {{"name", name},
          {"data",
           {{"vocab_size", vocab_size}, {"train", json::array({segment})}, {"test", json::array({segment})}}},
          {"model", {{"d_model", 64}, {"n_layers", 2}, {"sequence_mixer", mixer_config(mixer)}}},
          {"train", {{"learning_rate", learning_rate}, {"weight_decay", weight_decay}}}};
}

TEST_F(DashboardTest, MadScorecardAveragesTheBestRunOfEachSettingThenTheTasks) {
  const auto add = [&](const std::string& name, const std::string& mixer, const std::string& task,
                       int64_t vocab, int64_t length, double lr, double wd, double accuracy) {
    const int64_t id = add_run_with_config(name, mixer, mad_config(name, mixer, task, vocab, length, lr, wd));
    log(id, "valid/accuracy", 10, accuracy);
  };
  // attention, selective copying: setting (16, 64) best 0.9 over the grid, setting (32, 64) 0.5 -> 0.7.
  add("a0", "attention", "selective_copying", 16, 64, 5e-4, 0.0, 0.1);
  add("a1", "attention", "selective_copying", 16, 64, 1e-3, 0.0, 0.9);
  add("a2", "attention", "selective_copying", 16, 64, 1e-4, 0.1, 0.2);
  add("a3", "attention", "selective_copying", 32, 64, 1e-3, 0.0, 0.5);
  // attention, memorization: one setting, 0.3. MAD score (0.7 + 0.3) / 2 = 0.5.
  add("a4", "attention", "memorization", 256, 32, 1e-3, 0.0, 0.3);
  // base_conv: only selective copying, 0.4: its score is partial.
  add("b1", "base_conv", "selective_copying", 16, 64, 1e-3, 0.0, 0.4);
  // Left out: an MQAR run.
  log(add_run("m1", "attention", 64, 64, 1e-3), "valid/accuracy", 10, 0.99);

  const Figure figure = build("mad-scorecard");
  ASSERT_TRUE(figure.table.has_value());
  const FigureTable& table = *figure.table;
  EXPECT_EQ(table.columns,
            (std::vector<std::string>{"architecture", "selective_copying", "memorization", "MAD score"}));
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0], (std::vector<std::string>{"attention", "0.7 (2)", "0.3 (1)", "0.5"}));
  EXPECT_EQ(table.rows[1], (std::vector<std::string>{"base_conv", "0.4 (1)", "", "0.4 (partial)"}));
  const auto noted = [&](const std::string& text) {
    return std::any_of(figure.notes.begin(), figure.notes.end(),
                       [&](const std::string& note) { return note.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(noted("outside the MAD suite"));
  EXPECT_FALSE(noted("compression:"));  // no compression run here
  add("c1", "attention", "compression", 16, 32, 1e-3, 0.0, 1.0);
  EXPECT_TRUE([&] {
    const Figure with_compression = build("mad-scorecard");
    return std::any_of(
        with_compression.notes.begin(), with_compression.notes.end(),
        [](const std::string& note) { return note.find("compression:") != std::string::npos; });
  }());
}

}  // namespace
}  // namespace zoolab
