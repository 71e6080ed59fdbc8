#pragma once

// A table of MQAR data segments (data.train or data.test of a run config: {task, input_seq_len,
// num_kv_pairs, num_examples, power_a, random_non_queries, num_passes}), one row per segment with a
// spin box or check box per field, and buttons to add and remove rows. The segments' JSON is kept as
// loaded: a key the table does not show survives, and a field left alone is not written.

#include <QWidget>

#include <nlohmann/json.hpp>

class QPushButton;
class QTableWidget;

namespace zoolab {

class SegmentTable : public QWidget {
  Q_OBJECT

 public:
  explicit SegmentTable(QWidget* parent = nullptr);

  // The fields shown, in column order.
  static const QStringList& fields();

  // Shows `list` (an array of segment objects; anything else shows no rows). Does not emit changed().
  void setSegments(const nlohmann::json& list);
  // The loaded segments with every edit applied.
  const nlohmann::json& segments() const { return m_segments; }

  int rowCount() const;
  // The editor of a field ("num_kv_pairs") in a row; nullptr when there is none.
  QWidget* cellEditor(int row, const QString& field) const;
  QTableWidget* table() const { return m_table; }
  QPushButton* addButton() const { return m_add; }
  QPushButton* removeButton() const { return m_remove; }

  // Appends a copy of the last segment (a default one when empty).
  void addRow();
  // Removes `row` (the current row when -1, else the last).
  void removeRow(int row = -1);

 Q_SIGNALS:
  void changed();

 private:
  void rebuild();
  void onCellEdited(int row, const QString& field, const nlohmann::json& value);

  QTableWidget* m_table = nullptr;
  QPushButton* m_add = nullptr;
  QPushButton* m_remove = nullptr;
  nlohmann::json m_segments = nlohmann::json::array();
};

}  // namespace zoolab
