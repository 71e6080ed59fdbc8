// The live curves view driven as the GUI drives it: runs selected, metric rows arriving from the poller.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QFile>
#include <QImage>
#include <QSlider>
#include <QTemporaryDir>
#include <QTest>

#include "tests/views/run_fixtures.h"
#include "views/curve_plot.h"
#include "views/curve_smoothing.h"
#include "views/qcustomplot_include.h"

namespace zoolab {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Rows as the trainer writes them: per step "train/loss" (and a learning rate), per epoch of
// `stepsPerEpoch` steps "valid/accuracy". Ids continue from `nextId`.
struct RowWriter {
  int64_t nextId = 1;

  MetricPoint row(int64_t run, const std::string& key, int64_t step, double value, int64_t epoch,
                  double wallTime) {
    return testing::makePoint(nextId++, run, key, step, value, epoch, wallTime);
  }

  std::vector<MetricPoint> training(int64_t run, int64_t firstStep, int64_t steps,
                                    int64_t stepsPerEpoch = 10) {
    std::vector<MetricPoint> rows;
    for (int64_t step = firstStep; step < firstStep + steps; ++step) {
      const int64_t epoch = step / stepsPerEpoch;
      const double loss = 3.0 * std::exp(-0.05 * static_cast<double>(step)) + 0.1 * std::sin(step * run);
      rows.push_back(row(run, "train/loss", step, loss, epoch, 0.5 * static_cast<double>(step)));
      rows.push_back(row(run, "train/learning_rate", step, 1e-3, epoch, 0.5 * static_cast<double>(step)));
      if ((step + 1) % stepsPerEpoch == 0) {
        rows.push_back(row(run, "valid/accuracy", step, 0.01 * static_cast<double>(step), epoch,
                           0.5 * static_cast<double>(step)));
      }
    }
    return rows;
  }
};

std::vector<double> ys(const QVector<QPointF>& points) {
  std::vector<double> values;
  for (const QPointF& p : points) {
    values.push_back(p.y());
  }
  return values;
}

std::vector<double> xs(const QVector<QPointF>& points) {
  std::vector<double> values;
  for (const QPointF& p : points) {
    values.push_back(p.x());
  }
  return values;
}

// The graphs QCustomPlot holds for a run, found by legend name: the smoothed one is in the legend.
struct RunGraphs {
  QCPGraph* smoothed = nullptr;
  QCPGraph* raw = nullptr;
};

RunGraphs graphsNamed(QCustomPlot* plot, const QString& name) {
  RunGraphs graphs;
  for (int i = 0; i < plot->graphCount(); ++i) {
    QCPGraph* graph = plot->graph(i);
    if (graph->name() != name) {
      continue;
    }
    (plot->legend->hasItemWithPlottable(graph) ? graphs.smoothed : graphs.raw) = graph;
  }
  return graphs;
}

TEST(CurvePlot, DrawsTheSelectedRunsInTheirColours) {
  CurvePlot view;
  RowWriter writer;
  view.appendMetrics(writer.training(1, 0, 30));
  view.appendMetrics(writer.training(2, 0, 20));
  view.appendMetrics(writer.training(3, 0, 25));
  view.setRunColour(1, QColor(Qt::red));
  view.setRunName(1, QStringLiteral("attention"));
  view.setRuns({1, 2});
  view.setRunColour(2, QColor(Qt::blue));
  view.setRunName(2, QStringLiteral("hyena"));

  EXPECT_EQ(view.metric(), QStringLiteral("train/loss"));  // the default once rows arrive
  EXPECT_EQ(view.graphCount(), 2);
  EXPECT_EQ(view.customPlot()->graphCount(), 4);  // smoothed and raw per run
  EXPECT_EQ(view.plottedPoints(1, true).size(), 30);
  EXPECT_EQ(view.plottedPoints(2, false).size(), 20);
  EXPECT_TRUE(view.plottedPoints(3, true).isEmpty());

  const RunGraphs attention = graphsNamed(view.customPlot(), QStringLiteral("attention"));
  ASSERT_NE(attention.smoothed, nullptr);
  ASSERT_NE(attention.raw, nullptr);
  EXPECT_EQ(attention.smoothed->pen().color(), QColor(Qt::red));
  EXPECT_EQ(attention.raw->pen().color().rgb(), QColor(Qt::red).rgb());
  EXPECT_NEAR(attention.raw->pen().color().alphaF(), 0.25, 0.01);  // faint underneath
  EXPECT_LT(attention.raw->layer()->index(), attention.smoothed->layer()->index());
  const RunGraphs hyena = graphsNamed(view.customPlot(), QStringLiteral("hyena"));
  ASSERT_NE(hyena.smoothed, nullptr);
  EXPECT_EQ(hyena.smoothed->pen().color(), QColor(Qt::blue));

  // Raw points are the rows; smoothed ones TensorBoard's EMA of them at the default 0.6.
  const CurveSeries* series = view.store().series(1, "train/loss");
  ASSERT_NE(series, nullptr);
  EXPECT_EQ(ys(view.plottedPoints(1, false)), series->values);
  EXPECT_EQ(ys(view.plottedPoints(1, true)), ema_smooth(series->values, 0.6));

  view.setRuns({2});
  EXPECT_EQ(view.graphCount(), 1);
  EXPECT_TRUE(view.plottedPoints(1, true).isEmpty());
  EXPECT_EQ(view.customPlot()->graphCount(), 2);
}

TEST(CurvePlot, MetricXAxisAndScalesChangeWhatIsPlotted) {
  CurvePlot view;
  RowWriter writer;
  view.appendMetrics(writer.training(1, 0, 40, 10));
  view.setRuns({1});
  const auto* metricCombo = view.findChild<QComboBox*>(QStringLiteral("metricCombo"));
  ASSERT_NE(metricCombo, nullptr);
  EXPECT_EQ(metricCombo->count(), 3);
  EXPECT_EQ(metricCombo->currentText(), QStringLiteral("train/loss"));
  EXPECT_TRUE(view.logY()) << "loss starts on a log scale";
  EXPECT_EQ(view.plottedPoints(1, false).size(), 40);
  EXPECT_EQ(view.customPlot()->yAxis->label(), QStringLiteral("train/loss"));

  view.setMetric(QStringLiteral("valid/accuracy"));
  EXPECT_EQ(metricCombo->currentText(), QStringLiteral("valid/accuracy"));
  EXPECT_FALSE(view.logY());
  EXPECT_EQ(view.customPlot()->yAxis->scaleType(), QCPAxis::stLinear);
  EXPECT_EQ(ys(view.plottedPoints(1, false)), (std::vector<double>{0.09, 0.19, 0.29, 0.39}));
  EXPECT_EQ(xs(view.plottedPoints(1, false)), (std::vector<double>{9, 19, 29, 39}));

  view.setXAxis(CurvePlot::XAxis::Epoch);
  EXPECT_EQ(xs(view.plottedPoints(1, false)), (std::vector<double>{1, 2, 3, 4})) << "epochs shown 1-based";
  EXPECT_EQ(view.customPlot()->xAxis->label(), QStringLiteral("Epoch"));
  view.setXAxis(CurvePlot::XAxis::Elapsed);
  EXPECT_EQ(xs(view.plottedPoints(1, true)), (std::vector<double>{4.5, 9.5, 14.5, 19.5}));

  view.setLogX(true);
  EXPECT_EQ(view.customPlot()->xAxis->scaleType(), QCPAxis::stLogarithmic);
  EXPECT_TRUE(view.findChild<QCheckBox*>(QStringLiteral("logXCheck"))->isChecked());
  view.findChild<QCheckBox*>(QStringLiteral("logYCheck"))->setChecked(true);  // as a click does
  EXPECT_TRUE(view.logY());
  EXPECT_EQ(view.customPlot()->yAxis->scaleType(), QCPAxis::stLogarithmic);

  // The combo drives the view like setMetric.
  auto* combo = view.findChild<QComboBox*>(QStringLiteral("metricCombo"));
  const int lr = combo->findText(QStringLiteral("train/learning_rate"));
  ASSERT_GE(lr, 0);
  combo->setCurrentIndex(lr);
  Q_EMIT combo->textActivated(combo->itemText(lr));
  EXPECT_EQ(view.metric(), QStringLiteral("train/learning_rate"));
  EXPECT_EQ(ys(view.plottedPoints(1, false)), std::vector<double>(40, 1e-3));
}

TEST(CurvePlot, SmoothingWeightRedrawsTheSmoothedCurve) {
  CurvePlot view;
  RowWriter writer;
  view.appendMetrics(writer.training(1, 0, 50));
  view.setRuns({1});
  const std::vector<double> raw = view.store().series(1, "train/loss")->values;
  auto* slider = view.findChild<QSlider*>(QStringLiteral("smoothingSlider"));
  ASSERT_NE(slider, nullptr);
  EXPECT_EQ(slider->value(), 600);

  view.setSmoothing(0.9);
  EXPECT_EQ(ys(view.plottedPoints(1, true)), ema_smooth(raw, 0.9));
  slider->setValue(0);  // as a drag does
  EXPECT_EQ(view.smoothing(), 0.0);
  EXPECT_EQ(ys(view.plottedPoints(1, true)), raw);
  EXPECT_FALSE(graphsNamed(view.customPlot(), QStringLiteral("run 1")).raw->visible())
      << "at 0 the raw curve is the smoothed one";
  view.setSmoothing(5.0);
  EXPECT_DOUBLE_EQ(view.smoothing(), CurvePlot::kMaxSmoothing);
  EXPECT_EQ(slider->value(), 999);
}

TEST(CurvePlot, IncrementalAppendEqualsOneShot) {
  RowWriter writer;
  // A constant start (drawn raw until it breaks), a NaN and an inf.
  std::vector<MetricPoint> rows;
  for (int64_t step = 0; step < 400; ++step) {
    double value = step < 5 ? 2.0 : 1.0 / (1.0 + static_cast<double>(step)) + 0.01 * std::cos(step);
    if (step == 50)
      value = kNaN;
    if (step == 51)
      value = std::numeric_limits<double>::infinity();
    rows.push_back(writer.row(4, "train/loss", step, value, step / 100, step * 0.1));
  }
  for (CurvePlot::XAxis axis : {CurvePlot::XAxis::Step, CurvePlot::XAxis::Epoch}) {
    CurvePlot incremental;
    CurvePlot oneShot;
    for (CurvePlot* view : {&incremental, &oneShot}) {
      view->setRuns({4});
      view->setXAxis(axis);
    }
    for (size_t begin = 0; begin < rows.size(); begin += 7) {
      const size_t end = std::min(rows.size(), begin + 7);
      incremental.appendMetrics(std::vector<MetricPoint>(rows.begin() + begin, rows.begin() + end));
    }
    oneShot.setRunHistory(4, rows);
    for (bool smoothed : {false, true}) {
      const QVector<QPointF> a = incremental.plottedPoints(4, smoothed);
      const QVector<QPointF> b = oneShot.plottedPoints(4, smoothed);
      ASSERT_EQ(a.size(), 400);
      ASSERT_EQ(b.size(), 400);
      for (int i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].x(), b[i].x()) << i;
        if (std::isnan(b[i].y())) {
          EXPECT_TRUE(std::isnan(a[i].y())) << i;
        } else {
          EXPECT_EQ(a[i].y(), b[i].y()) << "point " << i << (smoothed ? " smoothed" : " raw");
        }
      }
    }
    // Points sharing an epoch stay in the order they were written.
    std::vector<double> expected;
    for (const MetricPoint& row : rows) {
      expected.push_back(row.value);
    }
    const std::vector<double> plotted = ys(incremental.plottedPoints(4, false));
    EXPECT_EQ(plotted[0], expected[0]);
    EXPECT_EQ(plotted[120], expected[120]);
    EXPECT_EQ(plotted[399], expected[399]);
  }
}

TEST(CurvePlot, NaNValuesLeaveTheRestSmoothed) {
  CurvePlot view;
  RowWriter writer;
  view.setRuns({1});
  view.appendMetrics({writer.row(1, "train/loss", 0, 1.0, 0, 0), writer.row(1, "train/loss", 1, kNaN, 0, 1),
                      writer.row(1, "train/loss", 2, 3.0, 0, 2)});
  view.setSmoothing(0.5);
  const std::vector<double> smoothed = ys(view.plottedPoints(1, true));
  ASSERT_EQ(smoothed.size(), 3u);
  EXPECT_DOUBLE_EQ(smoothed[0], 1.0);
  EXPECT_TRUE(std::isnan(smoothed[1]));
  EXPECT_DOUBLE_EQ(smoothed[2], 7.0 / 3.0);
  view.customPlot()->replot();  // NaN draws as a gap, not a failure
}

TEST(CurvePlot, RunWithoutPointsOfTheMetricDrawsNothing) {
  CurvePlot view;
  RowWriter writer;
  view.appendMetrics({writer.row(1, "valid/accuracy", 9, 0.5, 0, 1.0)});
  view.setRuns({1, 2});  // run 2 has no rows at all
  EXPECT_EQ(view.metric(), QStringLiteral("valid/accuracy"));
  EXPECT_EQ(view.graphCount(), 1);
  view.setMetric(QStringLiteral("train/loss"));  // run 1 has none
  EXPECT_EQ(view.graphCount(), 0);
  EXPECT_TRUE(view.plottedPoints(1, true).isEmpty());
  EXPECT_EQ(view.customPlot()->graphCount(), 0);
  view.fit();
  view.customPlot()->replot();
  EXPECT_FALSE(view.nearestPoint(QPointF(10, 10)).valid);
  // The first rows of the metric create the graph.
  view.appendMetrics({writer.row(2, "train/loss", 1, 2.0, 0, 1.0)});
  EXPECT_EQ(view.graphCount(), 1);
  EXPECT_EQ(view.plottedPoints(2, false).size(), 1);
}

TEST(CurvePlot, ManyAppendsAreCoalescedIntoFewReplots) {
  CurvePlot view;
  RowWriter writer;
  view.appendMetrics(writer.training(1, 0, 10));
  view.setRuns({1});
  QTest::qWait(CurvePlot::kReplotIntervalMs + 50);
  const int before = view.replotCount();
  for (int64_t i = 0; i < 100; ++i) {
    view.appendMetrics(writer.training(1, 10 + i, 1));
    QCoreApplication::processEvents();
  }
  EXPECT_LE(view.replotCount() - before, 2);
  QTest::qWait(2 * CurvePlot::kReplotIntervalMs + 50);
  const int after = view.replotCount() - before;
  EXPECT_GE(after, 1) << "the arrived rows must be drawn";
  EXPECT_LE(after, 3);
  EXPECT_EQ(view.plottedPoints(1, false).size(), 110);
  // Rows of runs or metrics not shown ask for no replot.
  const int idle = view.replotCount();
  view.appendMetrics(writer.training(9, 0, 5));
  QTest::qWait(CurvePlot::kReplotIntervalMs + 50);
  EXPECT_EQ(view.replotCount(), idle);
}

TEST(CurvePlot, StepsLoggedAgainAfterAResumeStaySorted) {
  CurvePlot view;
  RowWriter writer;
  view.setRuns({1});
  view.setMetric(QStringLiteral("train/loss"));
  view.setSmoothing(0.6);  // six points: unsmoothed by default
  view.appendMetrics({writer.row(1, "train/loss", 1, 5.0, 0, 1), writer.row(1, "train/loss", 2, 4.0, 0, 2),
                      writer.row(1, "train/loss", 3, 3.0, 0, 3)});
  // Interrupted after step 3, resumed from the checkpoint of step 1.
  view.appendMetrics({writer.row(1, "train/loss", 2, 4.5, 0, 4), writer.row(1, "train/loss", 3, 3.5, 0, 5)});
  view.appendMetrics({writer.row(1, "train/loss", 4, 2.5, 0, 6)});
  EXPECT_EQ(xs(view.plottedPoints(1, false)), (std::vector<double>{1, 2, 2, 3, 3, 4}));
  EXPECT_EQ(ys(view.plottedPoints(1, false)), (std::vector<double>{5.0, 4.0, 4.5, 3.0, 3.5, 2.5}));
  // Smoothing still follows the order the rows were written.
  const std::vector<double> smoothed = ema_smooth({5.0, 4.0, 3.0, 4.5, 3.5, 2.5}, 0.6);
  EXPECT_EQ(ys(view.plottedPoints(1, true)), (std::vector<double>{smoothed[0], smoothed[1], smoothed[3],
                                                                  smoothed[2], smoothed[4], smoothed[5]}));
}

TEST(CurvePlot, HoverNamesTheRunAndShowsBothValues) {
  CurvePlot view;
  RowWriter writer;
  view.resize(800, 600);
  view.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&view));
  view.appendMetrics(writer.training(1, 0, 30));
  view.appendMetrics(writer.training(2, 0, 30));
  view.setRunName(2, QStringLiteral("mamba-d64"));
  view.setRuns({1, 2});
  view.setLogY(false);
  view.fit();
  view.customPlot()->replot(QCustomPlot::rpImmediateRefresh);

  const CurveSeries* series = view.store().series(2, "train/loss");
  const QVector<QPointF> smoothed = view.plottedPoints(2, true);
  const QPointF target = smoothed[12];
  const QPointF pixel(view.customPlot()->xAxis->coordToPixel(target.x()),
                      view.customPlot()->yAxis->coordToPixel(target.y()));
  const CurvePlot::HoverPoint hover = view.nearestPoint(pixel);
  ASSERT_TRUE(hover.valid);
  EXPECT_EQ(hover.runId, 2);
  EXPECT_EQ(hover.step, 12);
  EXPECT_EQ(hover.raw, series->values[12]);
  EXPECT_EQ(hover.smoothed, target.y());
  const QString text = view.toolTipText(hover);
  EXPECT_TRUE(text.contains(QStringLiteral("mamba-d64"))) << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("step 12"))) << text.toStdString();
  EXPECT_TRUE(text.contains(QString::number(series->values[12], 'g', 6))) << text.toStdString();
}

TEST(CurvePlot, RendersTheCurveInTheRunColour) {
  CurvePlot view;
  RowWriter writer;
  view.appendMetrics(writer.training(1, 0, 200));
  view.setRunColour(1, QColor(255, 0, 0));
  view.setRuns({1});
  view.setSmoothing(0.0);
  const QImage image = view.customPlot()->toPixmap(400, 300).toImage();
  int red = 0;
  for (int y = 0; y < image.height(); ++y) {
    for (int x = 0; x < image.width(); ++x) {
      const QColor pixel = image.pixelColor(x, y);
      red += pixel.red() > 200 && pixel.green() < 80 && pixel.blue() < 80 ? 1 : 0;
    }
  }
  EXPECT_GT(red, 100) << "a curve across the plot";
  EXPECT_TRUE(view.customPlot()->legend->visible());
}

TEST(CurvePlot, HistoryAndRemovalUpdateTheDrawnRun) {
  CurvePlot view;
  RowWriter writer;
  view.setRuns({5});
  view.setMetric(QStringLiteral("train/loss"));
  view.setRunHistory(5, writer.training(5, 0, 12));
  EXPECT_EQ(view.plottedPoints(5, false).size(), 12);
  view.setRunHistory(5, writer.training(5, 0, 4));  // replaced, not appended
  EXPECT_EQ(view.plottedPoints(5, false).size(), 4);
  view.removeRunData(5);
  EXPECT_EQ(view.graphCount(), 0);
  view.appendMetrics(writer.training(5, 0, 3));
  EXPECT_EQ(view.graphCount(), 1);
  view.clearData();
  EXPECT_EQ(view.graphCount(), 0);
  EXPECT_EQ(view.store().pointCount(), 0u);
  EXPECT_EQ(view.metric(), QStringLiteral("train/loss")) << "a chosen metric stays";
}

}  // namespace
}  // namespace zoolab

namespace zoolab {
namespace {

// The curves export as any figure does: the CSV holds every raw point of each drawn run (and the
// smoothed curve), the SVG names the runs and the metric.
TEST(CurvePlotExport, CsvHoldsEveryPointAndSvgNamesTheRuns) {
  CurvePlot view;
  RowWriter writer;
  view.appendMetrics(writer.training(1, 0, 30));
  view.appendMetrics(writer.training(2, 0, 20));
  view.setRunName(1, QStringLiteral("attention-run"));
  view.setRunName(2, QStringLiteral("hyena-run"));
  view.setRuns({1, 2});

  const Figure figure = view.toFigure();
  ASSERT_EQ(figure.panels.size(), 1u);
  const FigurePanel& panel = figure.panels[0];
  EXPECT_EQ(panel.y.title, "train/loss");
  ASSERT_EQ(panel.series.size(), 4u);  // raw and smoothed per run
  EXPECT_EQ(panel.series[0].name, "attention-run");
  EXPECT_EQ(panel.series[0].points.size(), 30u);
  EXPECT_EQ(panel.series[1].name, "attention-run (smoothed)");
  std::vector<double> raw;
  for (const auto& point : panel.series[0].points)
    raw.push_back(point.y);
  EXPECT_EQ(raw, view.store().series(1, "train/loss")->values);
  std::vector<double> smoothed;
  for (const auto& point : panel.series[1].points)
    smoothed.push_back(point.y);
  EXPECT_EQ(smoothed, ys(view.plottedPoints(1, true)));

  QTemporaryDir dir;
  ASSERT_TRUE(dir.isValid());
  const QString csv = dir.filePath(QStringLiteral("curves.csv"));
  ASSERT_EQ(view.exportTo(csv), QString());
  QFile csvFile(csv);
  ASSERT_TRUE(csvFile.open(QIODevice::ReadOnly));
  const QString text = QString::fromUtf8(csvFile.readAll());
  EXPECT_EQ(text.trimmed().split(QLatin1Char('\n')).size(), 1 + 2 * (30 + 20));  // header + every point
  EXPECT_EQ(text.toStdString(), figure_to_csv(figure));

  const QString svg = dir.filePath(QStringLiteral("curves.svg"));
  ASSERT_EQ(view.exportTo(svg), QString());
  QFile svgFile(svg);
  ASSERT_TRUE(svgFile.open(QIODevice::ReadOnly));
  const QString svgText = QString::fromUtf8(svgFile.readAll());
  EXPECT_TRUE(svgText.contains(QStringLiteral("attention-run")));
  EXPECT_TRUE(svgText.contains(QStringLiteral("hyena-run")));
  EXPECT_TRUE(svgText.contains(QStringLiteral("train/loss")));
  EXPECT_NE(view.exportTo(dir.filePath(QStringLiteral("curves.jpg"))), QString());
}

TEST(CurvePlotExport, FigureStyleSetsFontsAndLineWidth) {
  CurvePlot view;
  RowWriter writer;
  view.appendMetrics(writer.training(1, 0, 10));
  view.setRunName(1, QStringLiteral("run"));
  view.setRuns({1});
  FigureStyle style;
  style.pointSize = 14.0;
  style.lineWidth = 3.0;
  view.setFigureStyle(style);
  EXPECT_DOUBLE_EQ(view.customPlot()->xAxis->labelFont().pointSizeF(), 14.0);
  EXPECT_DOUBLE_EQ(view.customPlot()->legend->font().pointSizeF(), 13.0);
  const RunGraphs graphs = graphsNamed(view.customPlot(), QStringLiteral("run"));
  ASSERT_NE(graphs.smoothed, nullptr);
  EXPECT_DOUBLE_EQ(graphs.smoothed->pen().widthF(), 3.0);
}

}  // namespace
}  // namespace zoolab
