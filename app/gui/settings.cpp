#include "app/gui/settings.h"

#include <QVariantMap>
#include <QtGlobal>

#include "views/database_poller.h"

namespace zoolab {

namespace {

// Keys live here only; renaming one loses the user's value, so treat them as a file format.
constexpr char kLastDatabasePath[] = "database/lastPath";
constexpr char kPollIntervalMs[] = "database/pollIntervalMs";
constexpr char kMainWindowGeometry[] = "mainWindow/geometry";
constexpr char kMainWindowState[] = "mainWindow/state";
constexpr char kRunTableHeaderState[] = "runTable/headerState";
constexpr char kRunTableColumns[] = "runTable/addedColumns";
constexpr char kWorkerSlots[] = "worker/slots";
constexpr char kWorkerThreads[] = "worker/threads";
constexpr char kTheme[] = "appearance/theme";
constexpr char kMainSplitterState[] = "mainWindow/splitterState";
constexpr char kCurrentTab[] = "mainWindow/currentTab";
constexpr char kDashboardErrorBars[] = "dashboards/errorBars";
constexpr char kCurveSmoothing[] = "curves/smoothing";

constexpr int kMaxWorkerSlots = 64;
constexpr int kMaxWorkerThreads = 1024;

constexpr int kMinPollIntervalMs = 100;  // at most a few reads a second
constexpr int kMaxPollIntervalMs = 60000;

}  // namespace

Settings::Settings() : m_settings(QSettings::NativeFormat, QSettings::UserScope, "zoolab", "zoolab") {}

Settings::Settings(const QString& fileName) : m_settings(fileName, QSettings::IniFormat) {}

QString Settings::lastDatabasePath() const {
  return m_settings.value(kLastDatabasePath).toString();
}

void Settings::setLastDatabasePath(const QString& path) {
  m_settings.setValue(kLastDatabasePath, path);
}

int Settings::pollIntervalMs() const {
  bool ok = false;
  const int value = m_settings.value(kPollIntervalMs, DatabasePoller::kDefaultIntervalMs).toInt(&ok);
  return ok ? qBound(kMinPollIntervalMs, value, kMaxPollIntervalMs) : DatabasePoller::kDefaultIntervalMs;
}

void Settings::setPollIntervalMs(int milliseconds) {
  m_settings.setValue(kPollIntervalMs, qBound(kMinPollIntervalMs, milliseconds, kMaxPollIntervalMs));
}

QByteArray Settings::mainWindowGeometry() const {
  return m_settings.value(kMainWindowGeometry).toByteArray();
}

void Settings::setMainWindowGeometry(const QByteArray& geometry) {
  m_settings.setValue(kMainWindowGeometry, geometry);
}

QByteArray Settings::mainWindowState() const {
  return m_settings.value(kMainWindowState).toByteArray();
}

void Settings::setMainWindowState(const QByteArray& state) {
  m_settings.setValue(kMainWindowState, state);
}

QByteArray Settings::runTableHeaderState() const {
  return m_settings.value(kRunTableHeaderState).toByteArray();
}

void Settings::setRunTableHeaderState(const QByteArray& state) {
  m_settings.setValue(kRunTableHeaderState, state);
}

QStringList Settings::runTableColumns() const {
  return m_settings.value(kRunTableColumns).toStringList();
}

void Settings::setRunTableColumns(const QStringList& fields) {
  m_settings.setValue(kRunTableColumns, fields);
}

int Settings::workerSlots() const {
  bool ok = false;
  const int value = m_settings.value(kWorkerSlots, 1).toInt(&ok);
  return ok ? qBound(1, value, kMaxWorkerSlots) : 1;
}

void Settings::setWorkerSlots(int slots) {
  m_settings.setValue(kWorkerSlots, qBound(1, slots, kMaxWorkerSlots));
}

int Settings::workerThreads() const {
  bool ok = false;
  const int value = m_settings.value(kWorkerThreads, 0).toInt(&ok);
  return ok ? qBound(0, value, kMaxWorkerThreads) : 0;
}

void Settings::setWorkerThreads(int threads) {
  m_settings.setValue(kWorkerThreads, qBound(0, threads, kMaxWorkerThreads));
}

Settings::Theme Settings::theme() const {
  const QString value = m_settings.value(kTheme).toString();
  if (value == QLatin1String("light")) {
    return Theme::Light;
  }
  if (value == QLatin1String("dark")) {
    return Theme::Dark;
  }
  return Theme::System;  // also for a value a newer version wrote
}

void Settings::setTheme(Theme theme) {
  switch (theme) {
    case Theme::Light:
      m_settings.setValue(kTheme, QStringLiteral("light"));
      break;
    case Theme::Dark:
      m_settings.setValue(kTheme, QStringLiteral("dark"));
      break;
    case Theme::System:
      m_settings.setValue(kTheme, QStringLiteral("system"));
      break;
  }
}

QByteArray Settings::mainSplitterState() const {
  return m_settings.value(kMainSplitterState).toByteArray();
}

void Settings::setMainSplitterState(const QByteArray& state) {
  m_settings.setValue(kMainSplitterState, state);
}

int Settings::currentTab() const {
  return qMax(0, m_settings.value(kCurrentTab, 0).toInt());
}

void Settings::setCurrentTab(int index) {
  m_settings.setValue(kCurrentTab, index);
}

QString Settings::dashboardErrorBars() const {
  const QString value = m_settings.value(kDashboardErrorBars).toString();
  const bool known =
      value == QLatin1String("std") || value == QLatin1String("minmax") || value == QLatin1String("none");
  return known ? value : QStringLiteral("std");
}

void Settings::setDashboardErrorBars(const QString& errorBars) {
  m_settings.setValue(kDashboardErrorBars, errorBars);
}

QHash<QString, double> Settings::curveSmoothing() const {
  QHash<QString, double> weights;
  const QVariantMap stored = m_settings.value(kCurveSmoothing).toMap();
  for (auto it = stored.cbegin(); it != stored.cend(); ++it) {
    bool ok = false;
    const double weight = it.value().toDouble(&ok);
    if (ok) {
      weights.insert(it.key(), weight);  // CurvePlot clamps it
    }
  }
  return weights;
}

void Settings::setCurveSmoothing(const QHash<QString, double>& weights) {
  QVariantMap stored;
  for (auto it = weights.cbegin(); it != weights.cend(); ++it) {
    stored.insert(it.key(), it.value());
  }
  m_settings.setValue(kCurveSmoothing, stored);
}

FigureStyle Settings::figureStyle() const {
  return FigureStyle::load(m_settings);
}

void Settings::setFigureStyle(const FigureStyle& style) {
  style.save(m_settings);
}

void Settings::sync() {
  m_settings.sync();
}

}  // namespace zoolab
