// The figure view draws exactly the Figure it is given: one axis rect per panel, a graph per series
// holding the Figure's points, log axes where asked, one legend entry per name, the paper's values
// dashed, one colour per group in every panel, and each point's label on hover.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include <QCoreApplication>
#include <QLabel>
#include <QSettings>
#include <QStandardItemModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include "tests/views/figure_fixtures.h"
#include "views/figure_style.h"
#include "views/figure_view.h"
#include "views/qcustomplot_include.h"

namespace zoolab {
namespace {

std::vector<std::pair<double, double>> graphPoints(const QCPGraph* graph) {
  std::vector<std::pair<double, double>> points;
  for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it) {
    points.emplace_back(it->key, it->value);
  }
  return points;
}

std::vector<std::pair<double, double>> sortedFigurePoints(const FigureSeries& series) {
  std::vector<std::pair<double, double>> points;
  for (const FigurePoint& point : series.points) {
    points.emplace_back(point.x, point.y);
  }
  std::sort(points.begin(), points.end());
  return points;
}

// Shows the view at a fixed size and lays the plot out, so pixel positions are meaningful.
void layOut(FigureView& view) {
  view.resize(1000, 450);
  view.show();
  QCoreApplication::processEvents();
  view.customPlot()->replot(QCustomPlot::rpImmediateRefresh);
}

TEST(FigureView, DrawsOneAxisRectPerPanelWithExactlyTheFiguresPoints) {
  const Figure figure = testing::widthFigure();
  FigureView view;
  view.setFigure(figure);
  ASSERT_EQ(view.panelCount(), 2);
  EXPECT_EQ(view.customPlot()->axisRectCount(), 2);
  int graphs = 0;
  for (int p = 0; p < 2; ++p) {
    const FigurePanel& panel = figure.panels[static_cast<size_t>(p)];
    for (int s = 0; s < static_cast<int>(panel.series.size()); ++s) {
      const QCPGraph* graph = view.seriesGraph(p, s);
      ASSERT_NE(graph, nullptr) << "panel " << p << " series " << s;
      EXPECT_EQ(graph->keyAxis()->axisRect(), view.panelRect(p));
      EXPECT_EQ(graphPoints(graph), sortedFigurePoints(panel.series[static_cast<size_t>(s)]))
          << panel.series[static_cast<size_t>(s)].name;
      ++graphs;
    }
  }
  EXPECT_EQ(view.customPlot()->graphCount(), graphs);
  EXPECT_FALSE(view.showsTable());
  EXPECT_TRUE(view.notesLabel()->isVisibleTo(&view));
  EXPECT_EQ(view.notesLabel()->text().toStdString(), figure.notes.front());
}

TEST(FigureView, UsesLogAxesAndFixedTicksWhereTheFigureAsks) {
  Figure figure = testing::widthFigure();
  figure.panels[1].x.log = false;
  figure.panels[1].y.ticks = {{0.0, "none"}, {0.5, "half"}, {1.0, "all"}};
  FigureView view;
  view.setFigure(figure);
  QCPAxis* x0 = view.panelRect(0)->axis(QCPAxis::atBottom);
  QCPAxis* x1 = view.panelRect(1)->axis(QCPAxis::atBottom);
  EXPECT_EQ(x0->scaleType(), QCPAxis::stLogarithmic);
  EXPECT_TRUE(x0->ticker().dynamicCast<QCPAxisTickerLog>());
  EXPECT_EQ(x1->scaleType(), QCPAxis::stLinear);
  EXPECT_FALSE(x1->ticker().dynamicCast<QCPAxisTickerLog>());
  // The panel's y bounds are the Figure's (with a sliver of room), not the data's (0.6..0.94).
  const QCPAxis* y0 = view.panelRect(0)->axis(QCPAxis::atLeft);
  EXPECT_NEAR(y0->range().lower, 0.0, 0.03);
  EXPECT_LE(y0->range().lower, 0.0);
  EXPECT_NEAR(y0->range().upper, 1.0, 0.03);
  EXPECT_GE(y0->range().upper, 1.0);
  const auto text = view.panelRect(1)->axis(QCPAxis::atLeft)->ticker().dynamicCast<QCPAxisTickerText>();
  ASSERT_TRUE(text);
  EXPECT_EQ(text->ticks().values(), (QList<QString>{"none", "half", "all"}));
  EXPECT_EQ(x0->label(), QStringLiteral("Model dimension"));
}

TEST(FigureView, HasOneLegendEntryPerSeriesName) {
  FigureView view;
  view.setFigure(testing::widthFigure());
  ASSERT_NE(view.legend(), nullptr);
  std::multiset<QString> names;
  for (int i = 0; i < view.legend()->itemCount(); ++i) {
    auto* item = qobject_cast<QCPPlottableLegendItem*>(view.legend()->item(i));
    ASSERT_NE(item, nullptr);
    names.insert(item->plottable()->name());
  }
  EXPECT_EQ(names, (std::multiset<QString>{"attention", "based", "attention (paper)"}));
}

TEST(FigureView, DrawsReferencesDashedWithHollowMarkersInTheirGroupsColour) {
  FigureView view;
  view.setFigure(testing::widthFigure());
  const QCPGraph* attention = view.seriesGraph(0, 0);
  const QCPGraph* reference = view.seriesGraph(0, 2);
  const QCPGraph* attentionRight = view.seriesGraph(1, 0);
  const QCPGraph* basedRight = view.seriesGraph(1, 1);
  ASSERT_TRUE(attention && reference && attentionRight && basedRight);
  EXPECT_EQ(reference->pen().style(), Qt::DashLine);
  EXPECT_EQ(attention->pen().style(), Qt::SolidLine);
  EXPECT_NE(reference->scatterStyle().brush().color(), reference->pen().color());  // hollow
  EXPECT_EQ(attention->scatterStyle().brush().color(), attention->pen().color());  // filled
  // A group keeps its colour in every panel, and the groups differ.
  EXPECT_EQ(reference->pen().color(), attention->pen().color());
  EXPECT_EQ(attentionRight->pen().color(), attention->pen().color());
  EXPECT_NE(basedRight->pen().color(), attention->pen().color());
  EXPECT_EQ(attention->pen().color(), view.figureStyle().colour(0));
}

TEST(FigureView, TooltipOfAPointIsItsLabel) {
  const Figure figure = testing::widthFigure();
  FigureView view;
  view.setFigure(figure);
  layOut(view);
  for (const auto& [p, s] : std::vector<std::pair<int, int>>{{0, 0}, {0, 1}, {1, 1}}) {
    const FigureSeries& series = figure.panels[static_cast<size_t>(p)].series[static_cast<size_t>(s)];
    const QCPGraph* graph = view.seriesGraph(p, s);
    for (const FigurePoint& point : series.points) {
      const QPointF pixel(graph->keyAxis()->coordToPixel(point.x) + 2.0,
                          graph->valueAxis()->coordToPixel(point.y) - 1.0);
      const FigureView::HoverPoint hover = view.nearestPoint(pixel);
      ASSERT_TRUE(hover.valid) << point.label;
      EXPECT_EQ(view.toolTipText(hover).toStdString(), point.label);
    }
  }
  // Far from every point: nothing.
  const QCPAxisRect* rect = view.panelRect(0);
  EXPECT_FALSE(view.nearestPoint(QPointF(rect->left() + 2, rect->bottom() - 2)).valid);
}

TEST(FigureView, MarksMarkersAndColourScales) {
  Figure figure = testing::widthFigure();
  FigurePanel& panel = figure.panels[1];
  panel.colour_scale_title = "valid/accuracy";
  for (int run = 0; run < 5; ++run) {
    FigureSeries line = testing::makeFigureSeries("run " + std::to_string(run), "", SeriesStyle::Line,
                                                  {testing::makeFigurePoint(64, 0.1 * run, run, ""),
                                                   testing::makeFigurePoint(128, 0.2 * run, run, "")});
    line.colour_value = 0.2 * run;
    panel.series.push_back(line);
  }
  FigureView view;
  view.setFigure(figure);
  ASSERT_NE(view.colourScale(), nullptr);
  EXPECT_EQ(view.colourScale()->axis()->label(), QStringLiteral("valid/accuracy"));
  EXPECT_DOUBLE_EQ(view.colourScale()->dataRange().lower, 0.0);
  EXPECT_DOUBLE_EQ(view.colourScale()->dataRange().upper, 0.8);
  // Colour-valued lines are explained by the scale, not the legend, and differ by value.
  EXPECT_EQ(view.legend()->itemCount(), 3);
  EXPECT_NE(view.seriesGraph(1, 2)->pen().color(), view.seriesGraph(1, 6)->pen().color());
  int markers = 0;
  for (int i = 0; i < view.customPlot()->itemCount(); ++i) {
    if (auto* line = qobject_cast<QCPItemStraightLine*>(view.customPlot()->item(i))) {
      ++markers;
      EXPECT_EQ(line->pen().style(), Qt::DashLine);
      EXPECT_EQ(line->clipAxisRect(), view.panelRect(1));
      EXPECT_DOUBLE_EQ(line->point1->coords().x(), 128.0);
    }
  }
  EXPECT_EQ(markers, 1);
}

TEST(FigureView, ShowsATableFigureInATableView) {
  FigureView view;
  view.setFigure(testing::widthFigure());
  view.setFigure(testing::tableFigure());
  EXPECT_TRUE(view.showsTable());
  EXPECT_EQ(view.panelCount(), 0);
  EXPECT_EQ(view.customPlot()->graphCount(), 0);
  const QAbstractItemModel* model = view.tableView()->model();
  ASSERT_EQ(model->rowCount(), 2);
  ASSERT_EQ(model->columnCount(), 3);
  EXPECT_EQ(model->headerData(1, Qt::Horizontal).toString(), QStringLiteral("64"));
  EXPECT_EQ(model->index(0, 2).data().toString(), QStringLiteral("0.99"));
  EXPECT_EQ(model->index(1, 0).data().toString(), QStringLiteral("based"));
  EXPECT_FALSE(view.notesLabel()->isVisibleTo(&view));
}

TEST(FigureView, CoalescesReplots) {
  FigureView view;
  layOut(view);
  QTest::qWait(FigureView::kReplotIntervalMs + 50);
  const int before = view.replotCount();
  for (int i = 0; i < 20; ++i) {
    view.setFigure(testing::widthFigure());
  }
  EXPECT_EQ(view.replotCount(), before);  // nothing yet: merged into one pending replot
  QTest::qWait(FigureView::kReplotIntervalMs + 100);
  EXPECT_EQ(view.replotCount(), before + 1);
}

TEST(FigureStyle, AppliesItsFontAndPaletteAndRoundTripsThroughSettings) {
  QTemporaryDir dir;
  ASSERT_TRUE(dir.isValid());
  FigureStyle style;
  style.fontFamily = QStringLiteral("DejaVu Serif");
  style.pointSize = 12.0;
  style.lineWidth = 2.5;
  style.markerSize = 9.0;
  style.palette = {QColor("#112233"), QColor("#445566")};
  {
    QSettings settings(dir.filePath("style.ini"), QSettings::IniFormat);
    style.save(settings);
  }
  QSettings settings(dir.filePath("style.ini"), QSettings::IniFormat);
  EXPECT_TRUE(settings.childGroups().contains(QStringLiteral("figureStyle")));
  const FigureStyle loaded = FigureStyle::load(settings);
  EXPECT_EQ(loaded, style);
  // Unusable stored values keep the defaults instead of breaking figures.
  settings.setValue("figureStyle/pointSize", "huge");
  settings.setValue("figureStyle/palette", QStringList{"#112233", "not a colour"});
  const FigureStyle fallback = FigureStyle::load(settings);
  EXPECT_EQ(fallback.pointSize, FigureStyle().pointSize);
  EXPECT_EQ(fallback.palette, FigureStyle().palette);

  FigureView view;
  view.setFigure(testing::widthFigure());
  view.setFigureStyle(loaded);
  const QCPGraph* based = view.seriesGraph(0, 1);
  EXPECT_EQ(based->pen().color(), QColor("#445566"));
  EXPECT_DOUBLE_EQ(based->pen().widthF(), 2.5);
  EXPECT_DOUBLE_EQ(based->scatterStyle().size(), 9.0);
  const QFont label = view.panelRect(0)->axis(QCPAxis::atBottom)->labelFont();
  EXPECT_EQ(label.family(), QStringLiteral("DejaVu Serif"));
  EXPECT_DOUBLE_EQ(label.pointSizeF(), 12.0);
}

}  // namespace
}  // namespace zoolab
