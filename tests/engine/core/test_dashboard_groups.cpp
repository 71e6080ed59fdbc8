// Seed groups in the dashboards: a cell's runs that repeat one setting over seeds compete as one group
// by their mean, the point is the mean with an error bar (std, min..max or none), and the JSON, CSV and
// pivot table carry the group's statistics. A group of one is the single run it always was.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "tests/engine/core/dashboard_test_support.h"

namespace zoolab {
namespace {

using namespace dashboard_test;

Setting seeded(int64_t d_model, double learning_rate, uint64_t seed) {
  Setting s;
  s.d_model = d_model;
  s.learning_rate = learning_rate;
  s.seed = seed;
  return s;
}

// The sample standard deviation, written out independently of spread_of.
double sample_std(const std::vector<double>& values) {
  double mean = 0.0;
  for (double v : values) {
    mean += v / static_cast<double>(values.size());
  }
  double squares = 0.0;
  for (double v : values) {
    squares += (v - mean) * (v - mean);
  }
  return std::sqrt(squares / static_cast<double>(values.size() - 1));
}

class DashboardGroupTest : public DashboardFixture {
 protected:
  // d_model 64: a 3-seed group at lr 1e-3 whose best seed (0.9) beats the single lr 1e-2 run (0.8) but
  // whose mean (0.6667) does not. d_model 128: a 3-seed group (mean 0.8) beats a single run (0.75).
  void SetUp() override {
    for (uint64_t seed : {123, 124, 125}) {
      low_group.push_back(add(seeded(64, 1e-3, seed), std::vector<double>{0.5, 0.6, 0.9}[seed - 123]));
    }
    single = add(seeded(64, 1e-2, 123), 0.8);
    for (uint64_t seed : {123, 124, 125}) {
      high_group.push_back(add(seeded(128, 1e-3, seed), high_values[seed - 123]));
    }
    add(seeded(128, 1e-2, 123), 0.75);
  }

  std::vector<int64_t> low_group;
  std::vector<int64_t> high_group;
  const std::vector<double> high_values = {0.7, 0.75, 0.95};
  int64_t single = 0;
};

TEST_F(DashboardGroupTest, ACellChoosesTheBestGroupByItsMeanAndPlotsTheMeanWithErrorBars) {
  const Figure figure = build("accuracy-vs-width");
  const auto points = points_of(figure);
  ASSERT_EQ(points.size(), 2u);
  // d_model 64: the single run, exactly as before groups (no spread, one run).
  EXPECT_EQ(points[0].x, 64);
  EXPECT_EQ(points[0].run_id, single);
  EXPECT_EQ(points[0].y, 0.8);
  EXPECT_EQ(points[0].run_ids, std::vector<int64_t>{single});
  EXPECT_FALSE(points[0].spread.has_value());
  EXPECT_NE(points[0].label.find("best of 2 settings, 4 runs"), std::string::npos) << points[0].label;
  // d_model 128: the group; its best member is the run id, every member is behind the point.
  const FigurePoint& group = points[1];
  EXPECT_EQ(group.run_id, high_group[2]);
  EXPECT_EQ(group.run_ids, high_group);
  EXPECT_DOUBLE_EQ(group.y, 0.8);
  ASSERT_TRUE(group.spread.has_value());
  EXPECT_EQ(group.spread->n, 3);
  EXPECT_DOUBLE_EQ(group.spread->mean, 0.8);
  EXPECT_NEAR(group.spread->std, sample_std(high_values), 1e-12);
  EXPECT_EQ(group.spread->min, 0.7);
  EXPECT_EQ(group.spread->max, 0.95);
  EXPECT_NEAR(group.spread->low, 0.8 - sample_std(high_values), 1e-12);
  EXPECT_NEAR(group.spread->high, 0.8 + sample_std(high_values), 1e-12);
  // The hover text says n and the members.
  std::ostringstream members;
  members << "runs " << high_group[0] << ", " << high_group[1] << ", " << high_group[2];
  EXPECT_NE(group.label.find("n=3"), std::string::npos) << group.label;
  EXPECT_NE(group.label.find(members.str()), std::string::npos) << group.label;
  EXPECT_NE(group.label.find("best run " + std::to_string(high_group[2])), std::string::npos) << group.label;
}

TEST_F(DashboardGroupTest, ErrorBarsAreStdMinMaxOrNoneAndAnythingElseIsRefused) {
  DashboardOptions options;
  options.error_bars = "minmax";
  FigurePoint point = points_of(build("accuracy-vs-width", options)).at(1);
  ASSERT_TRUE(point.spread.has_value());
  EXPECT_EQ(point.spread->low, 0.7);
  EXPECT_EQ(point.spread->high, 0.95);
  options.error_bars = "none";
  point = points_of(build("accuracy-vs-width", options)).at(1);
  ASSERT_TRUE(point.spread.has_value()) << "the statistics stay for the hover and the export";
  EXPECT_DOUBLE_EQ(point.spread->low, point.spread->mean);
  EXPECT_DOUBLE_EQ(point.spread->high, point.spread->mean);
  EXPECT_NEAR(point.spread->std, sample_std(high_values), 1e-12);

  options.error_bars = "sem";
  for (const auto& info : dashboard_list()) {
    const std::string message = invalid_argument_of([&] { build(info.name, options); });
    EXPECT_NE(message.find("error_bars"), std::string::npos) << info.name << ": " << message;
    EXPECT_NE(message.find("\"sem\""), std::string::npos) << message;
    EXPECT_NE(message.find("std, minmax, none"), std::string::npos) << message;
  }
}

TEST_F(DashboardGroupTest, EqualMeansGoToTheGroupWithTheLowerSmallestRunId) {
  // Two more settings at d_model 256 with the same mean 0.5: the earlier-created group wins.
  const int64_t first = add(seeded(256, 1e-3, 123), 0.4);
  add(seeded(256, 1e-3, 124), 0.6);
  const int64_t second = add(seeded(256, 1e-2, 123), 0.5);
  add(seeded(256, 1e-2, 124), 0.5);
  const FigurePoint point = points_of(build("accuracy-vs-width")).at(2);
  EXPECT_EQ(point.x, 256);
  EXPECT_EQ(point.run_ids.front(), first) << "not the group starting at run " << second;
  EXPECT_EQ(point.run_id, first + 1) << "its best member";
}

TEST_F(DashboardGroupTest, StateSizeAndParametersPlotGroupsToo) {
  for (const int64_t id : high_group) {
    m_store.set_model_info(id, 5000, 2048);
  }
  const Figure state = build("accuracy-vs-state-size");
  const auto points = points_of(state);
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].run_ids, high_group);
  EXPECT_DOUBLE_EQ(points[0].y, 0.8);
  const auto parameters = points_of(build("accuracy-vs-parameters"));
  ASSERT_EQ(parameters.size(), 1u);
  EXPECT_EQ(parameters[0].spread->n, 3);
}

TEST_F(DashboardGroupTest, SlicesPlotTheBestGroupsMeanPerSlice) {
  // The d_model 128 group (mean 0.8) is attention's best; its kv slices average over the members.
  const std::vector<double> kv8 = {0.6, 0.7, 0.9};
  for (size_t i = 0; i < high_group.size(); ++i) {
    log(high_group[i], "valid/num_kv_pairs/accuracy-8", 1, kv8[i]);
  }
  log(high_group[0], "valid/num_kv_pairs/accuracy-16", 1, 0.25);
  log(low_group[0], "valid/num_kv_pairs/accuracy-8", 1, 0.99);  // its value 0.5 loses
  const Figure figure = build("accuracy-by-kv-pairs");
  ASSERT_EQ(figure.panels.size(), 1u);
  ASSERT_EQ(figure.panels[0].series.size(), 1u);
  const FigureSeries& series = figure.panels[0].series[0];
  EXPECT_EQ(series.name, "attention (n=3, best run " + std::to_string(high_group[2]) + ")");
  ASSERT_EQ(series.points.size(), 2u);
  EXPECT_DOUBLE_EQ(series.points[0].y, (0.6 + 0.7 + 0.9) / 3);
  EXPECT_NEAR(series.points[0].spread->std, sample_std(kv8), 1e-12);
  EXPECT_EQ(series.points[0].run_ids, high_group);
  EXPECT_EQ(series.points[1].y, 0.25);  // one member logged it: no spread
  EXPECT_FALSE(series.points[1].spread.has_value());
}

TEST_F(DashboardGroupTest, JsonAndCsvCarryTheGroupsStatistics) {
  const Figure figure = build("accuracy-vs-width");
  const json out = figure_to_json(figure);
  const json& points = out["panels"][0]["series"][0]["points"];
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0]["runs"], json::array({single}));
  EXPECT_FALSE(points[0].contains("n"));
  const json& group = points[1];
  EXPECT_EQ(group["runs"], json(high_group));
  EXPECT_EQ(group["n"], 3);
  EXPECT_DOUBLE_EQ(group["mean"].get<double>(), 0.8);
  EXPECT_NEAR(group["std"].get<double>(), sample_std(high_values), 1e-12);
  EXPECT_EQ(group["min"], 0.7);
  EXPECT_EQ(group["max"], 0.95);
  EXPECT_NEAR(group["error_low"].get<double>(), 0.8 - sample_std(high_values), 1e-12);
  EXPECT_NEAR(group["error_high"].get<double>(), 0.8 + sample_std(high_values), 1e-12);

  const std::string csv = figure_to_csv(figure);
  std::istringstream lines(csv);
  std::string header;
  std::string first;
  std::string second;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_EQ(header,
            "panel,series,group,style,x,y,run_id,label,n,mean,std,min,max,error_low,error_high,run_ids");
  // The label holds commas (quoted); the statistics are the last 8 fields.
  auto tail = [](const std::string& line) {
    std::vector<std::string> fields;
    size_t end = line.size();
    for (int i = 0; i < 8; ++i) {
      const size_t comma = line.rfind(',', end - 1);
      fields.insert(fields.begin(), line.substr(comma + 1, end - comma - 1));
      end = comma;
    }
    return fields;
  };
  const auto stats = tail(second);
  EXPECT_EQ(stats[0], "3");
  EXPECT_DOUBLE_EQ(std::strtod(stats[1].c_str(), nullptr), 0.8);
  EXPECT_EQ(std::strtod(stats[2].c_str(), nullptr), group["std"].get<double>());
  EXPECT_EQ(stats[7], std::to_string(high_group[0]) + " " + std::to_string(high_group[1]) + " " +
                          std::to_string(high_group[2]));
  EXPECT_EQ(tail(first)[0], "1");
  EXPECT_EQ(tail(first)[7], std::to_string(single));
}

TEST_F(DashboardGroupTest, PivotGroupCellsShowTheBestGroupAsMeanStdAndN) {
  DashboardOptions options;
  options.cell = "group";
  const Figure figure = build("pivot-table", options);
  ASSERT_TRUE(figure.table.has_value());
  ASSERT_EQ(figure.table->rows.size(), 1u);
  char expected[64];
  std::snprintf(expected, sizeof(expected), "0.8000 ± %.4f (3)", sample_std(high_values));
  // d_model 64: the lone lr 1e-2 run (0.8) beats the group's mean 0.6667.
  EXPECT_EQ(figure.table->rows[0], (std::vector<std::string>{"attention", "0.8000 (1)", expected}));
  // One format for the table: 4 decimals for accuracies, here and in the other cells.
  options.cell = "mean";
  EXPECT_EQ(build("pivot-table", options).table->rows[0],
            (std::vector<std::string>{"attention", "0.7000", "0.7875"}));
}

TEST_F(DashboardGroupTest, PivotNumbersShareOneFormatPerTable) {
  const std::vector<std::pair<int64_t, double>> losses = {{low_group[0], 2.5}, {single, 0.123456}};
  for (const auto& [run, value] : losses) {
    log(run, "valid/loss", 1, value);
  }
  DashboardOptions options;
  options.metric = "valid/loss";
  options.rows = "train.learning_rate";
  options.columns = "mixer";
  const Figure figure = build("pivot-table", options);
  ASSERT_EQ(figure.table->rows.size(), 2u);
  // The largest value gets 4 significant digits; every cell the same number of decimals.
  EXPECT_EQ(figure.table->rows[0], (std::vector<std::string>{"0.001", "2.500"}));
  EXPECT_EQ(figure.table->rows[1], (std::vector<std::string>{"0.01", "0.123"}));
}

}  // namespace
}  // namespace zoolab
