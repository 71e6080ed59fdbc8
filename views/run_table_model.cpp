#include "views/run_table_model.h"

#include <cmath>
#include <set>
#include <tuple>

#include <QDateTime>
#include <QLocale>
#include <QStringList>

#include <nlohmann/json.hpp>

#include "views/number_text.h"
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

// The exact count behind "64 KiB", and what it is in the mixers' own unit.
QString stateSizeToolTip(qint64 bytes) {
  return RunTableModel::tr("%1 bytes (%2 floats of 4 bytes)")
      .arg(QLocale().toString(static_cast<qlonglong>(bytes)),
           QLocale().toString(static_cast<qlonglong>(bytes / 4)));
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
  return parent.isValid() ? 0 : ColumnCount + static_cast<int>(m_added.size());
}

QVariant RunTableModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
    return {};
  }
  const Row& row = m_rows[static_cast<size_t>(index.row())];
  const int column = index.column();
  if (column >= ColumnCount) {
    return addedData(row, column, role);
  }
  switch (role) {
    case Qt::DisplayRole:
      return displayData(row, column);
    case SortRole:
      return sortData(row, column);
    case RunIdRole:
      return QVariant::fromValue<qint64>(row.facts.run.id);
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
        const QColor colour = statusColour(row.facts.run.status);
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
  if (section >= ColumnCount && section < columnCount()) {
    const RunField& field = m_added[static_cast<size_t>(section - ColumnCount)];
    if (role == Qt::DisplayRole) {
      return QString::fromStdString(field.label());
    }
    if (role == Qt::ToolTipRole) {
      return tr("%1 (added column; right-click the header to remove it)")
          .arg(QString::fromStdString(field.text()));
    }
    return role == Qt::TextAlignmentRole ? QVariant(int(Qt::AlignLeft | Qt::AlignVCenter)) : QVariant();
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
        return QStringLiteral("valid/accuracy (best)");
      case ColumnValidLoss:
        return QStringLiteral("valid/loss (last)");
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
        return tr("Completed epochs (empty for text runs, which train for a step budget)");
      case ColumnSteps:
        return tr("Completed optimizer steps; for a text run, out of its budget");
      case ColumnValidAccuracy:
        return tr("Best %1 so far (mean of per-example accuracy, as in Zoology)").arg(kValidAccuracy);
      case ColumnValidLoss:
        return tr("Last %1").arg(kValidLoss);
      case ColumnSeqLen:
        return tr("input_seq_len of the training segments; a text run's context_length");
      case ColumnStateSize:
        return tr(
            "Recurrent state size of the sequence mixers at the longest sequence, in bytes (Zoology's "
            "state_size: 4 bytes per float; the Based paper's x axis)");
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
    Row* previous = nullptr;
    if (i < m_rows.size() && m_rows[i].facts.run.id == runs[i].id) {
      previous = &m_rows[i];
    }
    rows.push_back(makeRow(runs[i], i < summaries.size() ? &summaries[i] : nullptr, previous));
  }

  bool sameIds = rows.size() == m_rows.size();
  for (size_t i = 0; sameIds && i < rows.size(); ++i) {
    sameIds = rows[i].facts.run.id == m_rows[i].facts.run.id;
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
      Q_EMIT dataChanged(index(first, 0), index(i - 1, columnCount() - 1));
      first = -1;
    }
  }
}

const RunRecord& RunTableModel::run(int row) const {
  return m_rows.at(static_cast<size_t>(row)).facts.run;
}

const RunFacts& RunTableModel::facts(int row) const {
  return m_rows.at(static_cast<size_t>(row)).facts;
}

void RunTableModel::setSweepNames(const std::map<qint64, std::string>& names) {
  m_sweepNames = names;
  bool changed = false;
  for (Row& row : m_rows) {
    std::string sweep;
    if (row.facts.run.sweep_id) {
      const auto found = m_sweepNames.find(*row.facts.run.sweep_id);
      sweep = found == m_sweepNames.end() ? std::string() : found->second;
    }
    changed = changed || sweep != row.facts.sweep;
    row.facts.sweep = std::move(sweep);
  }
  if (changed && !m_rows.empty()) {
    Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));  // the filter looks again
  }
}

void RunTableModel::setSweepNames(const QMap<qint64, QString>& names) {
  std::map<qint64, std::string> plain;
  for (auto it = names.cbegin(); it != names.cend(); ++it) {
    plain.emplace(it.key(), it.value().toStdString());
  }
  setSweepNames(plain);
}

int RunTableModel::rowOfRun(qint64 runId) const {
  for (size_t i = 0; i < m_rows.size(); ++i) {
    if (m_rows[i].facts.run.id == runId) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

int RunTableModel::countWithStatus(RunStatus status) const {
  int count = 0;
  for (const Row& row : m_rows) {
    count += row.facts.run.status == status ? 1 : 0;
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

RunTableModel::ConfigFacts RunTableModel::parseConfigFacts(const nlohmann::json& json) {
  ConfigFacts facts;
  // Tolerant: a config the table cannot read shows empty cells rather than hiding the run.
  if (!json.is_object()) {
    return facts;
  }
  const auto number = [&](const nlohmann::json& object, const char* key) -> qint64 {
    if (!object.is_object()) {
      return 0;
    }
    const auto value = object.find(key);
    return value != object.end() && value->is_number_integer() ? value->get<qint64>() : 0;
  };
  const auto section = [&](const char* key) {
    const auto it = json.find(key);
    return it != json.end() && it->is_object() ? *it : nlohmann::json();
  };
  facts.dModel = number(section("model"), "d_model");
  facts.maxEpochs = number(section("train"), "max_epochs");
  const nlohmann::json data = section("data");
  if (data.is_object() && data.value("task", std::string()) == "text") {
    // A text run reads context_length tokens per sequence and trains for a token budget: steps =
    // ceil(train_tokens / (train batch size · context_length)), as the trainer counts them.
    facts.text = true;
    const nlohmann::json text = data.contains("text") ? data["text"] : nlohmann::json();
    const qint64 context = number(text, "context_length");
    const qint64 tokens = number(text, "train_tokens");
    qint64 batch = number(data, "batch_size");
    if (const auto sizes = data.find("batch_size");
        sizes != data.end() && sizes->is_array() && !sizes->empty() && sizes->front().is_number_integer()) {
      batch = sizes->front().get<qint64>();
    }
    facts.seqLens = context > 0 ? QString::number(context) : QString();
    if (context > 0 && batch > 0 && tokens > 0) {
      facts.totalSteps = (tokens + batch * context - 1) / (batch * context);
    }
    return facts;
  }
  QStringList lengths;
  if (const auto train = data.find("train"); data.is_object() && train != data.end() && train->is_array()) {
    for (const auto& segment : *train) {
      const qint64 length = number(segment, "input_seq_len");
      if (length > 0 && !lengths.contains(QString::number(length))) {
        lengths << QString::number(length);
      }
    }
  }
  facts.seqLens = lengths.join(QStringLiteral(", "));
  return facts;
}

RunTableModel::Row RunTableModel::makeRow(const RunRecord& run, const std::vector<MetricSummary>* summaries,
                                          Row* previous) const {
  Row row;
  std::string sweep;
  if (run.sweep_id) {
    const auto found = m_sweepNames.find(*run.sweep_id);
    sweep = found == m_sweepNames.end() ? std::string() : found->second;
  }
  static const std::vector<MetricSummary> kNone;
  if (previous && previous->facts.run.config_json == run.config_json) {
    // Polls repeat the same configurations: the parsed form moves over (the old row is replaced right
    // after, and comparing rows never reads it), and what was derived from it is copied.
    const RunFacts& before = previous->facts;
    row.facts.config = std::move(previous->facts.config);
    row.facts.model = before.model;
    row.facts.d_model = before.d_model;
    row.facts.seq_len = before.seq_len;
    row.facts.num_kv_pairs = before.num_kv_pairs;
    row.facts.learning_rate = before.learning_rate;
    row.facts.seed_group = before.seed_group;
    row.facts.run = run;
    row.facts.sweep = sweep;
    for (const MetricSummary& summary : summaries ? *summaries : kNone) {
      row.facts.summaries.emplace(summary.key, summary);
    }
    row.config = previous->config;
  } else {
    nlohmann::json config = nlohmann::json::parse(run.config_json, nullptr, /*allow_exceptions=*/false);
    if (config.is_discarded()) {
      config = nlohmann::json();
    }
    row.facts = make_run_facts(run, std::move(config), summaries ? *summaries : kNone, sweep);
    row.config = parseConfigFacts(row.facts.config);
  }
  row.colour = runColour(run.id, run.colour);
  if (const auto accuracy = row.facts.summaries.find(kValidAccuracy); accuracy != row.facts.summaries.end()) {
    row.bestValidAccuracy = accuracy->second.best;
  }
  if (const auto loss = row.facts.summaries.find(kValidLoss); loss != row.facts.summaries.end()) {
    row.lastValidLoss = loss->second.last;
  }
  return row;
}

bool RunTableModel::sameCells(const Row& a, const Row& b) {
  const auto cells = [](const Row& row) {
    const RunRecord& r = row.facts.run;
    return std::tie(r.id, r.name, r.mixer, r.task, r.status, r.epochs, r.steps, r.num_parameters,
                    r.state_size, r.created_at, r.started_at, r.finished_at, r.error, r.device, r.seed,
                    r.tags, r.notes, r.colour, r.config_json, row.facts.sweep);
  };
  // Every summary, not only the fixed columns': an added column may show any of them.
  const auto summary = [](const MetricSummary& m) { return std::tie(m.key, m.last, m.min, m.max, m.best); };
  if (cells(a) != cells(b) || a.facts.summaries.size() != b.facts.summaries.size()) {
    return false;
  }
  for (const auto& [key, value] : a.facts.summaries) {
    const auto other = b.facts.summaries.find(key);
    if (other == b.facts.summaries.end() || summary(value) != summary(other->second)) {
      return false;
    }
  }
  return true;
}

QVariant RunTableModel::displayData(const Row& row, int column) {
  const RunRecord& run = row.facts.run;
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
      return row.config.dModel > 0 ? QVariant::fromValue<qint64>(row.config.dModel) : QVariant();
    case ColumnSeqLen:
      return row.config.seqLens;
    case ColumnStatus:
      if (run.status == RunStatus::Running && row.config.text && row.config.totalSteps > 0) {
        return QStringLiteral("running %1%").arg(100 * run.steps / row.config.totalSteps);
      }
      if (run.status == RunStatus::Running && !row.config.text && row.config.maxEpochs > 0) {
        return QStringLiteral("running %1/%2").arg(run.epochs).arg(row.config.maxEpochs);
      }
      return QString::fromLatin1(to_string(run.status));
    case ColumnStateSize:
      return run.state_size > 0 ? formatBytes(run.state_size) : QString();
    case ColumnDuration: {
      const auto seconds = durationSeconds(run);
      return seconds ? compactDuration(*seconds) : QString();
    }
    case ColumnTags:
      return QString::fromStdString(run.tags);
    case ColumnEpochs:
      // A text run's "epochs" count its validations; its progress is in Steps.
      return row.config.text ? QVariant() : QVariant::fromValue<qint64>(run.epochs);
    case ColumnSteps:
      if (row.config.text && row.config.totalSteps > 0) {
        return QStringLiteral("%1 / %2").arg(
            QLocale().toString(static_cast<qlonglong>(run.steps)),
            QLocale().toString(static_cast<qlonglong>(row.config.totalSteps)));
      }
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
  const RunRecord& run = row.facts.run;
  switch (column) {
    case ColumnId:
      return QVariant::fromValue<qint64>(run.id);
    case ColumnEpochs:
      return row.config.text ? QVariant() : QVariant::fromValue<qint64>(run.epochs);
    case ColumnSteps:
      return QVariant::fromValue<qint64>(run.steps);
    case ColumnSeqLen: {
      // The first length as a number, so 128 sorts after 64; runs without one sort last.
      bool ok = false;
      const qint64 first = row.config.seqLens.section(QLatin1Char(','), 0, 0).toLongLong(&ok);
      return ok ? QVariant::fromValue<qint64>(first) : QVariant();
    }
    case ColumnParameters:
      return QVariant::fromValue<qint64>(run.num_parameters);
    case ColumnDModel:
      return QVariant::fromValue<qint64>(row.config.dModel);
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
  const RunRecord& run = row.facts.run;
  switch (column) {
    case ColumnName: {
      // The full name first: the cell elides long names in the middle.
      const QString about = tr("%1 run, seed %2").arg(QString::fromStdString(run.task)).arg(run.seed);
      const QString name = QString::fromStdString(run.name);
      return run.notes.empty()
                 ? QStringLiteral("%1\n%2").arg(name, about)
                 : QStringLiteral("%1\n%2\n\n%3").arg(name, about, QString::fromStdString(run.notes));
    }
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
    case ColumnStateSize:
      return run.state_size > 0 ? stateSizeToolTip(run.state_size) : QVariant();
    case ColumnCreated:
      return QString::fromStdString(run.created_at);
    default:
      return {};
  }
}

QVariant RunTableModel::addedData(const Row& row, int column, int role) const {
  const RunField& field = m_added[static_cast<size_t>(column - ColumnCount)];
  switch (role) {
    case Qt::DisplayRole:
    case Qt::ToolTipRole:
    case SortRole: {
      const std::vector<FieldValue> values = field.values(row.facts);
      if (values.empty()) {
        return {};  // sorted last, as an unmeasured metric
      }
      if (role == SortRole) {
        // Numbers sort as numbers (a segment field sorts by its first value), texts ignoring case.
        return values.front().number ? QVariant(*values.front().number)
                                     : QVariant(QString::fromStdString(values.front().text));
      }
      QStringList texts;
      for (const FieldValue& value : values) {
        texts << (value.number && field.is_metric() ? formatNumber(*value.number, 4)
                                                    : QString::fromStdString(value.text));
      }
      return texts.join(QStringLiteral(", "));
    }
    case RunIdRole:
      return QVariant::fromValue<qint64>(row.facts.run.id);
    case ColourRole:
      return row.colour;
    case Qt::TextAlignmentRole: {
      const std::vector<FieldValue> values = field.values(row.facts);
      const bool number = !values.empty() && values.front().number;
      return number ? QVariant(int(Qt::AlignRight | Qt::AlignVCenter))
                    : QVariant(int(Qt::AlignLeft | Qt::AlignVCenter));
    }
    default:
      return {};
  }
}

bool RunTableModel::addColumn(const QString& text, QString* error) {
  RunField field;
  try {
    field = RunField::parse(text.trimmed().toStdString());
  } catch (const ParseError& e) {
    if (error) {
      *error = QString::fromStdString(e.what());
    }
    return false;
  }
  for (const RunField& added : m_added) {
    if (added.text() == field.text()) {
      if (error) {
        *error = tr("%1 is shown already").arg(QString::fromStdString(field.label()));
      }
      return false;
    }
  }
  const int column = columnCount();
  beginInsertColumns(QModelIndex(), column, column);
  m_added.push_back(std::move(field));
  endInsertColumns();
  return true;
}

void RunTableModel::removeAddedColumn(int column) {
  if (!isAddedColumn(column)) {
    return;
  }
  beginRemoveColumns(QModelIndex(), column, column);
  m_added.erase(m_added.begin() + (column - ColumnCount));
  endRemoveColumns();
}

QStringList RunTableModel::addedColumns() const {
  QStringList fields;
  for (const RunField& field : m_added) {
    fields << QString::fromStdString(field.text());
  }
  return fields;
}

void RunTableModel::setAddedColumns(const QStringList& fields) {
  while (columnCount() > ColumnCount) {
    removeAddedColumn(columnCount() - 1);
  }
  for (const QString& field : fields) {
    addColumn(field);  // a field saved by an older version that no longer parses is dropped
  }
}

QStringList RunTableModel::configPaths() const {
  std::set<std::string> paths;
  std::set<std::string> texts;  // runs share configurations: each distinct text is walked once
  for (const Row& row : m_rows) {
    if (!texts.insert(row.facts.run.config_json).second) {
      continue;
    }
    for (auto& path : config_leaf_paths(row.facts.config)) {
      paths.insert(std::move(path));
    }
  }
  QStringList out;
  for (const auto& path : paths) {
    out << QString::fromStdString(path);
  }
  return out;
}

QStringList RunTableModel::metricKeys() const {
  std::set<std::string> keys;
  for (const Row& row : m_rows) {
    for (const auto& entry : row.facts.summaries) {
      keys.insert(entry.first);
    }
  }
  QStringList out;
  for (const auto& key : keys) {
    out << QString::fromStdString(key);
  }
  return out;
}

}  // namespace zoolab
