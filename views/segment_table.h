#pragma once

// A table of data segments (data.train or data.test of a run config), one row per segment. The fields
// every segment has are columns: "task" (a combo box of the task registry, engine/data/task_registry.h),
// input_seq_len and num_examples, then a read-only summary of the task's own parameters. Those are edited
// in the panel beside the table, which shows the selected row's task form: one field per parameter spec
// (the mixer forms' MixerParamField), the spec's doc as its tooltip. A table with a column per parameter
// of every task would be mostly empty cells; a form per row keeps the columns to what all segments share.
//
// The segments' JSON is kept as loaded: a key the table does not show survives, a field left alone is not
// written, and resetting a parameter removes its key (the task's default then applies). Choosing another
// task for a row is the exception: the row becomes {task, input_seq_len, num_examples} (those two as they
// were) plus the new task's example parameters, since the old task's keys mean nothing to the new one and
// the config parser refuses unknown keys.

#include <vector>

#include <QPointer>
#include <QWidget>

#include <nlohmann/json.hpp>

class QComboBox;
class QLabel;
class QPushButton;
class QStackedWidget;
class QTableWidget;

namespace zoolab {

class MixerForm;

class SegmentTable : public QWidget {
  Q_OBJECT

 public:
  explicit SegmentTable(QWidget* parent = nullptr);

  // The columns every segment has, in order (the last column, the parameter summary, is not a field).
  static const QStringList& fields();
  // The task registry as the table uses it: [{"name", "family", "summary", "params" (param_specs_to_json),
  // "example"}], in registration order.
  static const nlohmann::json& registeredTasks();

  // Replaces the tasks offered (registeredTasks() by default; tests pass toy tasks) and rebuilds the rows.
  void setTasks(const nlohmann::json& tasks);
  const nlohmann::json& tasks() const { return m_tasks; }
  QStringList taskNames() const;

  // Shows `list` (an array of segment objects; anything else shows no rows). Does not emit changed().
  void setSegments(const nlohmann::json& list);
  // The loaded segments with every edit applied.
  const nlohmann::json& segments() const { return m_segments; }

  int rowCount() const;
  // The fields of `row`: fields(), then its task's parameters (the paths a sweep can vary).
  QStringList fieldsOf(int row) const;
  // The editor of a field in a row: a column's ("task", "num_examples") or a task parameter's in the row's
  // form ("num_kv_pairs"); nullptr when there is none.
  QWidget* cellEditor(int row, const QString& field) const;
  QComboBox* taskCombo(int row) const;
  // The parameter form of `row` (shown in the panel while the row is selected); nullptr when none.
  MixerForm* paramForm(int row) const;
  // The text of a row's parameter summary cell.
  QString summaryText(int row) const;
  // The row whose form the panel shows (-1: none).
  int selectedRow() const;
  void selectRow(int row);

  QTableWidget* table() const { return m_table; }
  QLabel* detailsTitle() const { return m_detailsTitle; }
  // The selected row's task summary (or why its task is not known), under the title.
  QLabel* taskSummary() const { return m_taskSummary; }
  QPushButton* addButton() const { return m_add; }
  QPushButton* removeButton() const { return m_remove; }

  // Appends a copy of the last segment (a default one when empty) and selects it.
  void addRow();
  // Removes `row` (the current row when -1, else the last).
  void removeRow(int row = -1);

 Q_SIGNALS:
  void changed();

 protected:
  // Focus in a row's editors selects the row; an editor the config editor marks invalid shows its row.
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void rebuild();
  void buildForm(int row);
  void watchEditor(QWidget* editor, int row);
  void updateSummary(int row);
  void updateDetailsTitle();
  const nlohmann::json* taskSpec(const std::string& name) const;
  std::string taskOf(int row) const;
  void onCellEdited(int row, const QString& field, const nlohmann::json& value);
  void onTaskChosen(int row, const QString& name);
  void onParamEdited(int row, const QString& name);
  void onParamReset(int row, const QString& name);

  QTableWidget* m_table = nullptr;
  QStackedWidget* m_details = nullptr;
  QLabel* m_detailsTitle = nullptr;
  QLabel* m_taskSummary = nullptr;
  QPushButton* m_add = nullptr;
  QPushButton* m_remove = nullptr;
  nlohmann::json m_tasks;
  nlohmann::json m_segments = nlohmann::json::array();
  std::vector<MixerForm*> m_forms;   // one per row, pages of m_details
  QPointer<QWidget> m_shownInvalid;  // the invalid editor whose row was last brought into view
  bool m_loading = false;
};

}  // namespace zoolab
