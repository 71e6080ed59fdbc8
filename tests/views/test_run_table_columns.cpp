// The run table's columns of any field (added, labelled, sorted as numbers, saved with the header), its
// text-run cells, its state sizes, the query filter's errors and selection, and the frozen ID and Name.

#include <gtest/gtest.h>

#include <QApplication>
#include <QCompleter>
#include <QDialog>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QScrollBar>
#include <QStringListModel>
#include <QTableView>
#include <QTest>
#include <QTimer>

#include "tests/views/run_fixtures.h"
#include "views/number_text.h"
#include "views/run_column_menu.h"
#include "views/run_filter_proxy_model.h"
#include "views/run_table_model.h"
#include "views/run_table_view.h"

namespace zoolab {
namespace {

using testing::makeRun;
using testing::makeSummary;

QString cell(const QAbstractItemModel& model, int row, int column, int role = Qt::DisplayRole) {
  return model.index(row, column).data(role).toString();
}

RunRecord mqarRun(int64_t id, const std::string& name, int64_t dModel, double lr, int64_t kv) {
  RunRecord run = makeRun(id, name, "attention");
  run.config_json =
      QStringLiteral(
          R"({"model": {"d_model": %1, "sequence_mixer": {"name": "attention", "kwargs": {"num_heads": 2}}},
          "data": {"train": [{"input_seq_len": 64, "num_kv_pairs": %3}]}, "train": {"learning_rate": %2}})")
          .arg(dModel)
          .arg(lr)
          .arg(kv)
          .toStdString();
  return run;
}

// Newest first: d_model 1024, 64, 512 (text order 1024 < 512 < 64 differs from numeric order).
void feed(RunTableModel& model) {
  model.setRuns(
      {mqarRun(3, "c", 1024, 0.001, 8), mqarRun(2, "b", 64, 0.01, 4), mqarRun(1, "a", 512, 0.0003, 16)},
      {{makeSummary("valid/accuracy", 0.9, 0.99)}, {}, {makeSummary("valid/accuracy", 0.5, 0.7)}});
}

TEST(RunTableColumns, AddsAConfigurationPathThatSortsAsNumbers) {
  RunTableModel model;
  feed(model);
  ASSERT_TRUE(model.addColumn("model.d_model"));
  const int column = RunTableModel::ColumnCount;
  EXPECT_EQ(model.columnCount(), column + 1);
  EXPECT_TRUE(model.isAddedColumn(column));
  EXPECT_FALSE(model.isAddedColumn(RunTableModel::ColumnName));
  EXPECT_EQ(model.headerData(column, Qt::Horizontal).toString(), "model.d_model");
  EXPECT_EQ(cell(model, 0, column), "1024");

  RunFilterProxyModel proxy;
  proxy.setSourceModel(&model);
  proxy.sort(column, Qt::AscendingOrder);
  EXPECT_EQ(cell(proxy, 0, column), "64");
  EXPECT_EQ(cell(proxy, 1, column), "512");
  EXPECT_EQ(cell(proxy, 2, column), "1024");

  // Shown already, or not a field: refused with the reason.
  QString error;
  EXPECT_FALSE(model.addColumn("model.d_model", &error));
  EXPECT_TRUE(error.contains("shown already")) << error.toStdString();
  EXPECT_FALSE(model.addColumn("mean(valid/loss)", &error));
  EXPECT_TRUE(error.startsWith("column 1: expected last, best, min or max")) << error.toStdString();
  EXPECT_EQ(model.columnCount(), column + 1);
}

TEST(RunTableColumns, MetricColumnsNameTheirAggregate) {
  RunTableModel model;
  feed(model);
  ASSERT_TRUE(model.addColumn("last(valid/accuracy)"));
  ASSERT_TRUE(model.addColumn("best(valid/accuracy)"));
  const int last = RunTableModel::ColumnCount;
  EXPECT_EQ(model.headerData(last, Qt::Horizontal).toString(), "valid/accuracy (last)");
  EXPECT_EQ(model.headerData(last + 1, Qt::Horizontal).toString(), "valid/accuracy (best)");
  EXPECT_EQ(cell(model, 0, last), "0.9000");
  EXPECT_EQ(cell(model, 0, last + 1), "0.9900");
  // A run without the metric: an empty cell, sorted last.
  EXPECT_EQ(cell(model, 1, last), "");
  EXPECT_FALSE(model.index(1, last).data(RunTableModel::SortRole).isValid());
  EXPECT_EQ(model.addedColumns(), (QStringList{"last(valid/accuracy)", "best(valid/accuracy)"}));

  model.removeAddedColumn(last);
  EXPECT_EQ(model.addedColumns(), QStringList{"best(valid/accuracy)"});
  model.setAddedColumns({"lr", "kv", "not a field("});
  EXPECT_EQ(model.addedColumns(), (QStringList{"lr", "kv"}));  // the one that does not parse is dropped
  EXPECT_EQ(cell(model, 1, RunTableModel::ColumnCount), "0.01");
}

TEST(RunTableColumns, ListsThePathsAndMetricsOfTheRuns) {
  RunTableModel model;
  feed(model);
  EXPECT_EQ(model.configPaths(), (QStringList{"data.train.0.input_seq_len", "data.train.0.num_kv_pairs",
                                              "model.d_model", "model.sequence_mixer.kwargs.num_heads",
                                              "model.sequence_mixer.name", "train.learning_rate"}));
  EXPECT_EQ(model.metricKeys(), QStringList{"valid/accuracy"});

  // The header menu offers them, and its actions add the column.
  QMenu menu;
  addRunColumnActions(&menu, &model, RunTableModel::ColumnName, nullptr);
  QAction* dModel = nullptr;
  QAction* best = nullptr;
  for (QAction* action : menu.findChildren<QAction*>()) {
    if (action->text() == "d_model" && action->parent() != &menu) {
      dModel = action;
    }
    if (action->text() == "best") {
      best = action;
    }
  }
  ASSERT_NE(dModel, nullptr);
  ASSERT_NE(best, nullptr);
  dModel->trigger();
  best->trigger();
  EXPECT_EQ(model.addedColumns(), (QStringList{"model.d_model", "best(valid/accuracy)"}));

  // Over an added column the menu removes it.
  QMenu overAdded;
  addRunColumnActions(&overAdded, &model, RunTableModel::ColumnCount, nullptr);
  QAction* remove = nullptr;
  for (QAction* action : overAdded.actions()) {
    if (action->text() == QStringLiteral("Remove column “model.d_model”")) {
      remove = action;
    }
  }
  ASSERT_NE(remove, nullptr);
  remove->trigger();
  EXPECT_EQ(model.addedColumns(), QStringList{"best(valid/accuracy)"});
}

TEST(RunTableColumns, TheFieldDialogChecksWhatIsTypedAndAddsTheColumn) {
  RunTableModel model;
  feed(model);
  bool sawError = false;
  QTimer::singleShot(0, [&] {
    auto* dialog = qobject_cast<QDialog*>(QApplication::activeModalWidget());
    ASSERT_NE(dialog, nullptr);
    auto* edit = dialog->findChild<QLineEdit*>();
    auto* buttons = dialog->findChild<QDialogButtonBox*>();
    ASSERT_NE(edit, nullptr);
    // The completer offers the runs' paths and metric fields.
    const QStringList offered = qobject_cast<QStringListModel*>(edit->completer()->model())->stringList();
    EXPECT_TRUE(offered.contains("model.sequence_mixer.kwargs.num_heads"));
    EXPECT_TRUE(offered.contains("best(valid/accuracy)"));
    edit->setText("avg(valid/accuracy)");
    buttons->button(QDialogButtonBox::Ok)->click();
    for (QLabel* label : dialog->findChildren<QLabel*>()) {
      sawError =
          sawError || (label->isVisibleTo(dialog) && label->text().startsWith("column 1: expected last"));
    }
    EXPECT_TRUE(dialog->isVisible());  // stays open on an error
    edit->setText("model.sequence_mixer.kwargs.num_heads");
    buttons->button(QDialogButtonBox::Ok)->click();
  });
  askForRunColumn(&model, nullptr);
  EXPECT_TRUE(sawError);
  EXPECT_EQ(model.addedColumns(), QStringList{"model.sequence_mixer.kwargs.num_heads"});
  EXPECT_EQ(cell(model, 0, RunTableModel::ColumnCount), "2");
}

TEST(RunTableColumns, TheHeaderStateKeepsAddedColumns) {
  RunTableModel model;
  feed(model);
  model.addColumn("model.d_model");
  RunTableView view(&model);
  view.tableView()->sortByColumn(RunTableModel::ColumnCount, Qt::AscendingOrder);
  const QByteArray state = view.saveHeaderState();

  // A new session: the columns first (Settings), then the header state that counts them.
  RunTableModel restoredModel;
  feed(restoredModel);
  RunTableView restored(&restoredModel);
  EXPECT_FALSE(restored.restoreHeaderState(state));  // without the added column, the state does not fit
  restoredModel.setAddedColumns(model.addedColumns());
  EXPECT_TRUE(restored.restoreHeaderState(state));
  EXPECT_EQ(restored.tableView()->horizontalHeader()->sortIndicatorSection(), RunTableModel::ColumnCount);
  EXPECT_EQ(cell(*restored.tableView()->model(), 0, RunTableModel::ColumnCount), "64");
}

TEST(RunTableColumns, APollWithTheSameRunsKeepsWhatTheFilterAndColumnsRead) {
  RunTableModel model;
  feed(model);
  model.addColumn("kv");
  RunFilterProxyModel proxy;
  proxy.setSourceModel(&model);
  proxy.setFilterText("d_model>=512 kv>=8");
  EXPECT_EQ(proxy.rowCount(), 2);
  // The same runs again (the parsed configurations are reused), then with a sweep named.
  feed(model);
  feed(model);
  EXPECT_EQ(proxy.rowCount(), 2);
  EXPECT_EQ(cell(model, 2, RunTableModel::ColumnCount), "16");
  EXPECT_EQ(model.facts(2).config["model"]["d_model"], 512);
  EXPECT_EQ(model.configPaths().size(), 6);

  proxy.setFilterText("sweep:fig2");
  EXPECT_EQ(proxy.rowCount(), 0);
  std::vector<RunRecord> runs = {mqarRun(3, "c", 1024, 0.001, 8), mqarRun(2, "b", 64, 0.01, 4),
                                 mqarRun(1, "a", 512, 0.0003, 16)};
  runs[1].sweep_id = 7;
  model.setRuns(runs, {});
  EXPECT_EQ(proxy.rowCount(), 0);
  model.setSweepNames(QMap<qint64, QString>{{7, QStringLiteral("fig2")}});  // the poller names it later
  ASSERT_EQ(proxy.rowCount(), 1);
  EXPECT_EQ(cell(proxy, 0, RunTableModel::ColumnName), "b");
}

TEST(RunTableColumns, TextRunsShowTheirContextLengthAndStepBudget) {
  RunRecord run = makeRun(1, "text-gpt", "attention", RunStatus::Running);
  run.task = "text";
  run.epochs = 4;  // validations
  run.steps = 1200;
  run.config_json = R"({"data": {"task": "text", "batch_size": [8, 8],
      "text": {"context_length": 512, "train_tokens": 8192000}}, "train": {"max_epochs": 1}})";
  RunTableModel model;
  model.setRuns({run}, {});
  EXPECT_EQ(cell(model, 0, RunTableModel::ColumnSeqLen), "512");
  EXPECT_EQ(cell(model, 0, RunTableModel::ColumnEpochs), "");  // validations are not epochs
  EXPECT_EQ(cell(model, 0, RunTableModel::ColumnSteps),
            QStringLiteral("%1 / %2").arg(QLocale().toString(1200), QLocale().toString(2000)));
  EXPECT_EQ(model.index(0, RunTableModel::ColumnSteps).data(RunTableModel::SortRole).toLongLong(), 1200);
  EXPECT_EQ(cell(model, 0, RunTableModel::ColumnStatus), "running 60%");
}

TEST(RunTableColumns, StateSizesAreBytesInBinaryUnits) {
  EXPECT_EQ(formatBytes(0), "0 B");
  EXPECT_EQ(formatBytes(512), "512 B");
  EXPECT_EQ(formatBytes(1023), "1023 B");
  EXPECT_EQ(formatBytes(1024), "1 KiB");
  EXPECT_EQ(formatBytes(65536), "64 KiB");
  EXPECT_EQ(formatBytes(1536), "1.50 KiB");
  EXPECT_EQ(formatBytes(1572864), "1.50 MiB");
  EXPECT_EQ(formatBytes(1024 * 1024 - 1), "1.00 MiB");  // not "1024 KiB"
  EXPECT_EQ(formatBytes(int64_t{3} << 30), "3 GiB");
  EXPECT_EQ(formatBytes(-1), "—");
}

TEST(RunTableColumns, LongNamesAreElidedInTheMiddleAndWholeInTheTooltip) {
  const std::string name = "mamba2-d256-L512-kv64-lr0.0003-wd0.1-seed5-fig2-ablation-with-a-very-long-name";
  RunTableModel model;
  model.setRuns({makeRun(1, name, "mamba2")}, {});
  EXPECT_TRUE(
      cell(model, 0, RunTableModel::ColumnName, Qt::ToolTipRole).startsWith(QString::fromStdString(name)));
  RunTableView view(&model);
  EXPECT_EQ(view.tableView()->textElideMode(), Qt::ElideMiddle);
  EXPECT_EQ(view.frozenView()->textElideMode(), Qt::ElideMiddle);
}

TEST(RunTableColumns, IdAndNameStayInViewWhenScrollingRight) {
  RunTableModel model;
  std::vector<RunRecord> runs;
  for (int id = 40; id >= 1; --id) {
    runs.push_back(mqarRun(id, "run-" + std::to_string(id), 64, 0.001, 4));
  }
  model.setRuns(runs, {});
  for (const char* field : {"model.d_model", "lr", "kv", "model.sequence_mixer.kwargs.num_heads"}) {
    model.addColumn(field);
  }
  RunTableView view(&model);
  view.resize(500, 300);
  view.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&view));
  QTableView* frozen = view.frozenView();
  QTableView* table = view.tableView();
  ASSERT_TRUE(frozen->isVisible());
  // Only ID and Name, at the table's widths, over the table's left edge.
  for (int column = 0; column < model.columnCount(); ++column) {
    const bool shown = column == RunTableModel::ColumnId || column == RunTableModel::ColumnName;
    EXPECT_EQ(frozen->isColumnHidden(column), !shown) << column;
  }
  EXPECT_EQ(frozen->width(),
            table->columnWidth(RunTableModel::ColumnId) + table->columnWidth(RunTableModel::ColumnName));
  EXPECT_EQ(frozen->selectionModel(), table->selectionModel());

  // Scrolled right, the table's own Name cell is under the overlay and the overlay still shows it.
  table->horizontalScrollBar()->setValue(table->horizontalScrollBar()->maximum());
  ASSERT_GT(table->horizontalScrollBar()->maximum(), 0);
  const QRect name = frozen->visualRect(frozen->model()->index(0, RunTableModel::ColumnName));
  EXPECT_GE(name.left(), 0);
  EXPECT_LE(name.right(), frozen->viewport()->width());
  // And scrolled down, the overlay follows the rows.
  table->verticalScrollBar()->setValue(table->verticalScrollBar()->maximum());
  EXPECT_EQ(frozen->verticalScrollBar()->value(), table->verticalScrollBar()->value());

  // A click on the overlay selects the run in the one shared selection.
  frozen->verticalScrollBar()->setValue(0);
  const QRect first = frozen->visualRect(frozen->model()->index(0, RunTableModel::ColumnName));
  QTest::mouseClick(frozen->viewport(), Qt::LeftButton, {}, first.center());
  EXPECT_EQ(view.selectedRunIds(), QList<qint64>{40});
  // Dragging Name to another place puts it back: the overlay covers the first two columns.
  QHeaderView* header = table->horizontalHeader();
  header->moveSection(header->visualIndex(RunTableModel::ColumnName), 5);
  EXPECT_EQ(header->visualIndex(RunTableModel::ColumnName), 1);
  EXPECT_EQ(header->visualIndex(RunTableModel::ColumnId), 0);
}

TEST(RunTableColumns, AnInvalidFilterKeepsTheLastValidOneAndSaysWhy) {
  RunTableModel model;
  feed(model);
  RunTableView view(&model);
  view.resize(700, 300);
  view.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&view));
  QAbstractItemModel* shown = view.tableView()->model();

  view.filterEdit()->setText("d_model>=512");
  EXPECT_EQ(shown->rowCount(), 2);
  EXPECT_TRUE(view.filterErrorLabel()->isHidden());

  // Typing on: "d_model>=512 or" does not parse; the table keeps the two runs and the box says why.
  view.filterEdit()->setText("d_model>=512 or");
  EXPECT_EQ(shown->rowCount(), 2);
  EXPECT_FALSE(view.filterErrorLabel()->isHidden());
  EXPECT_TRUE(view.filterErrorLabel()->text().startsWith("column 16: expected a term after 'or'"))
      << view.filterErrorLabel()->text().toStdString();
  EXPECT_TRUE(view.filterEdit()->toolTip().contains("column 16"))
      << view.filterEdit()->toolTip().toStdString();
  EXPECT_TRUE(view.filterEdit()->styleSheet().contains("border"));

  view.filterEdit()->setText("d_model>=512 or lr>0.005");
  EXPECT_EQ(shown->rowCount(), 3);
  EXPECT_TRUE(view.filterErrorLabel()->isHidden());
  EXPECT_TRUE(view.filterEdit()->styleSheet().isEmpty());
}

TEST(RunTableColumns, FilteringKeepsTheSelectionOfTheRunsStillShown) {
  RunTableModel model;
  feed(model);
  RunTableView view(&model);
  QItemSelectionModel* selection = view.tableView()->selectionModel();
  for (int row = 0; row < 3; ++row) {
    selection->select(view.tableView()->model()->index(row, 0),
                      QItemSelectionModel::Select | QItemSelectionModel::Rows);
  }
  ASSERT_EQ(view.selectedRunIds().size(), 3);
  view.filterEdit()->setText("d_model>=512");  // hides run 2
  EXPECT_EQ(view.selectedRunIds(), (QList<qint64>{3, 1}));
  view.filterEdit()->setText("d_model>=512 and");  // invalid: nothing changes
  EXPECT_EQ(view.selectedRunIds(), (QList<qint64>{3, 1}));
  view.filterEdit()->setText("lr>=0.001");  // hides run 1, shows run 2 again (not selected: it was hidden)
  EXPECT_EQ(view.selectedRunIds(), QList<qint64>{3});
}

}  // namespace
}  // namespace zoolab
