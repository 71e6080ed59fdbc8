#include "app/gui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>

#include "app/gui/settings.h"
#include "engine/store/store.h"
#include "views/database_poller.h"
#include "views/run_table_model.h"
#include "views/run_table_view.h"

namespace zoolab {

namespace {

// The preset a newcomer should try first (resources/presets/mqar-quick.json).
constexpr char kFirstRunCommand[] = "zoolab-cli train --preset mqar-quick";

// Quotes a path for a POSIX shell when it needs it, so the command in the status bar can be pasted.
QString shellQuoted(const QString& text) {
  static const QString kSafe = QStringLiteral("+-./:=@_");
  for (const QChar c : text) {
    if (!c.isLetterOrNumber() && !kSafe.contains(c)) {
      QString quoted = text;
      quoted.replace(QLatin1Char('\''), QLatin1String("'\\''"));
      return QLatin1Char('\'') + quoted + QLatin1Char('\'');
    }
  }
  return text;
}

// Whether `path` names the database the CLI uses without --db.
bool isDefaultDatabase(const QString& path) {
  try {
    return QFileInfo(path).absoluteFilePath() ==
           QFileInfo(QString::fromStdString(default_database_path())).absoluteFilePath();
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

MainWindow::MainWindow(Settings& settings, QWidget* parent)
    : QMainWindow(parent),
      m_settings(settings),
      m_runModel(new RunTableModel(this)),
      m_runView(new RunTableView(m_runModel, this)),
      m_databaseLabel(new QLabel(this)),
      m_countLabel(new QLabel(this)) {
  // A little air between the window frame and the filter line and table.
  m_runView->setContentsMargins(6, 6, 6, 0);
  setCentralWidget(m_runView);
  connect(m_runView, &RunTableView::runActivated, this, &MainWindow::onRunActivated);

  // Selectable, so the command to start a first run can be copied from the status bar.
  m_databaseLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_databaseLabel->setMinimumWidth(0);
  m_databaseLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  statusBar()->addWidget(m_databaseLabel, 1);
  statusBar()->addPermanentWidget(m_countLabel);

  createMenus();

  if (!restoreGeometry(m_settings.mainWindowGeometry())) {
    resize(1100, 640);
  }
  restoreState(m_settings.mainWindowState());
  m_runView->restoreHeaderState(m_settings.runTableHeaderState());
}

MainWindow::~MainWindow() = default;

void MainWindow::openDatabase(const QString& path) {
  const QString absolutePath = QFileInfo(path).absoluteFilePath();
  delete m_poller;  // its signals die with it: no late update from the old database
  m_databasePath = absolutePath;
  m_databaseError.clear();
  m_loaded = false;
  m_runModel->setRuns({}, {});
  setWindowTitle(QStringLiteral("zoolab — %1").arg(QDir::toNativeSeparators(absolutePath)));
  m_settings.setLastDatabasePath(absolutePath);

  m_poller = new DatabasePoller(absolutePath, this);
  m_poller->setInterval(m_settings.pollIntervalMs());
  connect(m_poller, &DatabasePoller::runsChanged, this, &MainWindow::onRunsChanged);
  connect(m_poller, &DatabasePoller::errorOccurred, this, &MainWindow::onDatabaseError);
  updateStatus();
  m_poller->start();
}

void MainWindow::closeEvent(QCloseEvent* event) {
  m_settings.setMainWindowGeometry(saveGeometry());
  m_settings.setMainWindowState(saveState());
  m_settings.setRunTableHeaderState(m_runView->saveHeaderState());
  m_settings.sync();
  QMainWindow::closeEvent(event);
}

void MainWindow::createMenus() {
  QMenu* fileMenu = menuBar()->addMenu(tr("&File"));
  QAction* openAction = fileMenu->addAction(tr("&Open Database…"), this, &MainWindow::chooseDatabase);
  openAction->setShortcut(QKeySequence::Open);
  fileMenu->addSeparator();
  QAction* quitAction = fileMenu->addAction(tr("&Quit"), this, &QWidget::close);
  quitAction->setShortcut(QKeySequence::Quit);
  quitAction->setMenuRole(QAction::QuitRole);

  QMenu* viewMenu = menuBar()->addMenu(tr("&View"));
  QAction* refreshAction = viewMenu->addAction(tr("&Refresh"), this, [this] {
    // Also retries a database that failed to open (the poller stops its timer then).
    if (m_poller) {
      m_poller->start();
    }
  });
  refreshAction->setShortcut(QKeySequence::Refresh);

  QMenu* helpMenu = menuBar()->addMenu(tr("&Help"));
  QAction* aboutAction = helpMenu->addAction(tr("&About zoolab"), this, &MainWindow::showAbout);
  aboutAction->setMenuRole(QAction::AboutRole);
  QAction* aboutQtAction = helpMenu->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
  aboutQtAction->setMenuRole(QAction::AboutQtRole);
}

void MainWindow::chooseDatabase() {
  const QString startDir =
      m_databasePath.isEmpty() ? QDir::homePath() : QFileInfo(m_databasePath).absolutePath();
  const QString path = QFileDialog::getOpenFileName(this, tr("Open Database"), startDir,
                                                    tr("zoolab databases (*.sqlite *.db);;All files (*)"));
  if (!path.isEmpty()) {
    openDatabase(path);
  }
}

void MainWindow::showAbout() {
  QMessageBox::about(
      this, tr("About zoolab"),
      tr("<h3>zoolab %1</h3>"
         "<p>A workbench for studying recall in efficient language models: configure attention, "
         "gated-convolution and linear-attention models, train them on multi-query associative recall "
         "(MQAR), and inspect which tokens each model fails to recall.</p>"
         "<p>It reproduces and extends the Zoology study. Please cite:<br>"
         "S. Arora, S. Eyuboglu, et al. <i>Zoology: Measuring and Improving Recall in Efficient Language "
         "Models.</i> arXiv:2312.04927, 2023 (ICLR 2024).</p>"
         "<p>Licensed under the GNU General Public License, version 3 or (at your option) any later "
         "version (GPL-3.0-or-later). It comes with no warranty.</p>")
          .arg(QApplication::applicationVersion()));
}

void MainWindow::onRunsChanged(const std::vector<RunRecord>& runs,
                               const std::vector<std::vector<MetricSummary>>& summaries) {
  m_runModel->setRuns(runs, summaries);
  m_databaseError.clear();
  m_loaded = true;
  updateStatus();
}

void MainWindow::onDatabaseError(const QString& message) {
  m_databaseError = message;
  updateStatus();
}

void MainWindow::onRunActivated(qint64 runId) {
  // The run inspector arrives with a later issue; until then, say which run this is.
  const int row = m_runModel->rowOfRun(runId);
  if (row < 0) {
    return;
  }
  const RunRecord& run = m_runModel->run(row);
  statusBar()->showMessage(
      tr("Run %1 “%2”: %3, %4 epochs, %5 steps")
          .arg(run.id)
          .arg(QString::fromStdString(run.name), QString::fromLatin1(to_string(run.status)))
          .arg(run.epochs)
          .arg(run.steps),
      5000);
}

void MainWindow::updateStatus() {
  const QString path = QDir::toNativeSeparators(m_databasePath);
  m_databaseLabel->setToolTip(path);
  m_databaseLabel->setStyleSheet(QString());
  if (!m_databaseError.isEmpty()) {
    // The store's messages name the file already.
    m_databaseLabel->setStyleSheet(QStringLiteral("color: #d32f2f"));
    m_databaseLabel->setText(tr("Database error: %1").arg(m_databaseError));
    m_countLabel->clear();
    m_runView->setEmptyText(
        tr("<p><b>This database cannot be read.</b></p><p>%1</p>"
           "<p>Open another one with File › Open Database…, or retry with View › Refresh.</p>")
            .arg(m_databaseError.toHtmlEscaped()));
    return;
  }
  if (!m_loaded) {
    m_databaseLabel->setText(tr("Opening %1…").arg(path));
    m_countLabel->clear();
    m_runView->setEmptyText(QString());
    return;
  }
  QString command = QLatin1String(kFirstRunCommand);
  if (!isDefaultDatabase(m_databasePath)) {
    command += QStringLiteral(" --db ") + shellQuoted(m_databasePath);
  }
  m_runView->setEmptyText(tr("<p><b>No runs yet.</b></p><p>Start one from a terminal:</p>"
                             "<p><code>%1</code></p><p>It appears here as soon as it is queued.</p>")
                              .arg(command.toHtmlEscaped()));
  const int runs = m_runModel->rowCount();
  if (runs == 0) {
    m_databaseLabel->setText(tr("%1 has no runs yet. Start one with:  %2").arg(path, command));
    m_countLabel->setText(tr("0 runs"));
    return;
  }
  m_databaseLabel->setText(path);
  const int running = m_runModel->countWithStatus(RunStatus::Running);
  const int queued = m_runModel->countWithStatus(RunStatus::Queued);
  QString count = runs == 1 ? tr("1 run") : tr("%1 runs").arg(runs);
  if (running > 0) {
    count += tr(", %1 running").arg(running);
  }
  if (queued > 0) {
    count += tr(", %1 queued").arg(queued);
  }
  m_countLabel->setText(count);
}

}  // namespace zoolab
