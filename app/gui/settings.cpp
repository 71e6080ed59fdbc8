#include "app/gui/settings.h"

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

constexpr int kMinPollIntervalMs = 100;  // DESIGN §2: at most a few reads a second
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

void Settings::sync() {
  m_settings.sync();
}

}  // namespace zoolab
