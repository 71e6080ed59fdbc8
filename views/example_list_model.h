#pragma once

// The example browser's list: one row per test example of a record set, with its slices, its
// number of queries and how many the model got right, as example_outcomes() (engine/inspect) counts them,
// so the browser's numbers are those of `zoolab-cli inspect --example`. The browser decides which
// examples are listed (filters); the model only shows them.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <QAbstractTableModel>

#include "engine/inspect/query_records.h"
#include "engine/inspect/recall_analysis.h"

namespace zoolab {

class ExampleListModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column { ColumnExample, ColumnSlices, ColumnQueries, ColumnCorrect, ColumnCount };
  enum Role {
    ExampleRole = Qt::UserRole + 1,  // the example index, in every column
    FailedRole,                      // true when a query of the example is wrong
  };

  explicit ExampleListModel(QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = QModelIndex()) const override;
  int columnCount(const QModelIndex& parent = QModelIndex()) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

  // `outcomes` in the order listed; `segments` name their slices.
  void setOutcomes(std::vector<ExampleOutcome> outcomes, std::vector<RecordSegment> segments);

  // Precondition: 0 <= row < rowCount().
  const ExampleOutcome& outcome(int row) const { return m_outcomes[static_cast<size_t>(row)]; }
  // -1 when the example is not listed.
  int rowOfExample(int64_t example) const;
  // The slice keys whose values differ between the segments (the Slices column shows only these).
  const std::set<std::string>& varyingSlices() const { return m_varyingSlices; }

 private:
  std::vector<ExampleOutcome> m_outcomes;
  std::vector<RecordSegment> m_segments;
  std::set<std::string> m_varyingSlices;
};

}  // namespace zoolab
