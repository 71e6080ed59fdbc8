#pragma once

// The Dashboards tab: pick a comparison dashboard (engine/analysis/dashboards.h) and its options, see it
// drawn as a publication figure (FigureView), export it. The figure comes from build_dashboard over the
// runs' summaries, the same function `zoolab --export` and `zoolab-cli dashboard` call, so the window
// shows exactly the runs and values they write.
//
// It updates live: the window calls databaseChanged() whenever its poller sees runs or summaries change,
// and the view asks its feed (views/dashboard_feed.h, on the feed thread) for a fresh read at most once
// per kMinRebuildIntervalMs, one at a time, and only while it is visible; a hidden tab catches up when
// shown. It never opens the database itself: the feed answers with the parsed runs (setData). Changing
// an option redraws from the runs already received.
//
// Points of seed groups are drawn with error bars (mean ± std, min–max, or none, chosen in the tab);
// when the runs hold several task definitions a chooser picks the one compared. Clicking a point or a
// line, or brushing parallel coordinates, reports its runs (runsClicked) and double-clicking opens one
// (runActivated): the window selects them in the run explorer and shows their details.

#include <memory>
#include <optional>
#include <vector>

#include <QElapsedTimer>
#include <QList>
#include <QString>
#include <QStringList>
#include <QWidget>

#include "engine/analysis/dashboards.h"
#include "engine/analysis/run_facts.h"
#include "views/dashboard_feed.h"
#include "views/figure_export.h"
#include "views/figure_style.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;
class QShowEvent;
class QSpinBox;
class QTimer;
class QWidget;

namespace zoolab {

class FigureView;

class DashboardView : public QWidget {
  Q_OBJECT

 public:
  static constexpr int kMinRebuildIntervalMs = 1000;

  // Child widgets carry these object names: "dashboardCombo", "metricCombo", "aggregateCombo",
  // "includeUnfinishedCheck", "pinPaperCheck", "sweepCombo", "pivotRowsCombo", "pivotColumnsCombo",
  // "pivotCellCombo", "errorBarsCombo", "taskDefinitionCombo", "dpiSpin", "exportButton", "errorLabel",
  // "figureView".
  explicit DashboardView(QWidget* parent = nullptr);
  ~DashboardView() override;

  // Shows the runs of another database (asked for when the view is next visible).
  void setDatabasePath(const QString& path);
  const QString& databasePath() const { return m_databasePath; }
  void setFigureStyle(const FigureStyle& style);

  // The runs or their summaries changed: reread within kMinRebuildIntervalMs if visible, else when shown.
  void databaseChanged();
  // Redraws now from the runs received, and asks for a fresh read.
  void refresh();
  // The feed's answer to reloadRequested: the runs to draw from, or why the database cannot be read. An
  // answer about another database than the one shown is dropped.
  void setData(std::shared_ptr<const DashboardData> data);

  // The dashboard shown, by name ("accuracy-vs-width"); false for an unknown name.
  bool setDashboard(const QString& name);
  QString dashboard() const;
  // The options as the controls set them.
  DashboardOptions options() const;
  // The error bars drawn for seed groups: "std", "minmax" or "none" (DashboardOptions::error_bars); an
  // unknown value keeps the current one and returns false. Kept in the window's settings.
  bool setErrorBars(const QString& errorBars);
  QString errorBars() const;
  // Shows a Figure built elsewhere, with the choosers it offers (task definitions); the tab builds its
  // own from the runs, this is for tests of the choosers with hand-made figures.
  void showFigure(const Figure& figure);

  // Writes the shown figure to `path` (format by suffix, views/figure_export.h) at the DPI chosen in
  // the view; returns the error message, empty on success.
  QString exportTo(const QString& path) const;

  FigureView* figureView() const { return m_figureView; }
  // The runs received last, how many reads were asked for and how many times the figure was rebuilt.
  const std::vector<RunFacts>& runs() const { return m_data->runs; }
  int reloadCount() const { return m_reloadCount; }
  int rebuildCount() const { return m_rebuildCount; }
  // The last error (database or dashboard options), empty when the figure is current.
  const QString& lastError() const { return m_lastError; }

  Q_SIGNAL void figureRebuilt();
  // Forwarded from the figure: the runs behind a clicked point or line (or the brushed ones), and the run
  // of a double-clicked one.
  Q_SIGNAL void runsClicked(const QList<qint64>& runIds);
  Q_SIGNAL void runActivated(qint64 runId);
  // Asks the feed for a fresh read of the database (answered by setData).
  Q_SIGNAL void reloadRequested();

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  void buildControls();
  void scheduleReload();
  void onReloadTimer();
  void reload();
  void rebuildFigure();
  void refreshMetricCombo();
  void refreshSweepCombo();
  void refreshPivotCombos();
  void refreshTaskDefinitionCombo();
  void updateOptionVisibility();
  void showError(const QString& message);
  void chooseExportFile();

  QString m_databasePath;
  std::shared_ptr<const DashboardData> m_data;
  bool m_stale = true;     // the database changed since it was read
  bool m_loading = false;  // a read was asked for and not answered yet
  QTimer* m_reloadTimer = nullptr;
  QElapsedTimer m_sinceReload;
  int m_reloadCount = 0;
  int m_rebuildCount = 0;
  QString m_lastError;
  QString m_lastExportDir;

  QComboBox* m_dashboardCombo = nullptr;
  QComboBox* m_metricCombo = nullptr;
  QComboBox* m_aggregateCombo = nullptr;
  QCheckBox* m_unfinishedCheck = nullptr;
  QCheckBox* m_paperCheck = nullptr;
  QComboBox* m_sweepCombo = nullptr;
  QWidget* m_pivotControls = nullptr;
  QComboBox* m_pivotRowsCombo = nullptr;
  QComboBox* m_pivotColumnsCombo = nullptr;
  QComboBox* m_pivotCellCombo = nullptr;
  QComboBox* m_errorBarsCombo = nullptr;
  QWidget* m_errorBarsControls = nullptr;
  QComboBox* m_taskDefinitionCombo = nullptr;
  QWidget* m_taskDefinitionControls = nullptr;
  // The task definition the user picked (its key); empty: the engine's default, the one with most runs.
  QString m_taskDefinition;
  QSpinBox* m_dpiSpin = nullptr;
  QPushButton* m_exportButton = nullptr;
  QLabel* m_errorLabel = nullptr;
  FigureView* m_figureView = nullptr;
};

}  // namespace zoolab
