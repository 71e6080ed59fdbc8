// zoolab: the Qt 6 workbench over the run database. Runs are configured and queued here and trained by a
// zoolab-cli worker in the background (docs/architecture.md#processes), so closing this window never stops a
// run.
//
//   zoolab [--db FILE] [--select RUN] [--dashboard NAME] [--screenshot OUT.png] [--no-worker]
//   zoolab --list-dashboards
//   zoolab [--db FILE] --export DASHBOARD --out FILE.pdf|.svg|.png|.csv [--dpi N]   (headless)

#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include <QApplication>
#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QIcon>
#include <QTimer>

#include "app/gui/main_window.h"
#include "app/gui/settings.h"
#include "app/gui/theme.h"
#include "engine/analysis/dashboards.h"
#include "engine/store/store.h"
#include "views/dashboard_view.h"
#include "views/figure_export.h"
#include "views/figure_view.h"
#include "zoolab_version.h"

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

// Whether `flag` ("--export") is among the arguments, alone or as "--flag=value". Read before the
// QApplication exists, which needs a display unless told otherwise.
bool hasFlag(int argc, char* argv[], const char* flag) {
  const size_t length = std::strlen(flag);
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], flag, length) == 0 && (argv[i][length] == '\0' || argv[i][length] == '=')) {
      return true;
    }
  }
  return false;
}

// `zoolab --list-dashboards`: name and description, one per line (no display, no database).
int listDashboards() {
  size_t width = 0;
  for (const auto& info : zoolab::dashboard_list()) {
    width = std::max(width, info.name.size());
  }
  for (const auto& info : zoolab::dashboard_list()) {
    std::cout << info.name << std::string(width + 2 - info.name.size(), ' ') << info.description << '\n';
  }
  return 0;
}

// `zoolab --export DASHBOARD --out FILE`: the dashboard of the database drawn as the window draws it
// (FigureView, the user's figure style) and written without showing a window. Exit status 2 for a
// wrong request (unknown dashboard, unsupported suffix, bad --dpi), 1 when the database cannot be read
// or the file written.
int exportDashboard(const QString& databasePath, const QString& name, const QString& out,
                    const QString& dpiText, const zoolab::Settings& settings) {
  QString known;
  bool found = false;
  for (const auto& info : zoolab::dashboard_list()) {
    known += (known.isEmpty() ? QString() : QStringLiteral(", ")) + QString::fromStdString(info.name);
    found = found || QString::fromStdString(info.name) == name;
  }
  if (!found) {
    std::cerr << "zoolab: unknown dashboard \"" << name.toStdString() << "\"; the dashboards are "
              << known.toStdString() << " (see zoolab --list-dashboards)" << std::endl;
    return 2;
  }
  if (out.isEmpty()) {
    std::cerr << "zoolab: --export needs --out FILE (.pdf, .svg, .png or .csv)" << std::endl;
    return 2;
  }
  const QString suffix = QFileInfo(out).suffix().toLower();
  if (!zoolab::figureExportSuffixes().contains(suffix)) {
    std::cerr << "zoolab: cannot export to " << out.toStdString() << ": unsupported format \""
              << (suffix.isEmpty() ? std::string("(no suffix)") : "." + suffix.toStdString())
              << "\"; use a file name ending in .pdf, .svg, .png or .csv" << std::endl;
    return 2;
  }
  zoolab::FigureExportOptions options;
  if (!dpiText.isEmpty()) {
    bool ok = false;
    options.dpi = dpiText.toInt(&ok);
    if (!ok || options.dpi < zoolab::FigureExportOptions::kMinDpi ||
        options.dpi > zoolab::FigureExportOptions::kMaxDpi) {
      std::cerr << "zoolab: --dpi " << dpiText.toStdString() << " is not a whole number from "
                << zoolab::FigureExportOptions::kMinDpi << " to " << zoolab::FigureExportOptions::kMaxDpi
                << std::endl;
      return 2;
    }
  }
  // Exporting reads a database; it must not create an empty one where the user mistyped a path.
  const QFileInfo database(databasePath);
  if (!database.isFile() || !database.isReadable()) {
    std::cerr << "zoolab: cannot read the database " << databasePath.toStdString() << ": "
              << (database.exists() ? "not a readable file" : "no such file") << " (give it with --db FILE)"
              << std::endl;
    return 1;
  }
  zoolab::Figure figure;
  try {
    zoolab::Store store(databasePath.toStdString());
    figure = zoolab::build_dashboard(name.toStdString(), store);
  } catch (const std::exception& error) {
    std::cerr << "zoolab: cannot read the database " << databasePath.toStdString() << ": " << error.what()
              << std::endl;
    return 1;
  }
  zoolab::FigureView view;
  view.setFigureStyle(settings.figureStyle());
  view.setFigure(figure);
  const QString error = zoolab::exportFigure(view, out, options);
  if (!error.isEmpty()) {
    std::cerr << "zoolab: " << error.toStdString() << std::endl;
    return 1;
  }
  for (const std::string& note : figure.notes) {
    std::cerr << "note: " << note << std::endl;
  }
  std::cout << QFileInfo(out).absoluteFilePath().toStdString() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char* argv[]) {
  if (hasFlag(argc, argv, "--list-dashboards")) {
    return listDashboards();
  }
  // An export draws with widgets but shows none: without a display it uses Qt's offscreen platform.
  if (hasFlag(argc, argv, "--export") && !qEnvironmentVariableIsSet("QT_QPA_PLATFORM") &&
      !qEnvironmentVariableIsSet("DISPLAY") && !qEnvironmentVariableIsSet("WAYLAND_DISPLAY")) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
  }
  Q_INIT_RESOURCE(zoolab);
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("zoolab"));
  QApplication::setApplicationName(QStringLiteral("zoolab"));
  QApplication::setApplicationVersion(QLatin1String(zoolab::kVersion));
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
  const QCommandLineOption dashboardOption(
      QStringList{QStringLiteral("dashboard")},
      QStringLiteral("Open the Dashboards tab on this dashboard (see --list-dashboards)."),
      QStringLiteral("NAME"));
  const QCommandLineOption listDashboardsOption(
      QStringList{QStringLiteral("list-dashboards")},
      QStringLiteral("Print the dashboards, name and description, one per line, and exit."));
  const QCommandLineOption exportOption(
      QStringList{QStringLiteral("export")},
      QStringLiteral("Write DASHBOARD of the database to --out without opening a window (headless), print "
                     "the file's path and exit."),
      QStringLiteral("DASHBOARD"));
  const QCommandLineOption outOption(
      QStringList{QStringLiteral("out")},
      QStringLiteral("The file --export writes; its suffix names the format: .pdf or .svg (vector), .png, "
                     ".csv (every data point)."),
      QStringLiteral("FILE"));
  const QCommandLineOption dpiOption(QStringList{QStringLiteral("dpi")},
                                     QStringLiteral("Resolution of a PNG --export (default 300)."),
                                     QStringLiteral("N"));
  parser.addOptions({dbOption, selectOption, screenshotOption, noWorkerOption, dashboardOption,
                     listDashboardsOption, exportOption, outOption, dpiOption});
  parser.process(app);

  zoolab::Settings settings;
  if (parser.isSet(exportOption)) {
    const QString databasePath =
        parser.isSet(dbOption) ? parser.value(dbOption) : chooseDatabasePath(parser, dbOption, settings);
    return exportDashboard(databasePath, parser.value(exportOption), parser.value(outOption),
                           parser.value(dpiOption), settings);
  }
  zoolab::applyTheme(settings.theme());
  const bool screenshot = parser.isSet(screenshotOption);
  zoolab::MainWindow window(settings);
  window.setWorkerAutostart(!screenshot && !parser.isSet(noWorkerOption));
  window.openDatabase(chooseDatabasePath(parser, dbOption, settings));
  window.show();
  window.pollNow();
  if (parser.isSet(dashboardOption)) {
    if (window.dashboardView()->setDashboard(parser.value(dashboardOption))) {
      window.tabs()->setCurrentWidget(window.dashboardView());
    } else {
      qWarning("zoolab: no dashboard \"%s\" (see zoolab --list-dashboards)",
               qPrintable(parser.value(dashboardOption)));
    }
  }
  // --select and the screenshot wait until the window has read the database (its runs, and the worker
  // the status bar names): before the first poll there is nothing to select, and a screenshot taken
  // then would say "no worker" while one serves the database.
  const QString select = parser.isSet(selectOption) ? parser.value(selectOption) : QString();
  const QString out = screenshot ? parser.value(screenshotOption) : QString();
  const auto whenReady = [&window, select, out] {
    if (!select.isEmpty() && !window.selectRun(select)) {
      qWarning("zoolab: no run \"%s\" in %s", qPrintable(select), qPrintable(window.databasePath()));
    }
    if (out.isEmpty()) {
      return;
    }
    // After the selection's details, the first layout and the coalesced replots have run.
    QTimer::singleShot(600, &window, [&window, out] {
      const bool saved = window.grab().save(out, "PNG");
      if (!saved) {
        qCritical("zoolab: cannot write the screenshot %s", qPrintable(out));
      }
      QApplication::exit(saved ? 0 : 1);
    });
  };
  if (window.isReady()) {
    whenReady();
  } else {
    QObject::connect(&window, &zoolab::MainWindow::ready, &window, whenReady, Qt::SingleShotConnection);
  }
  if (screenshot) {
    // A database that never answers (a hung file system) still gives a picture of the window as it is.
    QTimer::singleShot(30000, &window, [&window, out] {
      qWarning("zoolab: the database did not answer in 30 s; taking the screenshot anyway");
      QApplication::exit(window.grab().save(out, "PNG") ? 0 : 1);
    });
  }
  return app.exec();
}
