#include "views/run_table_model.h"

#include <cmath>
#include <tuple>

#include <QDateTime>
#include <QLocale>

namespace zoolab {

namespace {

// Zoology's metric names (DESIGN §3).
constexpr char kValidAccuracy[] = "valid/accuracy";
constexpr char kValidLoss[] = "valid/loss";

QString toQString(const std::string& text) {
  return QString::fromStdString(text);
}

// The store writes ISO 8601 UTC; accept SQLite's "YYYY-MM-DD HH:MM:SS" too, so a timestamp written
// with datetime('now') still sorts and shows in local time. Invalid when the text is neither.
QDateTime parseUtcTimestamp(const std::string& text) {
  QString iso = toQString(text).trimmed();
  if (iso.size() > 10 && iso.at(10) == QLatin1Char(' ')) {
    iso[10] = QLatin1Char('T');
  }
  QDateTime time = QDateTime::fromString(iso, Qt::ISODateWithMs);
  if (!time.isValid()) {
    time = QDateTime::fromString(iso, Qt::ISODate);
  }
  if (time.isValid() && time.timeSpec() == Qt::LocalTime) {
    time.setTimeSpec(Qt::UTC);  // no zone written: the store's convention is UTC
  }
  return time;
}

// 912, 12.3 K, 1.23 M, 7.04 B: the magnitude is what a reader compares; the exact count is in the tooltip.
QString compactCount(qint64 count) {
  const double value = static_cast<double>(count);
  if (std::abs(value) < 1e3) {
    return QString::number(count);
  }
  static const char* const kSuffixes[] = {"K", "M", "B", "T"};
  double scaled = value / 1e3;
  int suffix = 0;
  while (std::abs(scaled) >= 999.5 && suffix < 3) {
    scaled /= 1e3;
    ++suffix;
  }
  const int decimals = std::abs(scaled) < 10 ? 2 : (std::abs(scaled) < 100 ? 1 : 0);
  return QStringLiteral("%1 %2").arg(QString::number(scaled, 'f', decimals),
                                     QLatin1String(kSuffixes[suffix]));
}

bool isNumericColumn(int column) {
  switch (column) {
    case RunTableModel::ColumnId:
    case RunTableModel::ColumnEpochs:
    case RunTableModel::ColumnSteps:
    case RunTableModel::ColumnParameters:
    case RunTableModel::ColumnValidAccuracy:
    case RunTableModel::ColumnValidLoss:
      return true;
    default:
      return false;
  }
}

QVariant optionalNumber(const std::optional<double>& value) {
  return value ? QVariant(*value) : QVariant();
}

}  // namespace

RunTableModel::RunTableModel(QObject* parent) : QAbstractTableModel(parent) {}

int RunTableModel::rowCount(const QModelIndex& parent) const {
  // A table: only the invisible root has children.
  return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int RunTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant RunTableModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
    return {};
  }
  const Row& row = m_rows[static_cast<size_t>(index.row())];
  const int column = index.column();
  switch (role) {
    case Qt::DisplayRole:
      return displayData(row, column);
    case SortRole:
      return sortData(row, column);
    case RunIdRole:
      return QVariant::fromValue<qint64>(row.run.id);
    case Qt::ToolTipRole:
      return toolTipData(row, column);
    case Qt::TextAlignmentRole:
      return isNumericColumn(column) ? QVariant(int(Qt::AlignRight | Qt::AlignVCenter))
                                     : QVariant(int(Qt::AlignLeft | Qt::AlignVCenter));
    case Qt::ForegroundRole:
      if (column == ColumnStatus) {
        const QColor colour = statusColour(row.run.status);
        if (colour.isValid()) {
          return colour;
        }
      }
      return {};
    default:
      return {};
  }
}

QVariant RunTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal) {
    return QAbstractTableModel::headerData(section, orientation, role);
  }
  if (role == Qt::DisplayRole) {
    switch (section) {
      case ColumnId:
        return tr("ID");
      case ColumnName:
        return tr("Name");
      case ColumnMixer:
        return tr("Mixer");
      case ColumnStatus:
        return tr("Status");
      case ColumnEpochs:
        return tr("Epochs");
      case ColumnSteps:
        return tr("Steps");
      case ColumnParameters:
        return tr("Parameters");
      case ColumnValidAccuracy:
        return tr("Valid accuracy");
      case ColumnValidLoss:
        return tr("Valid loss");
      case ColumnCreated:
        return tr("Created");
      default:
        return {};
    }
  }
  if (role == Qt::ToolTipRole) {
    switch (section) {
      case ColumnEpochs:
        return tr("Completed epochs");
      case ColumnSteps:
        return tr("Completed optimizer steps");
      case ColumnValidAccuracy:
        return tr("Best %1 so far (mean of per-example accuracy, as in Zoology)").arg(kValidAccuracy);
      case ColumnValidLoss:
        return tr("Last %1").arg(kValidLoss);
      case ColumnCreated:
        return tr("When the run was created, in local time");
      default:
        return {};
    }
  }
  if (role == Qt::TextAlignmentRole) {
    return isNumericColumn(section) ? QVariant(int(Qt::AlignRight | Qt::AlignVCenter))
                                    : QVariant(int(Qt::AlignLeft | Qt::AlignVCenter));
  }
  return {};
}

void RunTableModel::setRuns(const std::vector<RunRecord>& runs,
                            const std::vector<std::vector<MetricSummary>>& summaries) {
  std::vector<Row> rows;
  rows.reserve(runs.size());
  for (size_t i = 0; i < runs.size(); ++i) {
    rows.push_back(makeRow(runs[i], i < summaries.size() ? &summaries[i] : nullptr));
  }

  bool sameIds = rows.size() == m_rows.size();
  for (size_t i = 0; sameIds && i < rows.size(); ++i) {
    sameIds = rows[i].run.id == m_rows[i].run.id;
  }
  if (!sameIds) {
    beginResetModel();
    m_rows = std::move(rows);
    endResetModel();
    return;
  }

  // Same rows: announce only the ranges that changed, so views repaint little and keep their state.
  const int count = static_cast<int>(rows.size());
  int first = -1;
  for (int i = 0; i <= count; ++i) {
    const bool changed =
        i < count && !sameCells(rows[static_cast<size_t>(i)], m_rows[static_cast<size_t>(i)]);
    if (i < count) {
      m_rows[static_cast<size_t>(i)] = std::move(rows[static_cast<size_t>(i)]);
    }
    if (changed && first < 0) {
      first = i;
    } else if (!changed && first >= 0) {
      Q_EMIT dataChanged(index(first, 0), index(i - 1, ColumnCount - 1));
      first = -1;
    }
  }
}

const RunRecord& RunTableModel::run(int row) const {
  return m_rows.at(static_cast<size_t>(row)).run;
}

int RunTableModel::rowOfRun(qint64 runId) const {
  for (size_t i = 0; i < m_rows.size(); ++i) {
    if (m_rows[i].run.id == runId) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

int RunTableModel::countWithStatus(RunStatus status) const {
  int count = 0;
  for (const Row& row : m_rows) {
    count += row.run.status == status ? 1 : 0;
  }
  return count;
}

QColor RunTableModel::statusColour(RunStatus status) {
  // Mid-tone colours that stay readable on light and dark palettes.
  switch (status) {
    case RunStatus::Finished:
      return QColor(0x2e, 0x9d, 0x3a);
    case RunStatus::Failed:
    case RunStatus::Diverged:
      return QColor(0xd3, 0x2f, 0x2f);
    case RunStatus::Running:
      return QColor(0x1e, 0x78, 0xd2);
    case RunStatus::Cancelled:
    case RunStatus::Interrupted:
      return QColor(0xc7, 0x7c, 0x02);
    case RunStatus::Queued:
      return QColor(0x80, 0x80, 0x80);
  }
  return {};
}

RunTableModel::Row RunTableModel::makeRow(const RunRecord& run, const std::vector<MetricSummary>* summaries) {
  Row row;
  row.run = run;
  if (summaries) {
    for (const MetricSummary& summary : *summaries) {
      if (summary.key == kValidAccuracy) {
        row.bestValidAccuracy = summary.best;
      } else if (summary.key == kValidLoss) {
        row.lastValidLoss = summary.last;
      }
    }
  }
  return row;
}

bool RunTableModel::sameCells(const Row& a, const Row& b) {
  const auto cells = [](const Row& row) {
    const RunRecord& r = row.run;
    return std::tie(r.id, r.name, r.mixer, r.task, r.status, r.epochs, r.steps, r.num_parameters,
                    r.created_at, r.error, r.device, r.seed, row.bestValidAccuracy, row.lastValidLoss);
  };
  return cells(a) == cells(b);
}

QVariant RunTableModel::displayData(const Row& row, int column) {
  const RunRecord& run = row.run;
  switch (column) {
    case ColumnId:
      return QVariant::fromValue<qint64>(run.id);
    case ColumnName:
      return toQString(run.name);
    case ColumnMixer:
      return toQString(run.mixer);
    case ColumnStatus:
      return QString::fromLatin1(to_string(run.status));
    case ColumnEpochs:
      return QVariant::fromValue<qint64>(run.epochs);
    case ColumnSteps:
      return QLocale().toString(static_cast<qlonglong>(run.steps));
    case ColumnParameters:
      // 0 means "not built yet" (a queued run): an empty cell, not a misleading zero.
      return run.num_parameters > 0 ? compactCount(run.num_parameters) : QString();
    case ColumnValidAccuracy:
      return row.bestValidAccuracy ? QString::number(*row.bestValidAccuracy, 'f', 3) : QString();
    case ColumnValidLoss:
      // Fixed decimals keep the column aligned on the point; MQAR losses of interest are above 1e-4.
      return row.lastValidLoss ? QString::number(*row.lastValidLoss, 'f', 4) : QString();
    case ColumnCreated: {
      const QDateTime created = parseUtcTimestamp(run.created_at);
      return created.isValid() ? created.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm"))
                               : toQString(run.created_at);
    }
    default:
      return {};
  }
}

QVariant RunTableModel::sortData(const Row& row, int column) {
  const RunRecord& run = row.run;
  switch (column) {
    case ColumnId:
      return QVariant::fromValue<qint64>(run.id);
    case ColumnEpochs:
      return QVariant::fromValue<qint64>(run.epochs);
    case ColumnSteps:
      return QVariant::fromValue<qint64>(run.steps);
    case ColumnParameters:
      return QVariant::fromValue<qint64>(run.num_parameters);
    case ColumnValidAccuracy:
      return optionalNumber(row.bestValidAccuracy);
    case ColumnValidLoss:
      return optionalNumber(row.lastValidLoss);
    case ColumnCreated: {
      const QDateTime created = parseUtcTimestamp(run.created_at);
      // Runs with an unreadable timestamp sort by id, which follows creation order.
      return created.isValid() ? QVariant::fromValue<qint64>(created.toSecsSinceEpoch())
                               : QVariant::fromValue<qint64>(run.id);
    }
    default:
      return displayData(row, column);
  }
}

QVariant RunTableModel::toolTipData(const Row& row, int column) {
  const RunRecord& run = row.run;
  switch (column) {
    case ColumnName:
      return tr("%1 run, seed %2").arg(toQString(run.task)).arg(run.seed);
    case ColumnStatus:
      if (!run.error.empty()) {
        return toQString(run.error);
      }
      if (run.status == RunStatus::Running && !run.device.empty()) {
        return tr("Training on %1").arg(toQString(run.device));
      }
      return {};
    case ColumnParameters:
      return run.num_parameters > 0 ? QLocale().toString(static_cast<qlonglong>(run.num_parameters))
                                    : QVariant();
    case ColumnCreated:
      return toQString(run.created_at);
    default:
      return {};
  }
}

}  // namespace zoolab
