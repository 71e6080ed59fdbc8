#pragma once

// The workbench window. It only wires things together: the run table (views/), the database poller
// and the menus; dialogs, controllers and plots live in their own files as they arrive.

#include <vector>

#include <QMainWindow>
#include <QString>

#include "engine/store/records.h"

class QLabel;

namespace zoolab {

class DatabasePoller;
class RunTableModel;
class RunTableView;
class Settings;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  // Restores the window geometry and table layout from `settings`, which must outlive the window.
  explicit MainWindow(Settings& settings, QWidget* parent = nullptr);
  ~MainWindow() override;

  // Shows the runs of the database at `path` (created if missing), replacing the one shown before.
  void openDatabase(const QString& path);
  const QString& databasePath() const { return m_databasePath; }

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void createMenus();
  void chooseDatabase();
  void showAbout();
  void onRunsChanged(const std::vector<RunRecord>& runs,
                     const std::vector<std::vector<MetricSummary>>& summaries);
  void onDatabaseError(const QString& message);
  void onRunActivated(qint64 runId);
  // The status bar and the empty-table text, from the path, the runs and the last error.
  void updateStatus();

  Settings& m_settings;
  RunTableModel* m_runModel = nullptr;
  RunTableView* m_runView = nullptr;
  DatabasePoller* m_poller = nullptr;
  QLabel* m_databaseLabel = nullptr;
  QLabel* m_countLabel = nullptr;
  QString m_databasePath;
  QString m_databaseError;  // shown instead of the run count until a poll succeeds again
  bool m_loaded = false;    // a poll has succeeded since the database was opened
};

}  // namespace zoolab
