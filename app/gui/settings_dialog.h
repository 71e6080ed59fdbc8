#pragma once

// Edit › Preferences: the settings a researcher changes (worker slots and threads, refresh interval,
// theme, the figure style of dashboards and exports). Values are written to Settings when the dialog is
// accepted; the database is chosen with File › Open Database.

#include <QDialog>

class QComboBox;
class QDoubleSpinBox;
class QFontComboBox;
class QSpinBox;

namespace zoolab {

class Settings;

class SettingsDialog : public QDialog {
  Q_OBJECT

 public:
  explicit SettingsDialog(Settings& settings, QWidget* parent = nullptr);

  void accept() override;

  QSpinBox* slotsBox() const { return m_slots; }
  QSpinBox* threadsBox() const { return m_threads; }

 private:
  Settings& m_settings;
  QSpinBox* m_slots = nullptr;
  QSpinBox* m_threads = nullptr;
  QSpinBox* m_pollInterval = nullptr;
  QComboBox* m_theme = nullptr;
  // The figure style (views/figure_style.h); its palette keeps what the settings hold.
  QFontComboBox* m_figureFont = nullptr;
  QDoubleSpinBox* m_figurePointSize = nullptr;
  QDoubleSpinBox* m_figureLineWidth = nullptr;
  QDoubleSpinBox* m_figureMarkerSize = nullptr;
};

}  // namespace zoolab
