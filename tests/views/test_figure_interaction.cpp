// What the figure view does beyond drawing: error bars for seed groups (and their spread on hover),
// clicks and double clicks that name the runs behind a point or line, and parallel coordinates that name
// the values along each axis and brush ranges along them.

#include <gtest/gtest.h>

#include <cmath>
#include <utility>
#include <vector>

#include <QCoreApplication>
#include <QSignalSpy>
#include <QTest>

#include "tests/views/figure_fixtures.h"
#include "views/figure_view.h"
#include "views/qcustomplot_include.h"

namespace zoolab {
namespace {

void layOut(FigureView& view) {
  view.resize(1000, 450);
  view.show();
  QCoreApplication::processEvents();
  view.customPlot()->replot(QCustomPlot::rpImmediateRefresh);
}

QPoint pixelOf(const FigureView& view, int panel, int series, double x, double y) {
  const QCPGraph* graph = view.seriesGraph(panel, series);
  return QPoint(static_cast<int>(std::lround(graph->keyAxis()->coordToPixel(x))),
                static_cast<int>(std::lround(graph->valueAxis()->coordToPixel(y))));
}

QList<qint64> ids(std::initializer_list<qint64> list) {
  return QList<qint64>(list);
}

TEST(FigureViewErrorBars, DrawsEachSpreadFromLowToHighInItsSeriesColour) {
  const Figure figure = testing::spreadFigure();
  FigureView view;
  view.setFigure(figure);
  const QCPGraph* graph = view.seriesGraph(0, 0);
  QCPErrorBars* bars = view.seriesErrorBars(0, 0);
  ASSERT_NE(bars, nullptr);
  EXPECT_EQ(bars->dataPlottable(), graph);
  EXPECT_EQ(bars->pen().color(), graph->pen().color());
  ASSERT_EQ(bars->dataCount(), graph->dataCount());
  // The graph is in x order; the bars follow it.
  int withBars = 0;
  int k = 0;
  for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it, ++k) {
    const QCPErrorBarsData& error = bars->data()->at(k);
    const auto point =
        std::find_if(figure.panels[0].series[0].points.begin(), figure.panels[0].series[0].points.end(),
                     [&](const FigurePoint& p) { return p.x == it->key; });
    ASSERT_NE(point, figure.panels[0].series[0].points.end());
    if (point->spread) {
      EXPECT_NEAR(it->value - error.errorMinus, point->spread->low, 1e-12) << it->key;
      EXPECT_NEAR(it->value + error.errorPlus, point->spread->high, 1e-12) << it->key;
      ++withBars;
    } else {
      EXPECT_TRUE(std::isnan(error.errorMinus) && std::isnan(error.errorPlus)) << it->key;
    }
  }
  EXPECT_EQ(withBars, 2);
  // Series without a spread have no error bars at all.
  EXPECT_EQ(view.seriesErrorBars(0, 1), nullptr);
  EXPECT_EQ(view.seriesErrorBars(1, 0), nullptr);
}

TEST(FigureViewErrorBars, HoverSaysHowManyRunsAndTheirSpread) {
  const Figure figure = testing::spreadFigure();
  FigureView view;
  view.setFigure(figure);
  layOut(view);
  const FigurePoint& grouped = figure.panels[0].series[0].points[1];  // d64, three runs
  ASSERT_TRUE(grouped.spread);
  const QString text = view.toolTipText(view.nearestPoint(pixelOf(view, 0, 0, grouped.x, grouped.y)));
  EXPECT_TRUE(text.startsWith(QString::fromStdString(grouped.label))) << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("n = 3"))) << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("± 0.05"))) << text.toStdString();
  EXPECT_TRUE(text.contains(
      QStringLiteral("min–max %1–%2")
          .arg(QString::number(grouped.spread->min, 'g', 4), QString::number(grouped.spread->max, 'g', 4))))
      << text.toStdString();
  const FigurePoint& single = figure.panels[0].series[0].points[2];  // d512, one run
  EXPECT_EQ(view.toolTipText(view.nearestPoint(pixelOf(view, 0, 0, single.x, single.y))).toStdString(),
            single.label);
}

TEST(FigureViewClicks, AClickOnAPointOrLineNamesItsRunsAndADoubleClickOpensOne) {
  const Figure figure = testing::spreadFigure();
  FigureView view;
  view.setFigure(figure);
  layOut(view);
  QSignalSpy clicked(&view, &FigureView::runsClicked);
  QSignalSpy activated(&view, &FigureView::runActivated);

  // A group's point: every run behind it.
  const FigurePoint& grouped = figure.panels[0].series[0].points[1];
  QTest::mouseClick(view.customPlot(), Qt::LeftButton, {}, pixelOf(view, 0, 0, grouped.x, grouped.y));
  ASSERT_EQ(clicked.size(), 1);
  EXPECT_EQ(clicked.takeFirst().at(0).value<QList<qint64>>(),
            ids({grouped.run_id, 100 + grouped.run_id, 200 + grouped.run_id}));

  // A point of the second panel without run_ids: its run_id.
  FigurePoint based = figure.panels[1].series[1].points[0];
  QTest::mouseClick(view.customPlot(), Qt::LeftButton, {}, pixelOf(view, 1, 1, based.x, based.y));
  ASSERT_EQ(clicked.size(), 1);
  EXPECT_EQ(clicked.takeFirst().at(0).value<QList<qint64>>(), ids({based.run_id}));

  // The middle of a line between two points: every run of the line.
  const auto& line = figure.panels[1].series[1].points;  // based at 64, 128, 256
  const QPoint from = pixelOf(view, 1, 1, line[0].x, line[0].y);
  const QPoint to = pixelOf(view, 1, 1, line[1].x, line[1].y);
  QTest::mouseClick(view.customPlot(), Qt::LeftButton, {}, (from + to) / 2);
  ASSERT_EQ(clicked.size(), 1);
  EXPECT_EQ(clicked.takeFirst().at(0).value<QList<qint64>>(),
            ids({line[0].run_id, line[1].run_id, line[2].run_id}));

  // The paper's values have no runs: nothing.
  const FigurePoint& paper = figure.panels[0].series[2].points[2];
  QTest::mouseClick(view.customPlot(), Qt::LeftButton, {}, pixelOf(view, 0, 2, paper.x, paper.y));
  EXPECT_EQ(clicked.size(), 0);
  // Nor does empty space.
  QTest::mouseClick(view.customPlot(), Qt::LeftButton, {},
                    QPoint(view.panelRect(0)->left() + 3, view.panelRect(0)->bottom() - 3));
  EXPECT_EQ(clicked.size(), 0);

  // A double click opens the point's run (a group's chosen member).
  QTest::mouseDClick(view.customPlot(), Qt::LeftButton, {}, pixelOf(view, 0, 0, grouped.x, grouped.y));
  ASSERT_EQ(activated.size(), 1);
  EXPECT_EQ(activated.takeFirst().at(0).toLongLong(), grouped.run_id);
  QTest::mouseDClick(view.customPlot(), Qt::LeftButton, {}, pixelOf(view, 0, 2, paper.x, paper.y));
  EXPECT_EQ(activated.size(), 0);
}

TEST(FigureViewParallel, NamesTheValuesAlongEachAxisAndHidesTheSharedOne) {
  const Figure figure = testing::parallelFigure();
  FigureView view;
  view.setFigure(figure);
  QStringList texts;
  for (int i = 0; i < view.customPlot()->itemCount(); ++i) {
    if (auto* text = qobject_cast<QCPItemText*>(view.customPlot()->item(i))) {
      texts.append(text->text());
      // Each at its axis (x = the axis index), at the tick's position.
      const double x = text->position->coords().x();
      const FigureParallelAxis& axis = figure.panels[0].parallel_axes.at(static_cast<size_t>(x));
      const bool found = std::any_of(axis.ticks.begin(), axis.ticks.end(), [&](const auto& tick) {
        return QString::fromStdString(tick.second) == text->text() &&
               tick.first == text->position->coords().y();
      });
      EXPECT_TRUE(found) << text->text().toStdString();
    }
  }
  EXPECT_EQ(texts, (QStringList{"64", "128", "192", "attention", "based", "hyena", "0.2", "0.8"}));
  const QCPAxis* y = view.panelRect(0)->axis(QCPAxis::atLeft);
  EXPECT_FALSE(y->tickLabels());
  EXPECT_EQ(y->label(), QString());
}

TEST(FigureViewParallel, DraggingAlongAnAxisBrushesItDimsTheRestAndNamesTheBrushedRuns) {
  const Figure figure = testing::parallelFigure();
  FigureView view;
  view.setFigure(figure);
  layOut(view);
  QSignalSpy clicked(&view, &FigureView::runsClicked);
  const auto pixel = [&](double x, double y) {
    const QCPAxisRect* rect = view.panelRect(0);  // rebuilt with every figure
    return QPoint(static_cast<int>(std::lround(rect->axis(QCPAxis::atBottom)->coordToPixel(x))),
                  static_cast<int>(std::lround(rect->axis(QCPAxis::atLeft)->coordToPixel(y))));
  };
  EXPECT_EQ(view.parallelAxisAt(0, pixel(1.0, 0.3)), 1);
  EXPECT_EQ(view.parallelAxisAt(0, pixel(0.5, 0.3)), -1);

  // Drag along "mixer" from 0.95 down to 0.45: runs 12 and 14 sit at 0.5 inside, 11 and 13 outside.
  QTest::mousePress(view.customPlot(), Qt::LeftButton, {}, pixel(1.0, 0.95));
  QTest::mouseMove(view.customPlot(), pixel(1.0, 0.7));
  QTest::mouseMove(view.customPlot(), pixel(1.0, 0.45));
  QTest::mouseRelease(view.customPlot(), Qt::LeftButton, {}, pixel(1.0, 0.45));
  ASSERT_EQ(clicked.size(), 1);
  EXPECT_EQ(clicked.takeFirst().at(0).value<QList<qint64>>(), ids({12, 14}));
  const auto brush = view.brushes().brush(QStringLiteral("mixer"));
  ASSERT_TRUE(brush);
  EXPECT_NEAR(brush->low, 0.45, 0.02);
  EXPECT_NEAR(brush->high, 0.95, 0.02);
  EXPECT_TRUE(view.isDimmed(0, 0));
  EXPECT_FALSE(view.isDimmed(0, 1));
  EXPECT_TRUE(view.isDimmed(0, 2));
  EXPECT_FALSE(view.isDimmed(0, 3));

  // A second brush narrows to the runs inside both.
  view.setBrush(0, 2, 0.6, 1.0);
  EXPECT_EQ(view.brushedRuns(), ids({14}));
  EXPECT_TRUE(view.isDimmed(0, 1));

  // A fresher figure with the same axes keeps the brushes.
  view.setFigure(testing::parallelFigure());
  EXPECT_EQ(view.brushedRuns(), ids({14}));
  EXPECT_TRUE(view.isDimmed(0, 0));
  view.customPlot()->replot(QCustomPlot::rpImmediateRefresh);  // laid out again

  // A click on a brushed axis clears its brush.
  QTest::mouseClick(view.customPlot(), Qt::LeftButton, {}, pixel(2.0, 0.2));
  EXPECT_FALSE(view.brushes().brush(QStringLiteral("valid/accuracy")));
  EXPECT_EQ(view.brushedRuns(), ids({12, 14}));
  view.clearBrushes();
  EXPECT_EQ(view.brushedRuns(), QList<qint64>());
  for (int s = 0; s < 4; ++s) {
    EXPECT_FALSE(view.isDimmed(0, s)) << s;
  }
  // Without a brush, a click on a line names its run.
  clicked.clear();
  QTest::mouseClick(view.customPlot(), Qt::LeftButton, {}, (pixel(0.0, 1.0) + pixel(1.0, 1.0)) / 2);
  ASSERT_EQ(clicked.size(), 1);
  EXPECT_EQ(clicked.takeFirst().at(0).value<QList<qint64>>(), ids({13}));
}

}  // namespace
}  // namespace zoolab
