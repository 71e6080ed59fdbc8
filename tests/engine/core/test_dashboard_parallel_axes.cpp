// Parallel coordinates name the values along each axis: round numbers on a numeric axis (powers of ten on
// a log one), every category on a text axis, at the positions the runs are drawn at; the figure's title
// is its only title; the JSON carries the axes.

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "engine/analysis/dashboards.h"

namespace zoolab {
namespace {

using nlohmann::json;

RunFacts makeRun(int64_t id, const std::string& mixer, int64_t dModel, double learningRate, double accuracy) {
  RunFacts facts;
  facts.run.id = id;
  facts.run.name = "run" + std::to_string(id);
  facts.run.status = RunStatus::Finished;
  facts.config = {{"model", {{"d_model", dModel}, {"sequence_mixer", {{"name", mixer}}}}},
                  {"train", {{"learning_rate", learningRate}}}};
  facts.model = mixer;
  facts.d_model = dModel;
  facts.learning_rate = learningRate;
  MetricSummary summary;
  summary.key = "valid/accuracy";
  summary.last = accuracy;
  summary.best = accuracy;
  summary.min = accuracy;
  summary.max = accuracy;
  facts.summaries[summary.key] = summary;
  return facts;
}

const FigureParallelAxis& axisNamed(const FigurePanel& panel, const std::string& name) {
  for (const FigureParallelAxis& axis : panel.parallel_axes) {
    if (axis.name == name) {
      return axis;
    }
  }
  throw std::runtime_error("no axis " + name);
}

TEST(ParallelCoordinatesAxes, NameTheValuesAlongEachAxisInItsOwnUnits) {
  const std::vector<RunFacts> runs = {makeRun(1, "attention", 64, 1e-4, 0.25),
                                      makeRun(2, "hyena", 128, 1e-3, 0.5),
                                      makeRun(3, "based", 256, 1e-2, 1.0)};
  const Figure figure = build_dashboard("parallel-coordinates", runs);
  ASSERT_EQ(figure.panels.size(), 1u);
  const FigurePanel& panel = figure.panels[0];
  EXPECT_EQ(panel.title, "");  // the figure's title only, not twice
  ASSERT_EQ(panel.parallel_axes.size(), panel.x.ticks.size());
  for (size_t a = 0; a < panel.parallel_axes.size(); ++a) {
    EXPECT_EQ(panel.parallel_axes[a].name, panel.x.ticks[a].second);
  }

  // d_model 64..256, linear: round values at their positions (64 -> 0, 256 -> 1).
  const FigureParallelAxis& width = axisNamed(panel, "model.d_model");
  EXPECT_FALSE(width.categorical);
  EXPECT_FALSE(width.log);
  ASSERT_GE(width.ticks.size(), 3u);
  for (const auto& [position, label] : width.ticks) {
    const double value = std::stod(label);
    EXPECT_NEAR(position, (value - 64.0) / 192.0, 1e-12) << label;
    EXPECT_GE(position, -1e-12);
    EXPECT_LE(position, 1.0 + 1e-12);
  }
  // 1e-4..1e-2: log, a tick per decade.
  const FigureParallelAxis& rate = axisNamed(panel, "train.learning_rate");
  EXPECT_TRUE(rate.log);
  ASSERT_EQ(rate.ticks.size(), 3u);
  EXPECT_DOUBLE_EQ(rate.ticks[0].first, 0.0);
  EXPECT_DOUBLE_EQ(rate.ticks[1].first, 0.5);
  EXPECT_DOUBLE_EQ(rate.ticks[2].first, 1.0);
  EXPECT_DOUBLE_EQ(std::stod(rate.ticks[1].second), 1e-3);
  // Text: every category, sorted, where its runs sit.
  const FigureParallelAxis& mixer = axisNamed(panel, "model.sequence_mixer.name");
  EXPECT_TRUE(mixer.categorical);
  EXPECT_EQ(mixer.ticks, (std::vector<std::pair<double, std::string>>{
                             {0.0, "attention"}, {0.5, "based"}, {1.0, "hyena"}}));
  ASSERT_EQ(panel.x.ticks[1].second, "model.sequence_mixer.name");
  for (const FigureSeries& series : panel.series) {
    const int64_t run = series.points.front().run_id;
    const double y = series.points[1].y;  // axes sorted: d_model, mixer name, learning rate, metric
    EXPECT_DOUBLE_EQ(y, run == 1 ? 0.0 : run == 3 ? 0.5 : 1.0);
  }

  const json axes = figure_to_json(figure)["panels"][0]["parallel_axes"];
  ASSERT_EQ(axes.size(), panel.parallel_axes.size());
  EXPECT_EQ(axes[1]["name"], "model.sequence_mixer.name");
  EXPECT_EQ(axes[1]["categorical"], true);
  EXPECT_EQ(axes[1]["ticks"][2]["label"], "hyena");
  // Other dashboards have no parallel axes, in the Figure or its JSON.
  const Figure width_figure = build_dashboard("accuracy-vs-width", runs);
  for (const FigurePanel& other : width_figure.panels) {
    EXPECT_TRUE(other.parallel_axes.empty());
  }
  EXPECT_FALSE(figure_to_json(width_figure)["panels"][0].contains("parallel_axes"));
}

TEST(ParallelCoordinatesAxes, ASingleValueIsNamedInTheMiddle) {
  DashboardOptions options;
  options.dimensions = {"model.d_model"};
  const Figure figure =
      build_dashboard("parallel-coordinates",
                      {makeRun(1, "attention", 64, 1e-3, 0.5), makeRun(2, "hyena", 64, 1e-2, 0.75)}, options);
  const FigureParallelAxis& width = figure.panels.at(0).parallel_axes.at(0);
  EXPECT_EQ(width.ticks, (std::vector<std::pair<double, std::string>>{{0.5, "64"}}));
}

TEST(ParallelCoordinatesAxes, WholeNumbersAreTickedAtWholeNumbers) {
  std::vector<RunFacts> runs = {makeRun(1, "attention", 64, 1e-3, 0.5),
                                makeRun(2, "attention", 64, 1e-3, 0.75)};
  runs[0].config["seed"] = 5;
  runs[1].config["seed"] = 6;
  DashboardOptions options;
  options.dimensions = {"seed"};
  const Figure figure = build_dashboard("parallel-coordinates", runs, options);
  // Not 5, 5.2, 5.4, ...: a seed is whole.
  EXPECT_EQ(figure.panels.at(0).parallel_axes.at(0).ticks,
            (std::vector<std::pair<double, std::string>>{{0.0, "5"}, {1.0, "6"}}));
}

}  // namespace
}  // namespace zoolab
