#pragma once

// The Dashboards tab: pick a comparison dashboard (engine/analysis/dashboards.h) and its options, see it
// drawn as a publication figure (FigureView), export it. The figure comes from build_dashboard over the
// runs' summaries, the same function `zoolab --export` and `zoolab-cli dashboard` call, so the window
// shows exactly the runs and values they write.
//
// It updates live: the window calls databaseChanged() whenever its poller sees runs or summaries change,
// and the view rereads the database (two queries, load_run_facts) at most once per
// kMinRebuildIntervalMs, and only while it is visible; a hidden tab catches up when shown. Changing an
// option redraws from the runs already read.

#include <memory>
#include <optional>
#include <vector>

#include <QElapsedTimer>
#include <QString>
#include <QStringList>
#include <QWidget>

#include "engine/analysis/dashboards.h"
#include "engine/analysis/run_facts.h"
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
class Store;

class DashboardView : public QWidget {
  Q_OBJECT

 public:
  static constexpr int kMinRebuildIntervalMs = 1000;

  // Child widgets carry these object names: "dashboardCombo", "metricCombo", "aggregateCombo",
  // "includeUnfinishedCheck", "pinPaperCheck", "sweepCombo", "pivotRowsCombo", "pivotColumnsCombo",
  // "pivotCellCombo", "dpiSpin", "exportButton", "errorLabel", "figureView".
  explicit DashboardView(QWidget* parent = nullptr);
  ~DashboardView() override;

  // Shows the runs of another database (read when the view is next visible).
  void setDatabasePath(const QString& path);
  const QString& databasePath() const { return m_databasePath; }
  void setFigureStyle(const FigureStyle& style);

  // The runs or their summaries changed: reread within kMinRebuildIntervalMs if visible, else when shown.
  void databaseChanged();
  // Rereads the database and redraws now.
  void refresh();

  // The dashboard shown, by name ("accuracy-vs-width"); false for an unknown name.
  bool setDashboard(const QString& name);
  QString dashboard() const;
  // The options as the controls set them.
  DashboardOptions options() const;

  // Writes the shown figure to `path` (format by suffix, views/figure_export.h) at the DPI chosen in
  // the view; returns the error message, empty on success.
  QString exportTo(const QString& path) const;

  FigureView* figureView() const { return m_figureView; }
  // The runs read last, and how many times the database was read and the figure rebuilt.
  const std::vector<RunFacts>& runs() const { return m_runs; }
  int reloadCount() const { return m_reloadCount; }
  int rebuildCount() const { return m_rebuildCount; }
  // The last error (database or dashboard options), empty when the figure is current.
  const QString& lastError() const { return m_lastError; }

  Q_SIGNAL void figureRebuilt();

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  void buildControls();
  void scheduleReload();
  void onReloadTimer();
  void reload();
  void rebuildFigure();
  void refreshMetricCombo();
  void refreshSweepCombo(const std::vector<SweepRecord>& sweeps);
  void refreshPivotCombos();
  void updateOptionVisibility();
  void showError(const QString& message);
  void chooseExportFile();

  QString m_databasePath;
  std::unique_ptr<Store> m_store;
  std::vector<RunFacts> m_runs;
  bool m_stale = true;  // the database changed since it was read
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
  QSpinBox* m_dpiSpin = nullptr;
  QPushButton* m_exportButton = nullptr;
  QLabel* m_errorLabel = nullptr;
  FigureView* m_figureView = nullptr;
};

}  // namespace zoolab
