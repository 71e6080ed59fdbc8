#pragma once

// The run table as a Qt item model: one row per run of the database, over the engine's plain records
// (engine/store/records.h). It is not a view and does not read the database: DatabasePoller (or a test)
// feeds it through setRuns(), so the same model can back the table, a sidebar and the inspector.

#include <optional>
#include <vector>

#include <QAbstractTableModel>
#include <QColor>

#include "engine/store/records.h"

namespace zoolab {

class RunTableModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column {
    ColumnId,
    ColumnName,  // with the run's colour as a swatch
    ColumnTask,
    ColumnMixer,
    ColumnDModel,
    ColumnSeqLen,  // the train segments' input_seq_len values, "64, 128"
    ColumnStatus,  // with progress while running: "running 3/8"
    ColumnEpochs,
    ColumnSteps,
    ColumnValidAccuracy,  // best "valid/accuracy" so far
    ColumnValidLoss,      // last "valid/loss"
    ColumnParameters,
    ColumnStateSize,
    ColumnDuration,  // started → finished, or → now while running
    ColumnTags,
    ColumnCreated,
    ColumnCount
  };

  enum Role {
    // Numbers for numeric columns (text sorting would put 900 after 10,000), seconds since the epoch
    // for Created, an invalid QVariant for a metric not measured yet (sorted last).
    SortRole = Qt::UserRole + 1,
    // The run id of the row, in every column: views map their selection to runs with it.
    RunIdRole,
    // The run's QColor (runColour), in every column: curves and dashboards draw the run in it.
    ColourRole,
  };

  explicit RunTableModel(QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = QModelIndex()) const override;
  int columnCount(const QModelIndex& parent = QModelIndex()) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

  // summaries[i] belongs to runs[i] (Store::summary); missing entries count as "no metrics yet".
  // When the ids are the same as before, in the same order, changed rows are updated in place
  // (dataChanged), so selection, current index and scroll position survive every poll. Otherwise
  // (a run created or deleted) the model is reset.
  void setRuns(const std::vector<RunRecord>& runs, const std::vector<std::vector<MetricSummary>>& summaries);

  // Precondition: 0 <= row < rowCount().
  const RunRecord& run(int row) const;
  // -1 when no row has that id.
  int rowOfRun(qint64 runId) const;
  // Count of rows with the given status (the status bar shows how many are running).
  int countWithStatus(RunStatus status) const;

  // The colour of a status in the table; an invalid QColor keeps the palette's text colour.
  static QColor statusColour(RunStatus status);

 private:
  // What the row shows from the run's configuration, parsed once per distinct config text.
  struct ConfigFacts {
    qint64 dModel = 0;
    qint64 maxEpochs = 0;
    QString seqLens;
  };
  struct Row {
    RunRecord run;
    ConfigFacts facts;
    QColor colour;
    std::optional<double> bestValidAccuracy;
    std::optional<double> lastValidLoss;
  };

  // `previous` (the row this run had before, if any) lends its parsed facts when the config is the same.
  static Row makeRow(const RunRecord& run, const std::vector<MetricSummary>* summaries, const Row* previous);
  static ConfigFacts parseConfigFacts(const std::string& configJson);
  // Whether anything a cell can show (text, tooltip, colour) differs between the two rows.
  static bool sameCells(const Row& a, const Row& b);
  static QVariant displayData(const Row& row, int column);
  static QVariant sortData(const Row& row, int column);
  static QVariant toolTipData(const Row& row, int column);

  std::vector<Row> m_rows;
};

}  // namespace zoolab
