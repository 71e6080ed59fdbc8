#include "views/run_table_model.h"

#include <cmath>
#include <tuple>

#include <QDateTime>
#include <QLocale>
#include <QStringList>

#include <nlohmann/json.hpp>

#include "views/run_colours.h"

namespace zoolab {

namespace {

// Zoology's metric names (docs/architecture.md#storage).
constexpr char kValidAccuracy[] = "valid/accuracy";
constexpr char kValidLoss[] = "valid/loss";

// The store writes ISO 8601 UTC; accept SQLite's "YYYY-MM-DD HH:MM:SS" too, so a timestamp written
// with datetime('now') still sorts and shows in local time. Invalid when the text is neither.
QDateTime parseUtcTimestamp(const std::string& text) {
  QString iso = QString::fromStdString(text).trimmed();
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

// "42s", "3m 12s", "1h 02m", "2d 04h": two units are what a reader compares.
QString compactDuration(qint64 seconds) {
  if (seconds < 60) {
    return QStringLiteral("%1s").arg(seconds);
  }
  if (seconds < 3600) {
    return QStringLiteral("%1m %2s").arg(seconds / 60).arg(seconds % 60, 2, 10, QLatin1Char('0'));
  }
  if (seconds < 86400) {
    return QStringLiteral("%1h %2m").arg(seconds / 3600).arg((seconds % 3600) / 60, 2, 10, QLatin1Char('0'));
  }
  return QStringLiteral("%1d %2h")
      .arg(seconds / 86400)
      .arg((seconds % 86400) / 3600, 2, 10, QLatin1Char('0'));
}

bool isNumericColumn(int column) {
  switch (column) {
    case RunTableModel::ColumnId:
    case RunTableModel::ColumnDModel:
    case RunTableModel::ColumnStateSize:
    case RunTableModel::ColumnDuration:
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

// Seconds the run has trained: started → finished, or → now while it runs; none before it starts.
std::optional<qint64> durationSeconds(const RunRecord& run) {
  const QDateTime started = parseUtcTimestamp(run.started_at);
  if (!started.isValid()) {
    return std::nullopt;
  }
  QDateTime end = parseUtcTimestamp(run.finished_at);
  if (!end.isValid()) {
    if (run.status != RunStatus::Running) {
      return std::nullopt;
    }
    end = QDateTime::currentDateTimeUtc();
  }
  return std::max<qint64>(0, started.secsTo(end));
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
    case ColourRole:
      return row.colour;
    case Qt::DecorationRole:
      return column == ColumnName ? QVariant(runColourSwatch(row.colour)) : QVariant();
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
      case ColumnTask:
        return tr("Task");
      case ColumnMixer:
        return tr("Mixer");
      case ColumnDModel:
        return tr("d_model");
      case ColumnSeqLen:
        return tr("Seq. len");
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
      case ColumnStateSize:
        return tr("State size");
      case ColumnDuration:
        return tr("Duration");
      case ColumnTags:
        return tr("Tags");
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
      case ColumnSeqLen:
        return tr("input_seq_len of the training segments");
      case ColumnStateSize:
        return tr(
            "Recurrent state size of the sequence mixers at the longest sequence (Zoology's "
            "state_size; the Based paper's x axis)");
      case ColumnDuration:
        return tr("Training time: start to finish, or to now while running");
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
    // Polls usually return the same runs in the same order: the previous row at i is the likely match.
    const Row* previous = nullptr;
    if (i < m_rows.size() && m_rows[i].run.id == runs[i].id) {
      previous = &m_rows[i];
    }
    rows.push_back(makeRow(runs[i], i < summaries.size() ? &summaries[i] : nullptr, previous));
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

RunTableModel::ConfigFacts RunTableModel::parseConfigFacts(const std::string& configJson) {
  ConfigFacts facts;
  // Tolerant: a config the table cannot read shows empty cells rather than hiding the run.
  const auto json = nlohmann::json::parse(configJson, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) {
    return facts;
  }
  const auto number = [&](const char* section, const char* key) -> qint64 {
    const auto it = json.find(section);
    if (it == json.end() || !it->is_object()) {
      return 0;
    }
    const auto value = it->find(key);
    return value != it->end() && value->is_number_integer() ? value->get<qint64>() : 0;
  };
  facts.dModel = number("model", "d_model");
  facts.maxEpochs = number("train", "max_epochs");
  QStringList lengths;
  if (const auto data = json.find("data"); data != json.end() && data->is_object()) {
    if (const auto train = data->find("train"); train != data->end() && train->is_array()) {
      for (const auto& segment : *train) {
        if (segment.is_object() && segment.contains("input_seq_len") &&
            segment["input_seq_len"].is_number_integer()) {
          const QString length = QString::number(segment["input_seq_len"].get<qint64>());
          if (!lengths.contains(length)) {
            lengths << length;
          }
        }
      }
    }
  }
  facts.seqLens = lengths.join(QStringLiteral(", "));
  return facts;
}

RunTableModel::Row RunTableModel::makeRow(const RunRecord& run, const std::vector<MetricSummary>* summaries,
                                          const Row* previous) {
  Row row;
  row.run = run;
  row.facts = previous && previous->run.config_json == run.config_json ? previous->facts
                                                                       : parseConfigFacts(run.config_json);
  row.colour = runColour(run.id, run.colour);
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
                    r.state_size, r.created_at, r.started_at, r.finished_at, r.error, r.device, r.seed,
                    r.tags, r.notes, r.colour, r.config_json, row.bestValidAccuracy, row.lastValidLoss);
  };
  return cells(a) == cells(b);
}

QVariant RunTableModel::displayData(const Row& row, int column) {
  const RunRecord& run = row.run;
  switch (column) {
    case ColumnId:
      return QVariant::fromValue<qint64>(run.id);
    case ColumnName:
      return QString::fromStdString(run.name);
    case ColumnTask:
      return QString::fromStdString(run.task);
    case ColumnMixer:
      return QString::fromStdString(run.mixer);
    case ColumnDModel:
      return row.facts.dModel > 0 ? QVariant::fromValue<qint64>(row.facts.dModel) : QVariant();
    case ColumnSeqLen:
      return row.facts.seqLens;
    case ColumnStatus:
      if (run.status == RunStatus::Running && row.facts.maxEpochs > 0) {
        return QStringLiteral("running %1/%2").arg(run.epochs).arg(row.facts.maxEpochs);
      }
      return QString::fromLatin1(to_string(run.status));
    case ColumnStateSize:
      return run.state_size > 0 ? compactCount(run.state_size) : QString();
    case ColumnDuration: {
      const auto seconds = durationSeconds(run);
      return seconds ? compactDuration(*seconds) : QString();
    }
    case ColumnTags:
      return QString::fromStdString(run.tags);
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
                               : QString::fromStdString(run.created_at);
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
    case ColumnDModel:
      return QVariant::fromValue<qint64>(row.facts.dModel);
    case ColumnStateSize:
      return QVariant::fromValue<qint64>(run.state_size);
    case ColumnDuration: {
      const auto seconds = durationSeconds(run);
      return seconds ? QVariant::fromValue<qint64>(*seconds) : QVariant();
    }
    case ColumnStatus:
      return QString::fromLatin1(to_string(run.status));
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
      return run.notes.empty() ? tr("%1 run, seed %2").arg(QString::fromStdString(run.task)).arg(run.seed)
                               : tr("%1 run, seed %2\n\n%3")
                                     .arg(QString::fromStdString(run.task))
                                     .arg(run.seed)
                                     .arg(QString::fromStdString(run.notes));
    case ColumnStatus:
      if (!run.error.empty()) {
        return QString::fromStdString(run.error);
      }
      if (run.status == RunStatus::Running && !run.device.empty()) {
        return tr("Training on %1").arg(QString::fromStdString(run.device));
      }
      return {};
    case ColumnParameters:
      return run.num_parameters > 0 ? QLocale().toString(static_cast<qlonglong>(run.num_parameters))
                                    : QVariant();
    case ColumnCreated:
      return QString::fromStdString(run.created_at);
    default:
      return {};
  }
}

}  // namespace zoolab
