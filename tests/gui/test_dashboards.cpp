// The Dashboards tab against a real database of finished runs (written with the Store, no training): the
// plotted points are build_dashboard's for the same database (views equal engine numbers), each is the
// best run over learning rates, a run finishing later appears without a restart, and a hidden tab does
// not read the database.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <tuple>
#include <utility>
#include <vector>

#include <QComboBox>
#include <QFile>
#include <QTabWidget>
#include <QTest>

#include "app/gui/main_window.h"
#include "engine/analysis/dashboards.h"
#include "engine/store/store.h"
#include "tests/support/gui_window.h"
#include "views/dashboard_view.h"
#include "views/figure_view.h"
#include "views/qcustomplot_include.h"

namespace zoolab {
namespace {

struct RunSpec {
  std::string mixer;
  int64_t dModel;
  int64_t seqLen;
  double learningRate;
  double accuracy;  // the last valid/accuracy
};

class DashboardsTest : public GuiWindowTest {
 protected:
  // A finished run of tests/app/tiny.json with the spec's model and data, and two epochs of
  // valid/accuracy ending at spec.accuracy.
  int64_t addRun(Store& store, const RunSpec& spec, RunStatus status = RunStatus::Finished) {
    std::ifstream file(std::string(ZOOLAB_SOURCE_DIR) + "/tests/app/tiny.json");
    nlohmann::json config = nlohmann::json::parse(file);
    config["model"]["d_model"] = spec.dModel;
    config["model"]["max_position_embeddings"] = spec.seqLen;
    config["model"]["sequence_mixer"]["name"] = spec.mixer;
    config["data"]["train"][0]["input_seq_len"] = spec.seqLen;
    config["data"]["test"][0]["input_seq_len"] = spec.seqLen;
    config["train"]["learning_rate"] = spec.learningRate;
    NewRun run;
    run.name = spec.mixer + "-d" + std::to_string(spec.dModel) + "-L" + std::to_string(spec.seqLen) + "-lr" +
               std::to_string(spec.learningRate);
    config["name"] = run.name;
    run.task = "mqar";
    run.mixer = spec.mixer;
    run.config_json = config.dump();
    run.status = RunStatus::Running;
    const int64_t id = store.create_run(run);
    MetricPoint first;
    first.run_id = id;
    first.key = "valid/accuracy";
    first.step = 10;
    first.epoch = 0;
    first.value = spec.accuracy / 2;
    MetricPoint last = first;
    last.step = 20;
    last.epoch = 1;
    last.value = spec.accuracy;
    store.append_metrics({first, last});
    store.set_status(id, status);
    return id;
  }

  std::vector<RunSpec> grid() const {
    std::vector<RunSpec> specs;
    for (const std::string mixer : {"attention", "hyena"}) {
      for (const int64_t seqLen : {16, 32}) {
        for (const int64_t dModel : {32, 64, 128}) {
          for (const double lr : {1e-3, 1e-2}) {
            // Distinct values; the larger learning rate wins for attention, the smaller for hyena.
            const double base = (mixer == "attention" ? 0.5 : 0.2) + dModel / 400.0 - seqLen / 200.0;
            const double bonus = (lr > 5e-3) == (mixer == "attention") ? 0.1 : 0.0;
            specs.push_back({mixer, dModel, seqLen, lr, base + bonus});
          }
        }
      }
    }
    return specs;
  }
};

// (panel, series name) -> sorted (x, y, label) of a figure, and of what the view's graphs hold.
using Drawn =
    std::map<std::pair<std::string, std::string>, std::vector<std::tuple<double, double, std::string>>>;

Drawn figurePoints(const Figure& figure) {
  Drawn drawn;
  for (const FigurePanel& panel : figure.panels) {
    for (const FigureSeries& series : panel.series) {
      auto& points = drawn[{panel.title, series.name}];
      for (const FigurePoint& point : series.points) {
        points.emplace_back(point.x, point.y, point.label);
      }
      std::sort(points.begin(), points.end());
    }
  }
  return drawn;
}

// What the plot draws: each graph's (x, y), with the label the hover shows for it.
Drawn plottedPoints(const FigureView& view) {
  Drawn drawn;
  const Figure& figure = view.figure();
  for (int p = 0; p < view.panelCount(); ++p) {
    const FigurePanel& panel = figure.panels[static_cast<size_t>(p)];
    for (int s = 0; s < static_cast<int>(panel.series.size()); ++s) {
      const QCPGraph* graph = view.seriesGraph(p, s);
      auto& points = drawn[{panel.title, panel.series[static_cast<size_t>(s)].name}];
      for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it) {
        FigureView::HoverPoint hover = view.nearestPoint(
            QPointF(graph->keyAxis()->coordToPixel(it->key), graph->valueAxis()->coordToPixel(it->value)));
        points.emplace_back(it->key, it->value, view.toolTipText(hover).toStdString());
      }
      std::sort(points.begin(), points.end());
    }
  }
  return drawn;
}

TEST_F(DashboardsTest, PlotsBuildDashboardsPointsAndFollowsTheDatabase) {
  std::map<std::tuple<std::string, int64_t, int64_t>, double> best;
  {
    Store store(m_db.toStdString());
    for (const RunSpec& spec : grid()) {
      addRun(store, spec);
      double& cell = best[{spec.mixer, spec.dModel, spec.seqLen}];
      cell = std::max(cell, spec.accuracy);
    }
    addRun(store, {"attention", 256, 16, 1e-3, 0.99}, RunStatus::Running);  // unfinished: left out
  }
  auto window = openWindow(static_cast<int>(grid().size()) + 1, QSize(1400, 800));
  DashboardView* dashboards = window->dashboardView();
  window->tabs()->setCurrentWidget(dashboards);
  auto* combo = dashboards->findChild<QComboBox*>(QStringLiteral("dashboardCombo"));
  ASSERT_NE(combo, nullptr);
  combo->setCurrentIndex(combo->findData(QStringLiteral("accuracy-vs-width")));
  ASSERT_TRUE(QTest::qWaitFor([&] { return dashboards->runs().size() == grid().size() + 1; }, 5000));
  QTest::qWait(FigureView::kReplotIntervalMs + 50);  // laid out, for the hover positions
  const FigureView* view = dashboards->figureView();
  EXPECT_EQ(dashboards->lastError(), QString());

  const Figure expected = build_dashboard("accuracy-vs-width", Store(m_db.toStdString()));
  ASSERT_EQ(view->panelCount(), 2);
  const Drawn plotted = plottedPoints(*view);
  EXPECT_EQ(plotted, figurePoints(expected));
  // Each point is the best run over learning rates of its mixer, width and sequence length.
  size_t points = 0;
  for (const FigurePanel& panel : view->figure().panels) {
    const int64_t seqLen = panel.title.find("32") != std::string::npos ? 32 : 16;
    for (const FigureSeries& series : panel.series) {
      for (const FigurePoint& point : series.points) {
        EXPECT_DOUBLE_EQ(point.y, best.at({series.group, static_cast<int64_t>(point.x), seqLen}))
            << panel.title << " " << series.name << " d" << point.x;
        EXPECT_NE(point.x, 256.0);  // the running run
        ++points;
      }
    }
  }
  EXPECT_EQ(points, best.size());

  // A run finishing while the tab is shown appears within the rebuild interval, without a restart.
  {
    Store store(m_db.toStdString());
    addRun(store, {"attention", 256, 16, 1e-2, 0.97});
  }
  window->pollNow();
  ASSERT_TRUE(QTest::qWaitFor(
      [&] {
        for (const FigurePoint& point : view->figure().panels.front().series.front().points) {
          if (point.x == 256.0 && point.y == 0.97) {
            return true;
          }
        }
        return false;
      },
      3 * DashboardView::kMinRebuildIntervalMs));
  QTest::qWait(FigureView::kReplotIntervalMs + 50);  // the new axes laid out, for the hover positions
  EXPECT_EQ(plottedPoints(*view),
            figurePoints(build_dashboard("accuracy-vs-width", Store(m_db.toStdString()))));

  // A hidden tab reads nothing until shown again.
  window->tabs()->setCurrentIndex(MainWindow::CurvesTab);
  const int reloads = dashboards->reloadCount();
  {
    Store store(m_db.toStdString());
    addRun(store, {"hyena", 256, 16, 1e-2, 0.3});
  }
  window->pollNow();
  QTest::qWait(DashboardView::kMinRebuildIntervalMs + 200);
  EXPECT_EQ(dashboards->reloadCount(), reloads);
  window->tabs()->setCurrentWidget(dashboards);
  EXPECT_TRUE(QTest::qWaitFor([&] { return dashboards->reloadCount() == reloads + 1; },
                              2 * DashboardView::kMinRebuildIntervalMs));
}

TEST_F(DashboardsTest, ExportsTheShownFigureAndShowsThePivotOptionsOnlyForThePivotTable) {
  {
    Store store(m_db.toStdString());
    for (const RunSpec& spec : grid()) {
      addRun(store, spec);
    }
  }
  auto window = openWindow(static_cast<int>(grid().size()), QSize(1400, 800));
  DashboardView* dashboards = window->dashboardView();
  window->tabs()->setCurrentWidget(dashboards);
  dashboards->refresh();  // the feed answers on its thread
  ASSERT_TRUE(QTest::qWaitFor([&] { return dashboards->runs().size() == grid().size(); }, 5000));
  auto* rows = dashboards->findChild<QComboBox*>(QStringLiteral("pivotRowsCombo"));
  ASSERT_NE(rows, nullptr);
  ASSERT_TRUE(dashboards->setDashboard(QStringLiteral("accuracy-vs-width")));
  EXPECT_FALSE(rows->isVisible());
  const QString csv = m_dir.filePath(QStringLiteral("width.csv"));
  ASSERT_EQ(dashboards->exportTo(csv), QString());
  QFile file(csv);
  ASSERT_TRUE(file.open(QIODevice::ReadOnly));
  EXPECT_EQ(file.readAll().toStdString(), figure_to_csv(dashboards->figureView()->figure()));

  ASSERT_TRUE(dashboards->setDashboard(QStringLiteral("pivot-table")));
  EXPECT_TRUE(rows->isVisible());
  EXPECT_TRUE(dashboards->figureView()->showsTable());
  // The pivot's choices include the configuration paths that differ between runs.
  EXPECT_GE(rows->findText(QStringLiteral("model.d_model")), 0);
  EXPECT_GE(rows->findText(QStringLiteral("train.learning_rate")), 0);
  EXPECT_LT(rows->findText(QStringLiteral("data.vocab_size")), 0);  // the same in every run
  // A path no run has is refused with the engine's message, naming it.
  rows->setCurrentText(QStringLiteral("model.no_such_key"));
  dashboards->refresh();
  EXPECT_TRUE(dashboards->lastError().contains(QStringLiteral("model.no_such_key")))
      << dashboards->lastError().toStdString();
}

}  // namespace
}  // namespace zoolab
