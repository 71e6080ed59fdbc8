// RunTableModel, its filter proxy and the run table widget, fed with hand-written records.

#include <gtest/gtest.h>

#include <QColor>
#include <QIcon>
#include <QImage>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPixmap>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

#include "tests/views/run_fixtures.h"
#include "views/run_colours.h"
#include "views/run_filter_proxy_model.h"
#include "views/run_table_model.h"
#include "views/run_table_view.h"

namespace zoolab {
namespace {

using testing::makeRun;
using testing::makeSummary;

using Summaries = std::vector<std::vector<MetricSummary>>;

QString cell(const QAbstractItemModel& model, int row, int column, int role = Qt::DisplayRole) {
  return model.index(row, column).data(role).toString();
}

// Three runs, newest first as Store::list_runs returns them; parameter counts whose text order
// (1.50 M < 900 < 20.0 K) differs from their numeric order.
std::vector<RunRecord> threeRuns() {
  return {makeRun(3, "based-d64", "based", RunStatus::Running, 20000),
          makeRun(2, "hyena-d64", "hyena", RunStatus::Failed, 900),
          makeRun(1, "attention-d64", "attention", RunStatus::Finished, 1500000)};
}

Summaries threeSummaries() {
  return {{makeSummary("train/loss", 2.5, 2.5)},
          {},
          {makeSummary("valid/accuracy", 0.91, 0.995), makeSummary("valid/loss", 0.0312, 0.0301)}};
}

TEST(RunTableModel, ShowsTheConfigurationProgressDurationTagsAndColour) {
  RunRecord run = makeRun(7, "attention-L64", "attention", RunStatus::Running);
  run.config_json = R"({"model": {"d_model": 128},
      "data": {"train": [{"input_seq_len": 64}, {"input_seq_len": 128}, {"input_seq_len": 64}]},
      "train": {"max_epochs": 8}})";
  run.epochs = 3;
  run.state_size = 4096;
  run.tags = "fig2, baseline";
  run.started_at = "2024-05-01T10:00:00Z";
  RunRecord done = makeRun(8, "done", "base_conv", RunStatus::Finished);
  done.started_at = "2024-05-01T10:00:00Z";
  done.finished_at = "2024-05-01T11:02:30Z";
  done.config_json = "not json";
  done.colour = "#123456";
  RunTableModel model;
  model.setRuns({run, done}, {});

  EXPECT_EQ(cell(model, 0, RunTableModel::ColumnDModel), "128");
  EXPECT_EQ(cell(model, 0, RunTableModel::ColumnSeqLen), "64, 128");
  EXPECT_EQ(cell(model, 0, RunTableModel::ColumnStatus), "running 3/8");
  EXPECT_EQ(cell(model, 0, RunTableModel::ColumnStatus, RunTableModel::SortRole), "running");
  EXPECT_EQ(cell(model, 0, RunTableModel::ColumnStateSize), "4 KiB");  // bytes, in binary units
  EXPECT_EQ(cell(model, 0, RunTableModel::ColumnStateSize, Qt::ToolTipRole),
            QStringLiteral("%1 bytes (%2 floats of 4 bytes)")
                .arg(QLocale().toString(4096), QLocale().toString(1024)));
  EXPECT_EQ(cell(model, 0, RunTableModel::ColumnTags), "fig2, baseline");
  EXPECT_EQ(cell(model, 0, RunTableModel::ColumnTask), "mqar");
  // Running: measured against now, so at least the years since the fixture's start.
  EXPECT_GT(model.index(0, RunTableModel::ColumnDuration).data(RunTableModel::SortRole).toLongLong(), 86400);
  EXPECT_EQ(cell(model, 1, RunTableModel::ColumnDuration), "1h 02m");
  EXPECT_EQ(model.index(1, RunTableModel::ColumnDuration).data(RunTableModel::SortRole).toLongLong(), 3750);
  // An unreadable config leaves its cells empty and the run listed.
  EXPECT_EQ(cell(model, 1, RunTableModel::ColumnDModel), "");
  EXPECT_EQ(cell(model, 1, RunTableModel::ColumnSeqLen), "");

  // Colours: the stored one, else the palette by id; the same in every column and as the name's swatch.
  EXPECT_EQ(model.index(1, RunTableModel::ColumnId).data(RunTableModel::ColourRole).value<QColor>(),
            QColor("#123456"));
  const QColor paletteColour =
      model.index(0, RunTableModel::ColumnTags).data(RunTableModel::ColourRole).value<QColor>();
  EXPECT_EQ(paletteColour, runColour(7, ""));
  // The swatch keeps the run's colour when the row is selected.
  const QIcon swatch = model.index(0, RunTableModel::ColumnName).data(Qt::DecorationRole).value<QIcon>();
  for (const QIcon::Mode mode : {QIcon::Normal, QIcon::Selected}) {
    const QImage image = swatch.pixmap(16, 16, mode).toImage();
    EXPECT_EQ(QColor(image.pixel(8, 8)), paletteColour);
  }
  EXPECT_NE(runColour(7, ""), runColour(8, ""));
  EXPECT_EQ(runColour(7, "not a colour"), runColour(7, ""));
}

TEST(RunTableModel, CountsRowsAndColumns) {
  RunTableModel model;
  EXPECT_EQ(model.rowCount(), 0);
  EXPECT_EQ(model.columnCount(), RunTableModel::ColumnCount);
  EXPECT_EQ(model.columnCount(), 16);

  model.setRuns(threeRuns(), threeSummaries());
  EXPECT_EQ(model.rowCount(), 3);
  // A table: rows have no children.
  EXPECT_EQ(model.rowCount(model.index(0, 0)), 0);
  // Headers name the metric and its aggregate, as added metric columns do.
  EXPECT_EQ(model.headerData(RunTableModel::ColumnValidAccuracy, Qt::Horizontal).toString(),
            "valid/accuracy (best)");
  EXPECT_EQ(model.headerData(RunTableModel::ColumnValidLoss, Qt::Horizontal).toString(), "valid/loss (last)");
}

TEST(RunTableModel, ShowsTheFieldsOfEachRun) {
  RunTableModel model;
  std::vector<RunRecord> runs = threeRuns();
  runs[2].epochs = 12;
  runs[2].steps = 2345;
  model.setRuns(runs, threeSummaries());

  EXPECT_EQ(cell(model, 2, RunTableModel::ColumnId), "1");
  EXPECT_EQ(cell(model, 2, RunTableModel::ColumnName), "attention-d64");
  EXPECT_EQ(cell(model, 2, RunTableModel::ColumnMixer), "attention");
  EXPECT_EQ(cell(model, 2, RunTableModel::ColumnStatus), "finished");
  EXPECT_EQ(cell(model, 2, RunTableModel::ColumnEpochs), "12");
  EXPECT_EQ(model.index(2, RunTableModel::ColumnSteps).data(RunTableModel::SortRole).toLongLong(), 2345);
  EXPECT_EQ(cell(model, 2, RunTableModel::ColumnParameters), "1.50 M");
  EXPECT_EQ(cell(model, 0, RunTableModel::ColumnParameters), "20.0 K");
  EXPECT_EQ(cell(model, 1, RunTableModel::ColumnParameters), "900");
  // Best valid accuracy (not the last one), last valid loss (not the best one).
  EXPECT_EQ(cell(model, 2, RunTableModel::ColumnValidAccuracy), "0.995");
  EXPECT_EQ(cell(model, 2, RunTableModel::ColumnValidLoss), "0.0312");
  EXPECT_DOUBLE_EQ(
      model.index(2, RunTableModel::ColumnValidAccuracy).data(RunTableModel::SortRole).toDouble(), 0.995);
  EXPECT_FALSE(cell(model, 2, RunTableModel::ColumnCreated).isEmpty());
  EXPECT_EQ(model.index(1, RunTableModel::ColumnName).data(RunTableModel::RunIdRole).toLongLong(), 2);
}

TEST(RunTableModel, LeavesUnmeasuredMetricsEmpty) {
  RunTableModel model;
  model.setRuns(threeRuns(), threeSummaries());
  // Run 3 has only a train loss, run 2 no summary at all; missing summaries count as none.
  EXPECT_EQ(cell(model, 0, RunTableModel::ColumnValidAccuracy), "");
  EXPECT_EQ(cell(model, 1, RunTableModel::ColumnValidLoss), "");
  EXPECT_FALSE(model.index(1, RunTableModel::ColumnValidAccuracy).data(RunTableModel::SortRole).isValid());

  model.setRuns(threeRuns(), {});
  EXPECT_EQ(model.rowCount(), 3);
  EXPECT_EQ(cell(model, 2, RunTableModel::ColumnValidAccuracy), "");
}

TEST(RunTableModel, ColoursStatusText) {
  RunTableModel model;
  std::vector<RunRecord> runs = threeRuns();
  runs.push_back(makeRun(4, "rwkv", "rwkv", RunStatus::Diverged));
  model.setRuns(runs, {});
  const auto colour = [&](int row) {
    return model.index(row, RunTableModel::ColumnStatus).data(Qt::ForegroundRole).value<QColor>();
  };
  const QColor running = colour(0);
  const QColor failed = colour(1);
  const QColor finished = colour(2);
  const QColor diverged = colour(3);
  EXPECT_GT(running.blue(), running.red());
  EXPECT_GT(failed.red(), failed.green());
  EXPECT_GT(finished.green(), finished.red());
  EXPECT_EQ(diverged, failed);
  // Only the status column is coloured.
  EXPECT_FALSE(model.index(0, RunTableModel::ColumnName).data(Qt::ForegroundRole).isValid());
}

TEST(RunTableModel, SortsParametersAsNumbers) {
  RunTableModel model;
  model.setRuns(threeRuns(), threeSummaries());
  RunFilterProxyModel proxy;
  proxy.setSourceModel(&model);

  proxy.sort(RunTableModel::ColumnParameters, Qt::AscendingOrder);
  EXPECT_EQ(cell(proxy, 0, RunTableModel::ColumnParameters), "900");
  EXPECT_EQ(cell(proxy, 1, RunTableModel::ColumnParameters), "20.0 K");
  EXPECT_EQ(cell(proxy, 2, RunTableModel::ColumnParameters), "1.50 M");

  proxy.sort(RunTableModel::ColumnParameters, Qt::DescendingOrder);
  EXPECT_EQ(cell(proxy, 0, RunTableModel::ColumnName), "attention-d64");
}

TEST(RunTableModel, SetRunsWithTheSameIdsUpdatesRowsInPlace) {
  RunTableModel model;
  model.setRuns(threeRuns(), threeSummaries());
  QItemSelectionModel selection(&model);
  selection.select(model.index(1, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);

  QSignalSpy aboutToReset(&model, &QAbstractItemModel::modelAboutToBeReset);
  QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
  QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);

  std::vector<RunRecord> runs = threeRuns();
  runs[0].steps = 500;  // the running run made progress
  model.setRuns(runs, threeSummaries());

  EXPECT_EQ(aboutToReset.count(), 0);
  EXPECT_EQ(reset.count(), 0);
  ASSERT_EQ(changed.count(), 1);
  // Only the row that changed, across all columns.
  EXPECT_EQ(changed.at(0).at(0).toModelIndex(), model.index(0, 0));
  EXPECT_EQ(changed.at(0).at(1).toModelIndex(), model.index(0, RunTableModel::ColumnCount - 1));
  EXPECT_EQ(model.index(0, RunTableModel::ColumnSteps).data(RunTableModel::SortRole).toLongLong(), 500);
  EXPECT_TRUE(selection.isRowSelected(1, QModelIndex()));

  // Nothing changed: nothing announced.
  model.setRuns(runs, threeSummaries());
  EXPECT_EQ(changed.count(), 1);
}

TEST(RunTableModel, SetRunsWithNewIdsResets) {
  RunTableModel model;
  model.setRuns(threeRuns(), threeSummaries());
  QSignalSpy reset(&model, &QAbstractItemModel::modelReset);

  std::vector<RunRecord> runs = threeRuns();
  runs.insert(runs.begin(), makeRun(4, "h3-d64", "h3", RunStatus::Queued));
  model.setRuns(runs, {});
  EXPECT_EQ(reset.count(), 1);
  EXPECT_EQ(model.rowCount(), 4);
  EXPECT_EQ(model.rowOfRun(4), 0);
  EXPECT_EQ(model.rowOfRun(1), 3);
  EXPECT_EQ(model.rowOfRun(99), -1);
}

TEST(RunFilterProxyModel, MatchesEveryWordInNameMixerOrStatus) {
  RunTableModel model;
  model.setRuns(threeRuns(), threeSummaries());
  RunFilterProxyModel proxy;
  proxy.setSourceModel(&model);

  proxy.setFilterText("HYENA");
  ASSERT_EQ(proxy.rowCount(), 1);
  EXPECT_EQ(cell(proxy, 0, RunTableModel::ColumnId), "2");

  proxy.setFilterText("fin");  // status
  ASSERT_EQ(proxy.rowCount(), 1);
  EXPECT_EQ(cell(proxy, 0, RunTableModel::ColumnName), "attention-d64");

  proxy.setFilterText("d64 running");  // name and status
  ASSERT_EQ(proxy.rowCount(), 1);
  EXPECT_EQ(cell(proxy, 0, RunTableModel::ColumnMixer), "based");

  proxy.setFilterText("mamba");
  EXPECT_EQ(proxy.rowCount(), 0);
  proxy.setFilterText("  ");
  EXPECT_EQ(proxy.rowCount(), 3);
}

TEST(RunTableView, EmitsRunActivatedOnDoubleClick) {
  RunTableModel model;
  model.setRuns(threeRuns(), threeSummaries());
  RunTableView view(&model);
  view.resize(900, 300);
  view.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&view));
  QSignalSpy activated(&view, &RunTableView::runActivated);

  // Newest first by default: row 0 is run 3.
  QTableView* table = view.tableView();
  const QRect rect = table->visualRect(table->model()->index(0, RunTableModel::ColumnName));
  QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, rect.center());
  QTest::mouseDClick(table->viewport(), Qt::LeftButton, {}, rect.center());
  ASSERT_EQ(activated.count(), 1);
  EXPECT_EQ(activated.at(0).at(0).toLongLong(), 3);
}

TEST(RunTableView, FiltersFromTheLineEdit) {
  RunTableModel model;
  model.setRuns(threeRuns(), threeSummaries());
  RunTableView view(&model);
  view.filterEdit()->setText("attention");
  EXPECT_EQ(view.tableView()->model()->rowCount(), 1);
  view.filterEdit()->clear();
  EXPECT_EQ(view.tableView()->model()->rowCount(), 3);
}

TEST(RunTableView, ExplainsAnEmptyTable) {
  RunTableModel model;
  RunTableView view(&model);
  view.setEmptyText("No runs yet");
  auto* label = view.tableView()->viewport()->findChild<QLabel*>();
  ASSERT_NE(label, nullptr);
  EXPECT_FALSE(label->isHidden());
  EXPECT_EQ(label->text(), "No runs yet");

  model.setRuns(threeRuns(), threeSummaries());
  EXPECT_TRUE(label->isHidden());

  // Typed one letter at a time, as a user does: the text follows the whole filter.
  for (const char* text : {"m", "ma", "mamba"}) {
    view.filterEdit()->setText(text);
  }
  EXPECT_FALSE(label->isHidden());
  EXPECT_TRUE(label->text().contains("mamba"));
  view.filterEdit()->clear();
  EXPECT_TRUE(label->isHidden());
}

TEST(RunTableView, KeepsTheSelectionWhenARunAppears) {
  RunTableModel model;
  model.setRuns(threeRuns(), threeSummaries());
  RunTableView view(&model);
  ASSERT_TRUE(view.selectRun(2));

  std::vector<RunRecord> runs = threeRuns();
  runs.insert(runs.begin(), makeRun(4, "h3-d64", "h3", RunStatus::Queued));
  model.setRuns(runs, {});  // a reset
  EXPECT_EQ(view.selectedRunIds(), QList<qint64>{2});
  EXPECT_EQ(view.tableView()->currentIndex().data(RunTableModel::RunIdRole).toLongLong(), 2);
}

TEST(RunTableView, RestoresItsHeaderStateOnlyForTheSameColumns) {
  RunTableModel model;
  model.setRuns(threeRuns(), threeSummaries());
  RunTableView view(&model);
  view.tableView()->sortByColumn(RunTableModel::ColumnParameters, Qt::AscendingOrder);
  const QByteArray state = view.saveHeaderState();

  RunTableView restored(&model);
  EXPECT_TRUE(restored.restoreHeaderState(state));
  EXPECT_EQ(cell(*restored.tableView()->model(), 0, RunTableModel::ColumnParameters), "900");
  EXPECT_FALSE(restored.restoreHeaderState(QByteArray("not a header state")));
  EXPECT_FALSE(restored.restoreHeaderState(QByteArray()));
}

}  // namespace
}  // namespace zoolab
