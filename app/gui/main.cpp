// zoolab: the Qt 6 workbench over the run database. Runs are configured and queued here and trained by a
// zoolab-cli worker in the background (DESIGN §2), so closing this window never stops a run.
//
//   zoolab [--db FILE] [--select RUN] [--screenshot OUT.png] [--no-worker]

#include <exception>

#include <QApplication>
#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QIcon>
#include <QTimer>

#include "app/gui/main_window.h"
#include "app/gui/settings.h"
#include "app/gui/theme.h"
#include "engine/store/store.h"

namespace {

// --db, else $ZOOLAB_DB, else the database opened last (if it still exists), else the default
// location the CLI also uses, so a first `zoolab-cli train` and a first `zoolab` meet in one file.
QString chooseDatabasePath(const QCommandLineParser& parser, const QCommandLineOption& dbOption,
                           const zoolab::Settings& settings) {
  if (parser.isSet(dbOption)) {
    return parser.value(dbOption);
  }
  if (!qEnvironmentVariableIsSet("ZOOLAB_DB")) {
    const QString last = settings.lastDatabasePath();
    if (!last.isEmpty() && QFileInfo::exists(last)) {
      return last;
    }
  }
  try {
    return QString::fromStdString(zoolab::default_database_path());
  } catch (const std::exception&) {
    // No usable home folder: fall back to the working directory rather than refusing to start.
    return QStringLiteral("zoolab.sqlite");
  }
}

}  // namespace

int main(int argc, char* argv[]) {
  Q_INIT_RESOURCE(zoolab);
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("zoolab"));
  QApplication::setApplicationName(QStringLiteral("zoolab"));
  QApplication::setApplicationVersion(QStringLiteral(ZOOLAB_VERSION));
  QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/zoolab.svg")));
  QApplication::setDesktopFileName(QStringLiteral("zoolab"));

  QCommandLineParser parser;
  parser.setApplicationDescription(
      QStringLiteral("Workbench for the Zoology MQAR study: configure, queue and watch runs of a zoolab "
                     "database. A background `zoolab-cli worker` trains the queued runs."));
  parser.addHelpOption();
  parser.addVersionOption();
  const QCommandLineOption dbOption(
      QStringList{QStringLiteral("db")},
      QStringLiteral("The run database (default: $ZOOLAB_DB, else the last one opened, else "
                     "~/.local/share/zoolab/zoolab.sqlite). Created if missing."),
      QStringLiteral("FILE"));
  const QCommandLineOption selectOption(QStringList{QStringLiteral("select")},
                                        QStringLiteral("Select a run (id or name) after loading."),
                                        QStringLiteral("RUN"));
  const QCommandLineOption screenshotOption(
      QStringList{QStringLiteral("screenshot")},
      QStringLiteral(
          "Load, render the window into a PNG file and exit (works with QT_QPA_PLATFORM=offscreen). "
          "Starts no worker."),
      QStringLiteral("OUT.png"));
  const QCommandLineOption noWorkerOption(
      QStringList{QStringLiteral("no-worker")},
      QStringLiteral("Do not start a background worker; queued runs wait for `zoolab-cli worker`."));
  parser.addOptions({dbOption, selectOption, screenshotOption, noWorkerOption});
  parser.process(app);

  zoolab::Settings settings;
  zoolab::applyTheme(settings.theme());
  const bool screenshot = parser.isSet(screenshotOption);
  zoolab::MainWindow window(settings);
  window.setWorkerAutostart(!screenshot && !parser.isSet(noWorkerOption));
  window.openDatabase(chooseDatabasePath(parser, dbOption, settings));
  window.show();
  window.pollNow();
  if (parser.isSet(selectOption) && !window.selectRun(parser.value(selectOption))) {
    qWarning("zoolab: no run \"%s\" in %s", qPrintable(parser.value(selectOption)),
             qPrintable(window.databasePath()));
  }
  if (screenshot) {
    const QString out = parser.value(screenshotOption);
    // After the first layout and the coalesced replots have run.
    QTimer::singleShot(600, &window, [&window, out] {
      const bool saved = window.grab().save(out, "PNG");
      if (!saved) {
        qCritical("zoolab: cannot write the screenshot %s", qPrintable(out));
      }
      QApplication::exit(saved ? 0 : 1);
    });
  }
  return app.exec();
}
