#pragma once

// Reads what the Dashboards tab draws from (views/dashboard_view.h): every run's facts with its parsed
// configuration (load_run_facts), the sweeps, and the choices the tab's combos offer. It lives on the
// window's feed thread, like the other feeds (docs/architecture.md#data-path): parsing thousands of
// configurations never holds up the window, and the view only ever receives the finished struct.

#include <memory>
#include <vector>

#include <QObject>
#include <QString>
#include <QStringList>

#include "engine/analysis/run_facts.h"
#include "engine/store/records.h"

namespace zoolab {

class Store;

// The metric the Dashboards tab compares until another is chosen; always among DashboardData::metricKeys.
inline constexpr char kDashboardDefaultMetric[] = "valid/accuracy";

// One read of a database for the Dashboards tab. Plain data: built on the feed's thread, read on the GUI's.
struct DashboardData {
  QString databasePath;  // the database read, so an answer about a database no longer shown is dropped
  QString error;         // why it could not be read (then everything else is empty)
  std::vector<RunFacts> runs;
  std::vector<SweepRecord> sweeps;
  // Every summarised metric key and kDashboardDefaultMetric, sorted.
  QStringList metricKeys;
  // What a pivot table may group by: the run fields, then every configuration path whose value differs
  // between the runs (the others would make a single row or column).
  QStringList pivotFields;
};

class DashboardFeed : public QObject {
  Q_OBJECT

 public:
  // Does not touch the file yet: the first load() opens it.
  explicit DashboardFeed(const QString& databasePath, QObject* parent = nullptr);
  ~DashboardFeed() override;

  // Reads the database and answers loaded, with DashboardData::error set when it cannot be read. Runs on
  // the thread the feed lives on: connect a request signal to it.
  void load();

  // The read itself, for the feed and for tests.
  static DashboardData read(const Store& store);

  Q_SIGNAL void loaded(std::shared_ptr<const zoolab::DashboardData> data);

 private:
  QString m_path;
  std::unique_ptr<Store> m_store;
};

}  // namespace zoolab
