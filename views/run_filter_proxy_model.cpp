#include "views/run_filter_proxy_model.h"

#include "views/run_table_model.h"

namespace zoolab {

RunFilterProxyModel::RunFilterProxyModel(QObject* parent) : QSortFilterProxyModel(parent) {
  setSortRole(RunTableModel::SortRole);
  setSortCaseSensitivity(Qt::CaseInsensitive);
  // Re-sort and re-filter rows whose data changed on a poll (a run that just finished moves if the
  // table is sorted by status).
  setDynamicSortFilter(true);
}

void RunFilterProxyModel::setFilterText(const QString& text) {
  if (text == m_filterText) {
    return;
  }
  m_filterText = text;
  m_words = text.split(QLatin1Char(' '), Qt::SkipEmptyParts);
  invalidateFilter();
}

bool RunFilterProxyModel::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
  if (m_words.isEmpty()) {
    return true;
  }
  const QAbstractItemModel* model = sourceModel();
  const auto text = [&](int column) {
    return model->index(sourceRow, column, sourceParent).data(Qt::DisplayRole).toString();
  };
  const QString name = text(RunTableModel::ColumnName);
  const QString mixer = text(RunTableModel::ColumnMixer);
  const QString status = text(RunTableModel::ColumnStatus);
  const QString tags = text(RunTableModel::ColumnTags);
  for (const QString& word : m_words) {
    const auto has = [&](const QString& field) { return field.contains(word, Qt::CaseInsensitive); };
    if (!has(name) && !has(mixer) && !has(status) && !has(tags)) {
      return false;
    }
  }
  return true;
}

}  // namespace zoolab
