// The curves tab's options: smoothing per metric (off for metrics with few points), the x axes (1-based
// epochs, elapsed training time, the wall clock), elided legend names outside the axes, and the message
// shown while nothing is selected.

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include <QComboBox>
#include <QDateTime>
#include <QFontMetrics>
#include <QLabel>
#include <QSlider>
#include <QTest>

#include "tests/views/run_fixtures.h"
#include "views/curve_plot.h"
#include "views/qcustomplot_include.h"

namespace zoolab {
namespace {

// `steps` train/loss points of run `run` and a valid/accuracy point every 10 steps (ids from `nextId`).
std::vector<MetricPoint> rowsOf(int64_t run, int64_t steps, int64_t& nextId) {
  std::vector<MetricPoint> rows;
  for (int64_t step = 1; step <= steps; ++step) {
    const int64_t epoch = (step - 1) / 10;
    rows.push_back(testing::makePoint(nextId++, run, "train/loss", step, 1.0 / step + 0.05 * std::sin(step),
                                      epoch, 2.0 * step));
    if (step % 10 == 0) {
      rows.push_back(testing::makePoint(nextId++, run, "valid/accuracy", step, 0.1 * std::sqrt(step), epoch,
                                        2.0 * step));
    }
  }
  return rows;
}

std::vector<double> xsOf(const QVector<QPointF>& points) {
  std::vector<double> values;
  for (const QPointF& point : points) {
    values.push_back(point.x());
  }
  return values;
}

TEST(CurveOptions, SmoothingIsPerMetricAndOffForFewPoints) {
  CurvePlot view;
  int64_t id = 1;
  view.setRuns({1});
  view.appendMetrics(rowsOf(1, 5, id));
  EXPECT_EQ(view.metric(), QStringLiteral("train/loss"));
  EXPECT_EQ(view.smoothing(), 0.0) << "5 points: drawn raw";
  view.appendMetrics(rowsOf(1, 60, id));  // now 65 points of train/loss
  EXPECT_DOUBLE_EQ(view.smoothing(), kDefaultSmoothingWeight) << "enough points: TensorBoard's default";
  EXPECT_EQ(view.findChild<QSlider*>(QStringLiteral("smoothingSlider"))->value(), 600);

  view.setMetric(QStringLiteral("valid/accuracy"));
  EXPECT_EQ(view.smoothing(), 0.0) << "validation metrics are drawn raw";
  const QVector<QPointF> raw = view.plottedPoints(1, false);
  EXPECT_EQ(view.plottedPoints(1, true), raw) << "the smoothed curve is the raw one";

  // A choice is kept per metric.
  view.setSmoothing(0.3);
  view.setMetric(QStringLiteral("train/loss"));
  EXPECT_DOUBLE_EQ(view.smoothing(), kDefaultSmoothingWeight);
  view.findChild<QSlider*>(QStringLiteral("smoothingSlider"))->setValue(900);  // as a drag does
  view.setMetric(QStringLiteral("valid/accuracy"));
  EXPECT_DOUBLE_EQ(view.smoothing(), 0.3);
  view.setMetric(QStringLiteral("train/loss"));
  EXPECT_DOUBLE_EQ(view.smoothing(), 0.9);
  EXPECT_DOUBLE_EQ(view.smoothingChoices().value(QStringLiteral("valid/accuracy")), 0.3);

  // Choices handed back (from settings) apply at once.
  view.setSmoothingChoices({{QStringLiteral("train/loss"), 0.2}});
  EXPECT_DOUBLE_EQ(view.smoothing(), 0.2);
  view.setMetric(QStringLiteral("valid/accuracy"));
  EXPECT_EQ(view.smoothing(), 0.0);
}

TEST(CurveOptions, EpochsAreOneBasedOnTheAxisTooltipAndCsv) {
  CurvePlot view;
  int64_t id = 1;
  view.appendMetrics(rowsOf(1, 30, id));
  view.setRuns({1});
  view.setMetric(QStringLiteral("valid/accuracy"));
  view.setXAxis(CurvePlot::XAxis::Epoch);
  EXPECT_EQ(xsOf(view.plottedPoints(1, false)), (std::vector<double>{1, 2, 3}));
  const Figure figure = view.toFigure();
  ASSERT_FALSE(figure.panels.front().series.empty());
  const FigureSeries& series = figure.panels.front().series.front();
  ASSERT_EQ(series.points.size(), 3u);
  EXPECT_EQ(series.points[0].label, "step 10, epoch 1");  // stored epoch 0: the first
  EXPECT_EQ(series.points[2].label, "step 30, epoch 3");
  EXPECT_EQ(series.points[2].x, 3.0);
}

TEST(CurveOptions, ElapsedAndWallClockAxes) {
  CurvePlot view;
  int64_t id = 1;
  view.appendMetrics(rowsOf(1, 30, id));
  view.appendMetrics(rowsOf(2, 30, id));
  view.setRuns({1, 2});
  view.setXAxis(CurvePlot::XAxis::Elapsed);
  EXPECT_EQ(view.plottedPoints(1, false).front().x(), 2.0);
  EXPECT_EQ(view.plottedPoints(1, false).back().x(), 60.0);

  const QDateTime start = QDateTime::fromString(QStringLiteral("2026-03-01T10:00:00Z"), Qt::ISODate);
  ASSERT_TRUE(start.isValid());
  view.setRunStartTime(1, start);
  auto* combo = view.findChild<QComboBox*>(QStringLiteral("xAxisCombo"));
  const int wallClock = combo->findText(QStringLiteral("Wall clock"));
  ASSERT_GE(wallClock, 0);
  combo->setCurrentIndex(wallClock);
  Q_EMIT combo->activated(wallClock);
  EXPECT_EQ(view.xAxis(), CurvePlot::XAxis::WallClock);
  const double origin = static_cast<double>(start.toSecsSinceEpoch());
  EXPECT_EQ(view.plottedPoints(1, false).front().x(), origin + 2.0);
  EXPECT_EQ(view.plottedPoints(1, false).back().x(), origin + 60.0);
  EXPECT_TRUE(view.plottedPoints(2, false).isEmpty()) << "a run that never started has no place in time";
  EXPECT_EQ(view.graphCount(), 1);
  view.setRunStartTime(2, start.addSecs(3600));
  EXPECT_EQ(view.graphCount(), 2);
  EXPECT_EQ(view.plottedPoints(2, false).front().x(), origin + 3600.0 + 2.0);
  EXPECT_NE(qSharedPointerDynamicCast<QCPAxisTickerDateTime>(view.customPlot()->xAxis->ticker()), nullptr);
}

TEST(CurveOptions, LongNamesAreElidedInALegendBesideTheAxes) {
  CurvePlot view;
  view.resize(900, 500);
  view.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&view));
  int64_t id = 1;
  view.appendMetrics(rowsOf(1, 30, id));
  view.appendMetrics(rowsOf(2, 30, id));
  const QString longName = QStringLiteral("fig2-attention-d_model=256-lr=0.000316-num_kv_pairs=64-") +
                           QStringLiteral("input_seq_len=512-seed=3-the-end");
  view.setRunName(1, longName);
  view.setRunName(2, QStringLiteral("short"));
  view.setRuns({1, 2});
  QCustomPlot* plot = view.customPlot();
  plot->replot(QCustomPlot::rpImmediateRefresh);
  ASSERT_TRUE(plot->legend->visible());
  QStringList names;
  for (int i = 0; i < plot->legend->itemCount(); ++i) {
    names << qobject_cast<QCPPlottableLegendItem*>(plot->legend->item(i))->plottable()->name();
  }
  ASSERT_EQ(names.size(), 2);
  EXPECT_TRUE(names[0].startsWith(QStringLiteral("fig2-"))) << names[0].toStdString();
  EXPECT_TRUE(names[0].endsWith(QStringLiteral("the-end"))) << names[0].toStdString();
  EXPECT_TRUE(names[0].contains(QChar(0x2026))) << "elided in the middle: " << names[0].toStdString();
  EXPECT_LE(QFontMetrics(plot->legend->font()).horizontalAdvance(names[0]), CurvePlot::kLegendNameMaxPx);
  EXPECT_EQ(names[1], QStringLiteral("short"));
  // Beside the axis rect, never inside it.
  EXPECT_FALSE(plot->axisRect()->rect().intersects(plot->legend->outerRect()))
      << "axes " << plot->axisRect()->rect().right() << ", legend from " << plot->legend->outerRect().left();
  EXPECT_GT(plot->axisRect()->rect().width(), 500) << "the axes keep most of the width";
  EXPECT_EQ(plot->axisRect()->insetLayout()->elementCount(), 0);
  // The tooltip keeps the whole name.
  EXPECT_EQ(view.runName(1), longName);
}

TEST(CurveOptions, NothingSelectedShowsWhatToDo) {
  CurvePlot view;
  EXPECT_EQ(view.emptyMessage(),
            QStringLiteral("Select one or more runs in the explorer to plot their curves"));
  auto* label = view.findChild<QLabel*>(QStringLiteral("emptyMessage"));
  ASSERT_NE(label, nullptr);
  EXPECT_EQ(label->alignment(), Qt::AlignCenter);
  EXPECT_FALSE(view.findChild<QComboBox*>(QStringLiteral("metricCombo"))->isEnabled());

  view.setRuns({7});  // selected, no metrics yet
  EXPECT_TRUE(view.emptyMessage().contains(QStringLiteral("no metrics yet")))
      << view.emptyMessage().toStdString();
  int64_t id = 1;
  view.appendMetrics(rowsOf(7, 3, id));
  QTest::qWait(CurvePlot::kReplotIntervalMs + 50);
  EXPECT_EQ(view.emptyMessage(), QString());
  EXPECT_TRUE(view.findChild<QComboBox*>(QStringLiteral("metricCombo"))->isEnabled());
  view.setRuns({});
  EXPECT_FALSE(view.emptyMessage().isEmpty());
}

}  // namespace
}  // namespace zoolab
