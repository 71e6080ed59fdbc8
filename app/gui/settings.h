#pragma once

// Every persistent GUI setting, typed and named once (qBittorrent's SettingValue;
// docs/development.md#qt-code): the rest of the GUI calls these accessors and never builds a QSettings or
// spells a key itself.

#include <QByteArray>
#include <QHash>
#include <QSettings>
#include <QString>
#include <QStringList>

#include "views/figure_style.h"

namespace zoolab {

class Settings {
 public:
  // The user's settings (~/.config/zoolab/zoolab.conf on Linux).
  Settings();
  // An INI file at `fileName` (tests, or a portable setup).
  explicit Settings(const QString& fileName);

  Settings(const Settings&) = delete;
  Settings& operator=(const Settings&) = delete;

  // The database opened last; empty before the first one.
  QString lastDatabasePath() const;
  void setLastDatabasePath(const QString& path);

  // How often the run table rereads the database, in milliseconds (clamped to 100..60000).
  int pollIntervalMs() const;
  void setPollIntervalMs(int milliseconds);

  // QMainWindow::saveGeometry / saveState.
  QByteArray mainWindowGeometry() const;
  void setMainWindowGeometry(const QByteArray& geometry);
  QByteArray mainWindowState() const;
  void setMainWindowState(const QByteArray& state);

  // RunTableView::saveHeaderState.
  QByteArray runTableHeaderState() const;
  void setRunTableHeaderState(const QByteArray& state);
  // The run table's added columns (RunTableModel::addedColumns): query fields such as "model.d_model".
  QStringList runTableColumns() const;
  void setRunTableColumns(const QStringList& fields);

  // How many runs the worker this window starts trains at once (clamped to 1..64).
  int workerSlots() const;
  void setWorkerSlots(int slots);
  // CPU threads per training process; 0 lets the worker divide the cores among its slots.
  int workerThreads() const;
  void setWorkerThreads(int threads);

  // The colour scheme: follow the desktop (default), or force light or dark.
  enum class Theme { System, Light, Dark };
  Theme theme() const;
  void setTheme(Theme theme);

  // QSplitter::saveState of the window's splitter (run table | tabs) and the tab shown last.
  QByteArray mainSplitterState() const;
  void setMainSplitterState(const QByteArray& state);
  int currentTab() const;
  void setCurrentTab(int index);

  // The error bars the Dashboards tab draws for seed groups: "std" (default), "minmax" or "none"; an
  // unknown stored value reads as the default.
  QString dashboardErrorBars() const;
  void setDashboardErrorBars(const QString& errorBars);

  // The look of dashboards and exported figures (views/figure_style.h keeps its keys, group
  // "figureStyle"), shared by the window and `zoolab --export`.
  FigureStyle figureStyle() const;
  void setFigureStyle(const FigureStyle& style);

  // The curves tab's smoothing weight per metric, as the user set them (CurvePlot::smoothingChoices).
  QHash<QString, double> curveSmoothing() const;
  void setCurveSmoothing(const QHash<QString, double>& weights);

  // Writes pending changes now (they are also written on destruction).
  void sync();

 private:
  QSettings m_settings;
};

}  // namespace zoolab
