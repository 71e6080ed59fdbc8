// The Dashboards tab's choosers that feed DashboardOptions: error bars (std, min–max, none) for every
// dashboard of seed groups, and the task definition, listed from the figure and shown only when there is
// a choice; the pivot table's path boxes are wide enough for a path before any run was read.

#include <gtest/gtest.h>

#include <QComboBox>
#include <QCoreApplication>
#include <QLineEdit>
#include <QSignalSpy>

#include "tests/views/figure_fixtures.h"
#include "views/dashboard_view.h"
#include "views/figure_view.h"

namespace zoolab {
namespace {

TEST(DashboardChoosers, ErrorBarsFeedTheOptionsAndHideWhereNoPointIsAGroup) {
  DashboardView view;
  view.resize(1200, 700);
  view.show();
  auto* combo = view.findChild<QComboBox*>(QStringLiteral("errorBarsCombo"));
  ASSERT_NE(combo, nullptr);
  EXPECT_EQ(view.options().error_bars, "std");  // the engine's default
  QStringList shown;
  for (int i = 0; i < combo->count(); ++i) {
    shown.append(combo->itemText(i));
  }
  EXPECT_EQ(shown, (QStringList{"std", "min–max", "none"}));
  EXPECT_TRUE(view.setErrorBars(QStringLiteral("minmax")));
  EXPECT_EQ(view.options().error_bars, "minmax");
  EXPECT_EQ(combo->currentText(), QStringLiteral("min–max"));
  EXPECT_FALSE(view.setErrorBars(QStringLiteral("sem")));
  EXPECT_EQ(view.errorBars(), QStringLiteral("minmax"));
  combo->setCurrentIndex(2);
  EXPECT_EQ(view.options().error_bars, "none");

  ASSERT_TRUE(view.setDashboard(QStringLiteral("accuracy-vs-width")));
  EXPECT_TRUE(combo->isVisibleTo(&view));
  ASSERT_TRUE(view.setDashboard(QStringLiteral("pivot-table")));
  EXPECT_FALSE(combo->isVisibleTo(&view));
  ASSERT_TRUE(view.setDashboard(QStringLiteral("parallel-coordinates")));
  EXPECT_FALSE(combo->isVisibleTo(&view));
}

TEST(DashboardChoosers, TaskDefinitionsAreListedWithTheirRunsAndOnlyShownWhenThereIsAChoice) {
  DashboardView view;
  view.resize(1200, 700);
  view.show();
  auto* combo = view.findChild<QComboBox*>(QStringLiteral("taskDefinitionCombo"));
  ASSERT_NE(combo, nullptr);
  EXPECT_FALSE(combo->isVisibleTo(&view));
  EXPECT_EQ(view.options().task_definition, "");  // the engine's default: the one with most runs

  Figure figure = testing::widthFigure();
  FigureTaskDefinition small;
  small.key = "k-small";
  small.label = "mqar L=64 kv=4 V=8192, 64 epochs";
  small.runs = 1;
  FigureTaskDefinition large;
  large.key = "k-large";
  large.label = "mqar L=256 kv=16 V=8192, 64 epochs";
  large.runs = 12;
  figure.task_definitions = {large, small};
  figure.task_definition = "k-large";
  view.showFigure(figure);
  EXPECT_TRUE(combo->isVisibleTo(&view));
  ASSERT_EQ(combo->count(), 2);
  EXPECT_EQ(combo->itemText(0), QStringLiteral("mqar L=256 kv=16 V=8192, 64 epochs (12 runs)"));
  EXPECT_EQ(combo->itemText(1), QStringLiteral("mqar L=64 kv=4 V=8192, 64 epochs (1 run)"));
  EXPECT_EQ(combo->currentIndex(), 0);  // the one plotted

  combo->setCurrentIndex(1);
  Q_EMIT combo->activated(1);  // as the user's choice
  EXPECT_EQ(view.options().task_definition, "k-small");

  // A single definition is no choice.
  figure.task_definitions = {large};
  view.showFigure(figure);
  EXPECT_FALSE(combo->isVisibleTo(&view));
  // ... and a choice no longer among the figure's falls back to the default.
  EXPECT_EQ(view.options().task_definition, "");
}

TEST(DashboardChoosers, AnotherDashboardStartsFromItsDefaultTaskDefinition) {
  DashboardView view;
  view.resize(1200, 700);
  view.show();
  ASSERT_TRUE(view.setDashboard(QStringLiteral("accuracy-vs-width")));
  Figure figure = testing::widthFigure();
  FigureTaskDefinition first;
  first.key = "k-first";
  first.label = "mqar V=8192, 64 epochs";
  first.runs = 4;
  FigureTaskDefinition second = first;
  second.key = "k-second";
  second.label = "mqar V=256, 3 epochs";
  figure.task_definitions = {first, second};
  figure.task_definition = "k-first";
  view.showFigure(figure);
  auto* combo = view.findChild<QComboBox*>(QStringLiteral("taskDefinitionCombo"));
  ASSERT_NE(combo, nullptr);
  combo->setCurrentIndex(1);
  Q_EMIT combo->activated(1);
  EXPECT_EQ(view.options().task_definition, "k-second");
  // Keys are each dashboard's own: the state-size dashboard must not be asked for the width one's.
  ASSERT_TRUE(view.setDashboard(QStringLiteral("accuracy-vs-state-size")));
  EXPECT_EQ(view.options().task_definition, "");
}

TEST(DashboardChoosers, ThePivotCellOffersTheSeedGroup) {
  DashboardView view;
  ASSERT_TRUE(view.setDashboard(QStringLiteral("pivot-table")));
  auto* combo = view.findChild<QComboBox*>(QStringLiteral("pivotCellCombo"));
  ASSERT_NE(combo, nullptr);
  const int group = combo->findText(QStringLiteral("group"));
  ASSERT_GE(group, 0);
  combo->setCurrentIndex(group);
  EXPECT_EQ(view.options().cell, "group");
}

TEST(DashboardChoosers, PivotPathBoxesFitAPathBeforeAnyRunIsRead) {
  DashboardView view;
  view.resize(900, 600);
  ASSERT_TRUE(view.setDashboard(QStringLiteral("pivot-table")));
  view.show();
  QCoreApplication::processEvents();
  for (const char* name : {"pivotRowsCombo", "pivotColumnsCombo"}) {
    auto* combo = view.findChild<QComboBox*>(QString::fromLatin1(name));
    ASSERT_NE(combo, nullptr);
    ASSERT_TRUE(combo->isVisibleTo(&view));
    const QLineEdit* edit = combo->lineEdit();
    const int needed = edit->fontMetrics().horizontalAdvance(QStringLiteral("model.d_model"));
    EXPECT_GE(edit->width(), needed) << name;
  }
}

}  // namespace
}  // namespace zoolab
