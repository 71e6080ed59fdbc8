// zoolab: the Qt 6 workbench over the run database. It lists runs; training happens in zoolab-cli
// processes (DESIGN §2), so closing this window never stops a run.
//
//   zoolab [--db FILE]

#include <exception>

#include <QApplication>
#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QFileInfo>

#include "app/gui/main_window.h"
#include "app/gui/settings.h"
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
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("zoolab"));
  QApplication::setApplicationName(QStringLiteral("zoolab"));
  QApplication::setApplicationVersion(QStringLiteral(ZOOLAB_VERSION));

  QCommandLineParser parser;
  parser.setApplicationDescription(
      QStringLiteral("Workbench for the Zoology MQAR study: lists the runs of a zoolab database.\n"
                     "Start runs with `zoolab-cli train`; they appear here while they train."));
  parser.addHelpOption();
  parser.addVersionOption();
  const QCommandLineOption dbOption(
      QStringList{QStringLiteral("db")},
      QStringLiteral("The run database (default: $ZOOLAB_DB, else the last one opened, else "
                     "~/.local/share/zoolab/zoolab.sqlite). Created if missing."),
      QStringLiteral("FILE"));
  parser.addOption(dbOption);
  parser.process(app);

  zoolab::Settings settings;
  zoolab::MainWindow window(settings);
  window.openDatabase(chooseDatabasePath(parser, dbOption, settings));
  window.show();
  return app.exec();
}
