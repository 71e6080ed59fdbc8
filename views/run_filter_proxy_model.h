#pragma once

// Sorting and filtering in front of RunTableModel. Sorting uses RunTableModel::SortRole, so numeric
// columns sort as numbers; the filter is a run query (engine/analysis/run_query.h), the language of
// `zoolab-cli runs --where`, evaluated on the facts the model built for each row.

#include <QSortFilterProxyModel>
#include <QString>

#include "engine/analysis/run_query.h"

namespace zoolab {

class RunFilterProxyModel : public QSortFilterProxyModel {
  Q_OBJECT

 public:
  explicit RunFilterProxyModel(QObject* parent = nullptr);

  // A run query: "hyena fin" (every word in the name, mixer, status or tags, as before),
  // "mixer:based d_model>=64", "best(valid/accuracy)>=0.99 or tag:baseline". An empty text passes every
  // run. A text that does not parse leaves the last valid filter in place and sets filterError().
  // Returns whether the text parsed. The source model must be a RunTableModel.
  bool setFilterText(const QString& text);
  // The text last given, valid or not.
  QString filterText() const { return m_filterText; }
  // The text of the filter in force: filterText() unless that one does not parse.
  QString appliedFilterText() const { return QString::fromStdString(m_query.text()); }
  // "column 12: expected a number after '>='", or empty while the text parses.
  QString filterError() const { return m_error; }
  // The column of the error, from 1; 0 while the text parses.
  int filterErrorColumn() const { return m_errorColumn; }

  // The filter's error appeared, changed or went away.
  Q_SIGNAL void filterErrorChanged(const QString& error);

 protected:
  bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

 private:
  QString m_filterText;
  RunQuery m_query;
  QString m_error;
  int m_errorColumn = 0;
};

}  // namespace zoolab
