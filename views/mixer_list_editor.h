#pragma once

// The editor of a mixer_list parameter (hybrid's "configs": layer i runs configs[i % n]): one row per
// entry, each a mixer name combo (sequence mixers) with its own nested MixerForm, plus buttons to add,
// remove and reorder rows.

#include <vector>

#include <QWidget>

#include <nlohmann/json.hpp>

class QComboBox;
class QPushButton;
class QToolButton;
class QVBoxLayout;

namespace zoolab {

class MixerForm;

class MixerListEditor : public QWidget {
  Q_OBJECT

 public:
  explicit MixerListEditor(nlohmann::json registry, QWidget* parent = nullptr);

  const nlohmann::json& registry() const { return m_registry; }
  // [{"name": ..., "kwargs": {...}}, ...]; kwargs hold only the values that differ from the defaults.
  nlohmann::json value() const;
  // False (and nothing changed) unless `list` is an array of {"name": string, "kwargs"?: object}.
  // Unknown names get a row with an empty form that keeps their kwargs.
  bool setValue(const nlohmann::json& list);

  int rowCount() const { return static_cast<int>(m_rows.size()); }
  QComboBox* nameCombo(int row) const { return m_rows.at(row).combo; }
  MixerForm* form(int row) const { return m_rows.at(row).form; }
  QToolButton* upButton(int row) const { return m_rows.at(row).up; }
  QToolButton* downButton(int row) const { return m_rows.at(row).down; }
  QToolButton* removeButton(int row) const { return m_rows.at(row).remove; }
  QPushButton* addButton() const { return m_add; }

  // Appends a row running `mixer` with default kwargs (the first mixer when empty).
  void addRow(const QString& mixer = QString());
  void removeRow(int row);
  void moveRow(int from, int to);

 Q_SIGNALS:
  void changed();

 private:
  struct Row {
    QWidget* frame = nullptr;
    QComboBox* combo = nullptr;
    MixerForm* form = nullptr;
    QToolButton* up = nullptr;
    QToolButton* down = nullptr;
    QToolButton* remove = nullptr;
  };

  void rebuild(const nlohmann::json& list);
  void appendRow(const std::string& name, const nlohmann::json& kwargs);
  void onRowMixerChanged(QWidget* frame);
  int rowOf(QWidget* frame) const;
  void updateButtons();

  nlohmann::json m_registry;
  std::vector<Row> m_rows;
  QVBoxLayout* m_rowsLayout = nullptr;
  QPushButton* m_add = nullptr;
};

}  // namespace zoolab
