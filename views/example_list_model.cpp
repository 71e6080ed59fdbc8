#include "views/example_list_model.h"

#include <algorithm>
#include <map>

#include <QColor>
#include <QStringList>

namespace zoolab {

namespace {

const QColor kWrongText(0xc6, 0x28, 0x28);

// A slice key as the narrow column names it ("kv 4", "len 64"); the tooltip spells it out.
QString shortName(const std::string& key) {
  if (key == "num_kv_pairs") {
    return QStringLiteral("kv");
  }
  if (key == "input_seq_len") {
    return QStringLiteral("len");
  }
  if (key == "num_passes") {
    return QStringLiteral("passes");
  }
  return QString::fromStdString(key);
}

// "kv 4 · len 64": the slices of `keys` (those that tell the segments apart), short or in full.
QString slicesText(const RecordSegment& segment, const std::set<std::string>& keys, bool full) {
  QStringList parts;
  for (const auto& [key, value] : segment.slices) {
    if (keys.count(key)) {
      parts.append(
          QStringLiteral("%1 %2").arg(full ? QString::fromStdString(key) : shortName(key)).arg(value));
    }
  }
  return parts.join(full ? QStringLiteral(", ") : QStringLiteral(" · "));
}

}  // namespace

ExampleListModel::ExampleListModel(QObject* parent) : QAbstractTableModel(parent) {}

int ExampleListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(m_outcomes.size());
}

int ExampleListModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant ExampleListModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) {
    return {};
  }
  const ExampleOutcome& row = outcome(index.row());
  const bool failed = row.correct < row.queries;
  const RecordSegment* segment = row.segment >= 0 && row.segment < static_cast<int64_t>(m_segments.size())
                                     ? &m_segments[static_cast<size_t>(row.segment)]
                                     : nullptr;
  switch (role) {
    case ExampleRole:
      return QVariant::fromValue<qint64>(row.example);
    case FailedRole:
      return failed;
    case Qt::TextAlignmentRole:
      return index.column() == ColumnSlices ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                            : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ForegroundRole:
      return failed && index.column() == ColumnCorrect ? QVariant(kWrongText) : QVariant();
    case Qt::ToolTipRole:
      return index.column() == ColumnSlices && segment ? slicesText(*segment, m_varyingSlices, true)
                                                       : QVariant();
    case Qt::DisplayRole:
      switch (index.column()) {
        case ColumnExample:
          return QVariant::fromValue<qint64>(row.example);
        case ColumnSlices:
          return segment ? slicesText(*segment, m_varyingSlices, false) : QString();
        case ColumnQueries:
          return QVariant::fromValue<qint64>(row.queries);
        case ColumnCorrect:
          return QVariant::fromValue<qint64>(row.correct);
        default:
          return {};
      }
    default:
      return {};
  }
}

QVariant ExampleListModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
    return QAbstractTableModel::headerData(section, orientation, role);
  }
  switch (section) {
    case ColumnExample:
      return tr("Example");
    case ColumnSlices:
      return tr("Slices");
    case ColumnQueries:
      return tr("Queries");
    case ColumnCorrect:
      return tr("Right");
    default:
      return {};
  }
}

void ExampleListModel::setOutcomes(std::vector<ExampleOutcome> outcomes,
                                   std::vector<RecordSegment> segments) {
  beginResetModel();
  m_outcomes = std::move(outcomes);
  m_segments = std::move(segments);
  // A slice every segment shares says nothing about an example.
  std::map<std::string, std::set<int64_t>> values;
  for (const RecordSegment& segment : m_segments) {
    for (const auto& [key, value] : segment.slices) {
      values[key].insert(value);
    }
  }
  m_varyingSlices.clear();
  for (const auto& [key, set] : values) {
    if (set.size() > 1) {
      m_varyingSlices.insert(key);
    }
  }
  endResetModel();
}

int ExampleListModel::rowOfExample(int64_t example) const {
  const auto it = std::lower_bound(m_outcomes.begin(), m_outcomes.end(), example,
                                   [](const ExampleOutcome& o, int64_t e) { return o.example < e; });
  if (it != m_outcomes.end() && it->example == example) {
    return static_cast<int>(it - m_outcomes.begin());
  }
  // Listed in another order (not by the browser): search.
  for (size_t i = 0; i < m_outcomes.size(); ++i) {
    if (m_outcomes[i].example == example) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace zoolab
