#include "app/gui/worker_launcher.h"

#include <exception>

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>

#include "engine/store/store.h"

namespace zoolab {

QString WorkerLauncher::findCli() {
  const QString beside = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("zoolab-cli"));
  if (QFileInfo(beside).isExecutable()) {
    return beside;
  }
  const QString fromEnvironment = qEnvironmentVariable("ZOOLAB_CLI");
  if (!fromEnvironment.isEmpty() && QFileInfo(fromEnvironment).isExecutable()) {
    return fromEnvironment;
  }
  return QStandardPaths::findExecutable(QStringLiteral("zoolab-cli"));
}

WorkerLauncher::Result WorkerLauncher::ensureWorker(const Store& store, int slots, int threads) {
  try {
    if (store.live_worker()) {
      return {};
    }
  } catch (const std::exception& error) {
    return {false,
            QCoreApplication::translate("WorkerLauncher", "cannot check for a worker: %1").arg(error.what())};
  }
  const QString cli = findCli();
  if (cli.isEmpty()) {
    return {false, QCoreApplication::translate(
                       "WorkerLauncher",
                       "zoolab-cli was not found beside zoolab, in $ZOOLAB_CLI or on PATH: queued "
                       "runs wait until a worker starts (zoolab-cli worker)")};
  }
  const QString logs = QDir(QString::fromStdString(store.files_dir())).filePath(QStringLiteral("logs"));
  QDir().mkpath(logs);
  QStringList arguments = {QStringLiteral("worker"),
                           QStringLiteral("--db"),
                           QString::fromStdString(store.path()),
                           QStringLiteral("--slots"),
                           QString::number(slots),
                           QStringLiteral("--log"),
                           QDir(logs).filePath(QStringLiteral("worker.log"))};
  if (threads > 0) {
    arguments << QStringLiteral("--threads") << QString::number(threads);
  }
  // Detached: the worker outlives this window (it is re-parented to init when the window exits).
  if (!QProcess::startDetached(cli, arguments)) {
    return {false, QCoreApplication::translate("WorkerLauncher", "could not start %1 worker").arg(cli)};
  }
  return {true, {}};
}

}  // namespace zoolab
