#pragma once

// Sorting and filtering in front of RunTableModel. Sorting uses RunTableModel::SortRole, so numeric
// columns sort as numbers; the filter matches the words a user types against name, mixer and status.

#include <QSortFilterProxyModel>
#include <QStringList>

namespace zoolab {

class RunFilterProxyModel : public QSortFilterProxyModel {
  Q_OBJECT

 public:
  explicit RunFilterProxyModel(QObject* parent = nullptr);

  // Words separated by white space; a run passes when every word occurs, ignoring case, in its name,
  // mixer or status ("hyena fin" keeps the finished Hyena runs). An empty text passes every run.
  void setFilterText(const QString& text);
  QString filterText() const { return m_filterText; }

 protected:
  bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

 private:
  QString m_filterText;
  QStringList m_words;
};

}  // namespace zoolab
