#pragma once

// The run table as a Qt item model: one row per run of the database, over the engine's plain records
// (engine/store/records.h). It is not a view and does not read the database: DatabasePoller (or a test)
// feeds it through setRuns(), so the same model can back the table, a sidebar and the inspector.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <QAbstractTableModel>
#include <QColor>
#include <QMap>
#include <QStringList>

#include "engine/analysis/run_facts.h"
#include "engine/analysis/run_query.h"
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
    ColumnSeqLen,         // the train segments' input_seq_len values, "64, 128"; a text run's context length
    ColumnStatus,         // with progress while running: "running 3/8"
    ColumnEpochs,         // empty for a text run, whose "epochs" count validations
    ColumnSteps,          // a text run's "1,200 / 2,000": it trains for a step budget
    ColumnValidAccuracy,  // best "valid/accuracy" so far
    ColumnValidLoss,      // last "valid/loss"
    ColumnParameters,
    ColumnStateSize,  // bytes, in binary units ("64 KiB")
    ColumnDuration,   // started → finished, or → now while running
    ColumnTags,
    ColumnCreated,
    ColumnCount  // the fixed columns; the columns the user added follow them
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

  // The sweep names by id, so the query field `sweep` and RunFacts::sweep name them; runs of sweeps not
  // named here have an empty sweep.
  void setSweepNames(const std::map<qint64, std::string>& names);
  void setSweepNames(const QMap<qint64, QString>& names);

  // Precondition: 0 <= row < rowCount().
  const RunRecord& run(int row) const;
  // What the run query language evaluates (engine/analysis/run_query.h), built once per setRuns.
  const RunFacts& facts(int row) const;
  // -1 when no row has that id.
  int rowOfRun(qint64 runId) const;
  // Count of rows with the given status (the status bar shows how many are running).
  int countWithStatus(RunStatus status) const;

  // The colour of a status in the table; an invalid QColor keeps the palette's text colour.
  static QColor statusColour(RunStatus status);

  // Columns the user added after the fixed ones, each a query field (RunField): a configuration path
  // ("model.d_model") or a metric with its aggregate ("best(valid/accuracy)"). addColumn refuses a field
  // that does not parse (the message in *error) or is shown already.
  bool addColumn(const QString& field, QString* error = nullptr);
  // Precondition: isAddedColumn(column).
  void removeAddedColumn(int column);
  bool isAddedColumn(int column) const { return column >= ColumnCount && column < columnCount(); }
  // The added fields in column order (for Settings); setting them replaces every added column.
  QStringList addedColumns() const;
  void setAddedColumns(const QStringList& fields);

  // Every configuration leaf path and every metric key of the runs shown, sorted: what a column can show.
  QStringList configPaths() const;
  QStringList metricKeys() const;

 private:
  // What the row shows from the run's configuration, parsed once per distinct config text.
  struct ConfigFacts {
    qint64 dModel = 0;
    qint64 maxEpochs = 0;
    QString seqLens;
    bool text = false;      // data.task "text": a step budget instead of epochs
    qint64 totalSteps = 0;  // a text run's budget, ceil(train_tokens / (batch size · context_length))
  };
  struct Row {
    RunFacts facts;  // facts.run is the record
    ConfigFacts config;
    QColor colour;
    std::optional<double> bestValidAccuracy;
    std::optional<double> lastValidLoss;
  };

  // `previous` (the row this run had before, if any) gives its parsed configuration when the config text is
  // the same (moved out: the row is replaced after).
  Row makeRow(const RunRecord& run, const std::vector<MetricSummary>* summaries, Row* previous) const;
  static ConfigFacts parseConfigFacts(const nlohmann::json& config);
  // Whether anything a cell can show (text, tooltip, colour) differs between the two rows.
  static bool sameCells(const Row& a, const Row& b);
  static QVariant displayData(const Row& row, int column);
  static QVariant sortData(const Row& row, int column);
  static QVariant toolTipData(const Row& row, int column);
  QVariant addedData(const Row& row, int column, int role) const;

  std::vector<Row> m_rows;
  std::vector<RunField> m_added;  // column ColumnCount + i shows m_added[i]
  std::map<qint64, std::string> m_sweepNames;
};

}  // namespace zoolab
