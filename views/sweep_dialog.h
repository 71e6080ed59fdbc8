#pragma once

// The sweep dialog of the "Configure and launch" editor: rows of (dotted path, values, zip group)
// over the editor's configuration, expanded with engine/config/sweep_grid.h (the same expansion as the
// sweep CLI) into a live preview of the runs, each checked with the editor's validator. OK is enabled
// only when the grid expands, every run is valid and the sweep has a name; spec() is then the sweep file
// (the GUI enqueues it as a named sweep, as `zoolab-cli sweep` does) and configs() its run configurations.

#include <functional>
#include <vector>

#include <QDialog>
#include <QStringList>

#include <nlohmann/json.hpp>

#include "engine/config/sweep_grid.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QTimer;

namespace zoolab {

class SweepDialog : public QDialog {
  Q_OBJECT

 public:
  using Validator = std::function<QString(const nlohmann::json& config)>;

  // `paths`: the fields offered in each row's path combo (any other path can be typed).
  SweepDialog(nlohmann::json base, QStringList paths, Validator validator, QWidget* parent = nullptr);

  // Appends a row; `zipGroup` 0 makes the path a dimension of its own, rows with the same group
  // number >= 1 vary together.
  void addRow(const QString& path = QString(), const QString& values = QString(), int zipGroup = 0);
  void removeRow(int row);
  int rowCount() const;
  QComboBox* pathCombo(int row) const;
  QLineEdit* valuesEdit(int row) const;
  QSpinBox* zipSpin(int row) const;
  QPushButton* addButton() const { return m_add; }
  QPushButton* okButton() const { return m_ok; }
  QTableWidget* previewTable() const { return m_preview; }
  QLabel* errorLabel() const { return m_error; }
  // The sweep's name ("sweepNameEdit"); by default the base name and the time the dialog opened.
  QLineEdit* nameEdit() const { return m_name; }
  // How many run seeds every point is repeated over ("sweepSeedsSpin", 1..1000, default 1): the sweep
  // file's "seeds", expanded as expand_sweep does.
  QSpinBox* seedsSpin() const { return m_seeds; }

  // The expansion of the rows as they are now (empty after an error).
  const std::vector<SweepPoint>& points() const { return m_points; }
  std::vector<nlohmann::json> configs() const;
  // The sweep file of the rows as they are now: {"name", "base", "grid", "zip"} and "seeds" when more
  // than 1 (docs/architecture.md#configuration).
  nlohmann::json spec() const { return m_spec; }
  // Recomputes the preview now (edits schedule it after a short delay).
  void updatePreview();

  // "64, 128" -> [64, 128]; "attention, based" -> ["attention", "based"] (a token that is not a JSON
  // literal is taken as a string). Throws std::invalid_argument on an empty list.
  static nlohmann::json parseValues(const QString& text);

 private:
  struct Row {
    QComboBox* path = nullptr;
    QLineEdit* values = nullptr;
    QSpinBox* zip = nullptr;
    QPushButton* remove = nullptr;
  };

  nlohmann::json m_base;
  QStringList m_paths;
  Validator m_validator;
  std::vector<Row> m_rows;
  std::vector<SweepPoint> m_points;
  nlohmann::json m_spec;
  QLineEdit* m_name = nullptr;
  QSpinBox* m_seeds = nullptr;
  QTableWidget* m_rowsTable = nullptr;
  QTableWidget* m_preview = nullptr;
  QLabel* m_error = nullptr;
  QPushButton* m_add = nullptr;
  QPushButton* m_ok = nullptr;
  QTimer* m_timer = nullptr;
};

}  // namespace zoolab
