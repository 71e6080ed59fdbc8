#include "views/dashboard_view.h"

#include <algorithm>
#include <exception>

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QTimer>
#include <QVBoxLayout>

#include "views/figure_view.h"

namespace zoolab {

namespace {

constexpr char kPivotTable[] = "pivot-table";
constexpr char kParallelCoordinates[] = "parallel-coordinates";
// Wide enough for a dotted path such as "model.d_model" before any run was read (a combo without items
// would otherwise size itself to 7 characters and clip the default).
constexpr int kPathComboChars = 18;
constexpr qlonglong kAllRuns = -1;

// "fig2: 12/448 finished, 2 running": how far a sweep is, in the sweep chooser.
QString sweepProgress(const SweepRecord& sweep) {
  QString text = QStringLiteral("%1: %2/%3 finished")
                     .arg(QString::fromStdString(sweep.name))
                     .arg(sweep.finished)
                     .arg(sweep.total);
  if (sweep.running > 0) {
    text += QStringLiteral(", %1 running").arg(sweep.running);
  }
  if (sweep.other > 0) {
    text += QStringLiteral(", %1 stopped").arg(sweep.other);
  }
  return text;
}

// Replaces a combo's entries, keeping its current text (an editable combo may hold a typed path).
void setComboItems(QComboBox* combo, const QStringList& items) {
  const QString current = combo->currentText();
  QStringList shown;
  for (int i = 0; i < combo->count(); ++i) {
    shown.append(combo->itemText(i));
  }
  if (shown == items) {
    return;
  }
  const QSignalBlocker blocker(combo);
  combo->clear();
  combo->addItems(items);
  if (combo->isEditable()) {
    combo->setCurrentText(current);
  } else {
    combo->setCurrentIndex(std::max(0, static_cast<int>(items.indexOf(current))));
  }
}

}  // namespace

DashboardView::DashboardView(QWidget* parent)
    : QWidget(parent), m_data(std::make_shared<const DashboardData>()) {
  m_reloadTimer = new QTimer(this);
  m_reloadTimer->setSingleShot(true);
  connect(m_reloadTimer, &QTimer::timeout, this, &DashboardView::onReloadTimer);
  buildControls();
  updateOptionVisibility();
}

DashboardView::~DashboardView() = default;

void DashboardView::buildControls() {
  m_dashboardCombo = new QComboBox(this);
  m_dashboardCombo->setObjectName(QStringLiteral("dashboardCombo"));
  for (const DashboardInfo& info : dashboard_list()) {
    m_dashboardCombo->addItem(QString::fromStdString(info.title), QString::fromStdString(info.name));
    m_dashboardCombo->setItemData(m_dashboardCombo->count() - 1, QString::fromStdString(info.description),
                                  Qt::ToolTipRole);
  }
  connect(m_dashboardCombo, &QComboBox::currentIndexChanged, this, [this] {
    m_taskDefinition.clear();  // a task definition's key is the dashboard's own: start from the default
    updateOptionVisibility();
    rebuildFigure();
  });

  m_metricCombo = new QComboBox(this);
  m_metricCombo->setObjectName(QStringLiteral("metricCombo"));
  m_metricCombo->setToolTip(tr("The metric compared (a run's value is its summary of this key)"));
  m_metricCombo->addItem(QLatin1String(kDashboardDefaultMetric));
  m_metricCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);

  m_aggregateCombo = new QComboBox(this);
  m_aggregateCombo->setObjectName(QStringLiteral("aggregateCombo"));
  m_aggregateCombo->addItem(tr("last"), QStringLiteral("last"));
  m_aggregateCombo->addItem(tr("best"), QStringLiteral("best"));
  m_aggregateCombo->setToolTip(
      tr("A run's value: its last logged value (Zoology's W&B summary) or its best over training"));

  m_unfinishedCheck = new QCheckBox(tr("Unfinished runs"), this);
  m_unfinishedCheck->setObjectName(QStringLiteral("includeUnfinishedCheck"));
  m_unfinishedCheck->setToolTip(tr("Also show running, cancelled and failed runs that logged the metric"));
  m_paperCheck = new QCheckBox(tr("Paper values"), this);
  m_paperCheck->setObjectName(QStringLiteral("pinPaperCheck"));
  m_paperCheck->setToolTip(tr("Pin the published values beside ours (dashed)"));

  m_sweepCombo = new QComboBox(this);
  m_sweepCombo->setObjectName(QStringLiteral("sweepCombo"));
  m_sweepCombo->addItem(tr("All runs"), kAllRuns);
  m_sweepCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);

  m_pivotRowsCombo = new QComboBox(this);
  m_pivotRowsCombo->setObjectName(QStringLiteral("pivotRowsCombo"));
  m_pivotColumnsCombo = new QComboBox(this);
  m_pivotColumnsCombo->setObjectName(QStringLiteral("pivotColumnsCombo"));
  for (QComboBox* combo : {m_pivotRowsCombo, m_pivotColumnsCombo}) {
    combo->setEditable(true);  // any dotted configuration path may be typed
    combo->setInsertPolicy(QComboBox::NoInsert);
    combo->setToolTip(tr("A run field (mixer, sweep, status) or a dotted configuration path"));
    combo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    combo->setMinimumContentsLength(kPathComboChars);
  }
  const DashboardOptions defaults;
  m_pivotRowsCombo->setCurrentText(QString::fromStdString(defaults.rows));
  m_pivotColumnsCombo->setCurrentText(QString::fromStdString(defaults.columns));
  m_pivotCellCombo = new QComboBox(this);
  m_pivotCellCombo->setObjectName(QStringLiteral("pivotCellCombo"));
  m_pivotCellCombo->addItems(
      {QStringLiteral("best"), QStringLiteral("mean"), QStringLiteral("last"), QStringLiteral("group")});
  m_pivotCellCombo->setToolTip(
      tr("Each cell: the best, mean or newest run value, or the best seed group as mean ± std (n)"));

  m_errorBarsCombo = new QComboBox(this);
  m_errorBarsCombo->setObjectName(QStringLiteral("errorBarsCombo"));
  m_errorBarsCombo->addItem(tr("std"), QStringLiteral("std"));
  m_errorBarsCombo->addItem(tr("min–max"), QStringLiteral("minmax"));
  m_errorBarsCombo->addItem(tr("none"), QStringLiteral("none"));
  m_errorBarsCombo->setToolTip(
      tr("Runs differing only in their seed are drawn as one point, their mean, with an error bar: "
         "mean ± standard deviation, or minimum to maximum"));
  m_errorBarsCombo->setCurrentIndex(
      std::max(0, m_errorBarsCombo->findData(QString::fromStdString(defaults.error_bars))));
  m_errorBarsCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  m_errorBarsControls = new QWidget(this);
  auto* errorBars = new QHBoxLayout(m_errorBarsControls);
  errorBars->setContentsMargins(0, 0, 0, 0);
  errorBars->addWidget(new QLabel(tr("Error bars"), m_errorBarsControls));
  errorBars->addWidget(m_errorBarsCombo);

  m_taskDefinitionCombo = new QComboBox(this);
  m_taskDefinitionCombo->setObjectName(QStringLiteral("taskDefinitionCombo"));
  m_taskDefinitionCombo->setToolTip(
      tr("Runs compare only with runs of the same task definition (data, vocabulary, training budget)"));
  m_taskDefinitionCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  m_taskDefinitionCombo->setMinimumContentsLength(kPathComboChars);
  connect(m_taskDefinitionCombo, &QComboBox::activated, this, [this] {
    m_taskDefinition = m_taskDefinitionCombo->currentData().toString();
    rebuildFigure();
  });
  m_taskDefinitionControls = new QWidget(this);
  auto* taskDefinition = new QHBoxLayout(m_taskDefinitionControls);
  taskDefinition->setContentsMargins(0, 0, 0, 0);
  taskDefinition->addWidget(new QLabel(tr("Task definition"), m_taskDefinitionControls));
  taskDefinition->addWidget(m_taskDefinitionCombo);
  m_taskDefinitionControls->setVisible(false);  // until a figure has two or more

  m_dpiSpin = new QSpinBox(this);
  m_dpiSpin->setObjectName(QStringLiteral("dpiSpin"));
  m_dpiSpin->setRange(FigureExportOptions::kMinDpi, FigureExportOptions::kMaxDpi);
  m_dpiSpin->setValue(FigureExportOptions().dpi);
  m_dpiSpin->setSuffix(tr(" dpi"));
  m_dpiSpin->setToolTip(tr("Resolution of PNG exports (PDF and SVG are vector)"));
  m_exportButton = new QPushButton(tr("Export…"), this);
  m_exportButton->setObjectName(QStringLiteral("exportButton"));
  m_exportButton->setToolTip(tr("Save the figure as PDF or SVG (vector), PNG, or CSV of every point"));
  connect(m_exportButton, &QPushButton::clicked, this, &DashboardView::chooseExportFile);

  for (QComboBox* combo :
       {m_metricCombo, m_aggregateCombo, m_sweepCombo, m_pivotCellCombo, m_errorBarsCombo}) {
    connect(combo, &QComboBox::activated, this, &DashboardView::rebuildFigure);
  }
  for (QComboBox* combo : {m_pivotRowsCombo, m_pivotColumnsCombo}) {
    connect(combo, &QComboBox::activated, this, &DashboardView::rebuildFigure);
    connect(combo->lineEdit(), &QLineEdit::editingFinished, this, &DashboardView::rebuildFigure);
  }
  for (QCheckBox* check : {m_unfinishedCheck, m_paperCheck}) {
    connect(check, &QCheckBox::toggled, this, &DashboardView::rebuildFigure);
  }

  m_pivotControls = new QWidget(this);
  auto* pivot = new QHBoxLayout(m_pivotControls);
  pivot->setContentsMargins(0, 0, 0, 0);
  pivot->addWidget(new QLabel(tr("Rows"), m_pivotControls));
  pivot->addWidget(m_pivotRowsCombo);
  pivot->addWidget(new QLabel(tr("Columns"), m_pivotControls));
  pivot->addWidget(m_pivotColumnsCombo);
  pivot->addWidget(new QLabel(tr("Cell"), m_pivotControls));
  pivot->addWidget(m_pivotCellCombo);

  auto* top = new QHBoxLayout;
  top->addWidget(new QLabel(tr("Dashboard"), this));
  top->addWidget(m_dashboardCombo, 1);
  top->addSpacing(8);
  top->addWidget(new QLabel(tr("Runs"), this));
  top->addWidget(m_sweepCombo, 1);
  top->addSpacing(8);
  top->addWidget(m_dpiSpin);
  top->addWidget(m_exportButton);

  auto* options = new QHBoxLayout;
  options->addWidget(new QLabel(tr("Metric"), this));
  options->addWidget(m_metricCombo);
  options->addWidget(m_aggregateCombo);
  options->addSpacing(8);
  options->addWidget(m_unfinishedCheck);
  options->addWidget(m_paperCheck);
  options->addSpacing(8);
  options->addWidget(m_errorBarsControls);
  options->addStretch(1);

  // The choices only some dashboards or databases have, on a line of their own so the pivot's path
  // boxes get their width.
  auto* more = new QHBoxLayout;
  more->addWidget(m_taskDefinitionControls);
  more->addWidget(m_pivotControls);
  more->addStretch(1);

  m_errorLabel = new QLabel(this);
  m_errorLabel->setObjectName(QStringLiteral("errorLabel"));
  m_errorLabel->setWordWrap(true);
  m_errorLabel->setStyleSheet(QStringLiteral("color: #d32f2f"));
  m_errorLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_errorLabel->setVisible(false);

  m_figureView = new FigureView(this);
  m_figureView->setObjectName(QStringLiteral("figureView"));
  connect(m_figureView, &FigureView::runsClicked, this, &DashboardView::runsClicked);
  connect(m_figureView, &FigureView::runActivated, this, &DashboardView::runActivated);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 6, 6, 6);
  layout->addLayout(top);
  layout->addLayout(options);
  layout->addLayout(more);
  layout->addWidget(m_errorLabel);
  layout->addWidget(m_figureView, 1);
}

// ---- Database ----

void DashboardView::setDatabasePath(const QString& path) {
  if (path == m_databasePath) {
    return;
  }
  m_databasePath = path;
  m_data = std::make_shared<const DashboardData>();
  m_loading = false;  // an answer about the previous database is dropped (setData)
  m_stale = true;
  m_lastError.clear();
  rebuildFigure();  // empty until the runs arrive
  scheduleReload();
}

void DashboardView::setFigureStyle(const FigureStyle& style) {
  m_figureView->setFigureStyle(style);
}

void DashboardView::databaseChanged() {
  m_stale = true;
  scheduleReload();
}

void DashboardView::refresh() {
  m_reloadTimer->stop();
  m_stale = true;
  reload();
  rebuildFigure();
}

void DashboardView::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (m_stale) {
    scheduleReload();
  }
}

void DashboardView::scheduleReload() {
  // A hidden tab reads nothing: showEvent catches up. Rows arriving faster than once a second (a sweep
  // of hundreds of runs finishing epochs) are merged into one read.
  if (!isVisible() || m_databasePath.isEmpty() || m_reloadTimer->isActive()) {
    return;
  }
  const qint64 elapsed = m_sinceReload.isValid() ? m_sinceReload.elapsed() : kMinRebuildIntervalMs;
  m_reloadTimer->start(static_cast<int>(std::max<qint64>(0, kMinRebuildIntervalMs - elapsed)));
}

void DashboardView::onReloadTimer() {
  if (m_stale && isVisible()) {
    reload();  // setData redraws
  }
}

void DashboardView::reload() {
  if (m_databasePath.isEmpty() || !m_stale) {
    return;
  }
  if (m_loading) {
    return;  // m_stale stays set: setData asks again when this answer arrives
  }
  m_sinceReload.start();
  m_stale = false;
  m_loading = true;
  ++m_reloadCount;
  Q_EMIT reloadRequested();
}

void DashboardView::setData(std::shared_ptr<const DashboardData> data) {
  if (!data || data->databasePath != m_databasePath) {
    return;
  }
  m_loading = false;
  if (!data->error.isEmpty()) {
    // The window's status bar reports it too; the next successful read clears it.
    m_data = std::move(data);
    showError(m_data->error);
  } else {
    m_data = std::move(data);
    m_lastError.clear();
    refreshSweepCombo();
    refreshMetricCombo();
    refreshPivotCombos();
    rebuildFigure();
  }
  if (m_stale) {
    scheduleReload();
  }
}

// ---- Options ----

bool DashboardView::setDashboard(const QString& name) {
  const int index = m_dashboardCombo->findData(name);
  if (index < 0) {
    return false;
  }
  m_dashboardCombo->setCurrentIndex(index);  // rebuilds through currentIndexChanged
  return true;
}

QString DashboardView::dashboard() const {
  return m_dashboardCombo->currentData().toString();
}

DashboardOptions DashboardView::options() const {
  DashboardOptions options;
  if (!m_metricCombo->currentText().isEmpty()) {
    options.metric = m_metricCombo->currentText().toStdString();
  }
  options.aggregate = m_aggregateCombo->currentData().toString().toStdString();
  options.include_unfinished = m_unfinishedCheck->isChecked();
  options.pin_paper = m_paperCheck->isChecked();
  const qlonglong sweep = m_sweepCombo->currentData().toLongLong();
  if (sweep != kAllRuns) {
    options.sweep_id = sweep;
  }
  options.rows = m_pivotRowsCombo->currentText().trimmed().toStdString();
  options.columns = m_pivotColumnsCombo->currentText().trimmed().toStdString();
  options.cell = m_pivotCellCombo->currentText().toStdString();
  options.error_bars = errorBars().toStdString();
  options.task_definition = m_taskDefinition.toStdString();
  return options;
}

bool DashboardView::setErrorBars(const QString& errorBars) {
  const int index = m_errorBarsCombo->findData(errorBars);
  if (index < 0) {
    return false;
  }
  if (index != m_errorBarsCombo->currentIndex()) {
    m_errorBarsCombo->setCurrentIndex(index);
    rebuildFigure();
  }
  return true;
}

QString DashboardView::errorBars() const {
  return m_errorBarsCombo->currentData().toString();
}

void DashboardView::showFigure(const Figure& figure) {
  m_figureView->setFigure(figure);
  refreshTaskDefinitionCombo();
}

void DashboardView::refreshTaskDefinitionCombo() {
  // The figure's definitions, the one plotted current; a choice that disappeared from the database falls
  // back to the engine's default.
  const Figure& figure = m_figureView->figure();
  const QSignalBlocker blocker(m_taskDefinitionCombo);
  m_taskDefinitionCombo->clear();
  for (const FigureTaskDefinition& definition : figure.task_definitions) {
    const QString runs = definition.runs == 1 ? tr("1 run") : tr("%1 runs").arg(definition.runs);
    m_taskDefinitionCombo->addItem(
        QStringLiteral("%1 (%2)").arg(QString::fromStdString(definition.label), runs),
        QString::fromStdString(definition.key));
  }
  const QString plotted = QString::fromStdString(figure.task_definition);
  m_taskDefinitionCombo->setCurrentIndex(std::max(0, m_taskDefinitionCombo->findData(plotted)));
  if (!m_taskDefinition.isEmpty() && m_taskDefinitionCombo->findData(m_taskDefinition) < 0) {
    m_taskDefinition.clear();
  }
  m_taskDefinitionControls->setVisible(figure.task_definitions.size() >= 2);
}

void DashboardView::refreshMetricCombo() {
  setComboItems(m_metricCombo, m_data->metricKeys);
}

void DashboardView::refreshSweepCombo() {
  const qlonglong current = m_sweepCombo->currentData().toLongLong();
  const QSignalBlocker blocker(m_sweepCombo);
  m_sweepCombo->clear();
  m_sweepCombo->addItem(tr("All runs"), kAllRuns);
  for (const SweepRecord& sweep : m_data->sweeps) {
    m_sweepCombo->addItem(sweepProgress(sweep), static_cast<qlonglong>(sweep.id));
  }
  m_sweepCombo->setCurrentIndex(std::max(0, m_sweepCombo->findData(current)));
}

void DashboardView::refreshPivotCombos() {
  setComboItems(m_pivotRowsCombo, m_data->pivotFields);
  setComboItems(m_pivotColumnsCombo, m_data->pivotFields);
}

void DashboardView::updateOptionVisibility() {
  const bool pivot = dashboard() == QLatin1String(kPivotTable);
  m_pivotControls->setVisible(pivot);
  // A pivot cell and a parallel-coordinates line are single values: no error bar to choose.
  m_errorBarsControls->setVisible(!pivot && dashboard() != QLatin1String(kParallelCoordinates));
}

// ---- Figure ----

void DashboardView::rebuildFigure() {
  if (m_databasePath.isEmpty()) {
    return;
  }
  if (!m_data->error.isEmpty()) {
    return;  // the database error stays shown until a read succeeds
  }
  ++m_rebuildCount;
  try {
    m_figureView->setFigure(build_dashboard(dashboard().toStdString(), m_data->runs, options()));
    refreshTaskDefinitionCombo();
    m_lastError.clear();
    m_errorLabel->clear();
    m_errorLabel->setVisible(false);
  } catch (const std::exception& error) {
    if (!m_taskDefinition.isEmpty()) {
      // The chosen task definition left the database (its runs deleted): back to the default one.
      m_taskDefinition.clear();
      rebuildFigure();
      return;
    }
    // A bad option (a typed pivot path no run has): say so and keep the last figure.
    showError(QString::fromUtf8(error.what()));
  }
  Q_EMIT figureRebuilt();
}

void DashboardView::showError(const QString& message) {
  m_lastError = message;
  m_errorLabel->setText(message);
  m_errorLabel->setVisible(true);
}

QString DashboardView::exportTo(const QString& path) const {
  FigureExportOptions options;
  options.dpi = m_dpiSpin->value();
  return exportFigure(*m_figureView, path, options);
}

void DashboardView::chooseExportFile() {
  const QString startDir = m_lastExportDir.isEmpty() ? QDir::homePath() : m_lastExportDir;
  const QString suggested = QDir(startDir).filePath(dashboard() + QStringLiteral(".pdf"));
  QString selectedFilter;
  QString path = QFileDialog::getSaveFileName(this, tr("Export Figure"), suggested, figureExportFilters(),
                                              &selectedFilter);
  if (path.isEmpty()) {
    return;
  }
  // A name typed without a suffix takes the chosen filter's ("*.svg" -> ".svg").
  if (QFileInfo(path).suffix().isEmpty()) {
    const int star = selectedFilter.indexOf(QLatin1String("*."));
    if (star >= 0) {
      path += selectedFilter.mid(star + 1, selectedFilter.indexOf(QLatin1Char(')'), star) - star - 1);
    }
  }
  m_lastExportDir = QFileInfo(path).absolutePath();
  const QString error = exportTo(path);
  if (!error.isEmpty()) {
    QMessageBox::warning(this, tr("Export Figure"), error);
  }
}

}  // namespace zoolab
