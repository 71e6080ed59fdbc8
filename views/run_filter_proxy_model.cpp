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

bool RunFilterProxyModel::setFilterText(const QString& text) {
  if (text == m_filterText) {
    return m_error.isEmpty();
  }
  m_filterText = text;
  QString error;
  int column = 0;
  try {
    RunQuery query = RunQuery::parse(text.toStdString());
    if (query.text() != m_query.text()) {
      m_query = std::move(query);
      invalidateFilter();
    }
  } catch (const ParseError& e) {
    // Typing goes through invalid texts ("d_model>=" before the number): the table keeps showing the
    // last valid filter's runs rather than flashing to none or all.
    error = QString::fromStdString(e.what());
    column = static_cast<int>(e.column());
  }
  m_errorColumn = column;
  if (error != m_error) {
    m_error = error;
    Q_EMIT filterErrorChanged(m_error);
  }
  return m_error.isEmpty();
}

bool RunFilterProxyModel::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
  if (m_query.empty() || sourceParent.isValid()) {
    return true;
  }
  const auto* model = qobject_cast<const RunTableModel*>(sourceModel());
  return model == nullptr || m_query.matches(model->facts(sourceRow));
}

}  // namespace zoolab
