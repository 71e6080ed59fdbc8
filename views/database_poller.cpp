#include "views/database_poller.h"

#include <algorithm>
#include <exception>
#include <tuple>
#include <unordered_map>

#include <QElapsedTimer>
#include <QScopeGuard>
#include <QTimer>

#include "engine/store/store.h"

namespace zoolab {

namespace {

// The cheap fingerprint of a run: what a trainer or the worker changes while it runs (status, progress,
// heartbeat) and what the table and its tooltips show. config_json is left out: it never changes.
bool sameRunState(const RunRecord& a, const RunRecord& b) {
  const auto fields = [](const RunRecord& r) {
    return std::tie(r.id, r.status, r.epochs, r.steps, r.heartbeat_at, r.name, r.mixer, r.task,
                    r.num_parameters, r.state_size, r.started_at, r.finished_at, r.error, r.device, r.tags,
                    r.notes, r.colour);
  };
  return fields(a) == fields(b);
}

bool sameSummaries(const std::vector<MetricSummary>& a, const std::vector<MetricSummary>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    const auto fields = [](const MetricSummary& s) {
      return std::tie(s.key, s.last, s.last_step, s.min, s.max, s.best, s.best_step);
    };
    if (fields(a[i]) != fields(b[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

DatabasePoller::DatabasePoller(const QString& path, QObject* parent)
    : QObject(parent), m_path(path), m_timer(new QTimer(this)) {
  m_timer->setInterval(kDefaultIntervalMs);
  connect(m_timer, &QTimer::timeout, this, &DatabasePoller::poll);
}

DatabasePoller::~DatabasePoller() = default;

int DatabasePoller::interval() const {
  return m_interval;
}

void DatabasePoller::setInterval(int milliseconds) {
  m_interval = milliseconds;
  m_timer->setInterval(milliseconds);
}

void DatabasePoller::start() {
  m_timer->start();
  poll();
}

void DatabasePoller::stop() {
  m_timer->stop();
}

bool DatabasePoller::isActive() const {
  return m_timer->isActive();
}

void DatabasePoller::poll() {
  QElapsedTimer elapsed;
  elapsed.start();
  // A database of thousands of runs takes a while to read: stretch the period so polling keeps to about a
  // tenth of the GUI thread, whatever the size.
  const auto pace = qScopeGuard(
      [&] { m_timer->setInterval(std::max<qint64>(m_interval, kPollBudgetFactor * elapsed.elapsed())); });
  try {
    if (!m_store) {
      openStore();
    }
    std::vector<RunRecord> runs = m_store->list_runs();
    // Sweeps are read again only when a run names one not known yet: their names do not change.
    const bool newSweep = std::any_of(runs.begin(), runs.end(), [&](const RunRecord& run) {
      return run.sweep_id && !m_sweepNames.contains(*run.sweep_id);
    });
    if (newSweep) {
      m_sweepNames.clear();
      for (const SweepRecord& sweep : m_store->list_sweeps()) {
        m_sweepNames.insert(sweep.id, QString::fromStdString(sweep.name));
      }
      Q_EMIT sweepNamesChanged(m_sweepNames);
    }

    // Summaries of a terminal run whose row did not change cannot have changed either (nothing
    // trains it), so they come from the cache; the few queued and running runs are read every poll.
    std::unordered_map<int64_t, size_t> previousRow;
    for (size_t i = 0; i < m_runs.size(); ++i) {
      previousRow.emplace(m_runs[i].id, i);
    }
    bool changed = !m_hasEmitted || runs.size() != m_runs.size();
    // Reading thousands of runs for the first time, one query for all summaries beats one per run.
    const bool readAll = runs.size() > m_runs.size() + kSummariesPerRunLimit;
    std::unordered_map<int64_t, std::vector<MetricSummary>> allSummaries;
    if (readAll) {
      allSummaries = m_store->all_summaries();
    }
    std::vector<std::vector<MetricSummary>> summaries(runs.size());
    for (size_t i = 0; i < runs.size(); ++i) {
      const RunRecord& run = runs[i];
      const auto previous = previousRow.find(run.id);
      const bool known = previous != previousRow.end() && sameRunState(run, m_runs[previous->second]);
      changed = changed || i >= m_runs.size() || m_runs[i].id != run.id || !known;
      if (known && is_terminal(run.status)) {
        summaries[i] = m_summaries[previous->second];
        continue;
      }
      if (readAll) {
        const auto found = allSummaries.find(run.id);
        if (found != allSummaries.end()) {
          summaries[i] = std::move(found->second);
        }
      } else {
        summaries[i] = m_store->summary(run.id);
      }
      if (!changed && !sameSummaries(summaries[i], m_summaries[previous->second])) {
        changed = true;
      }
    }

    m_lastError.clear();
    if (!changed) {
      return;
    }
    m_runs = std::move(runs);
    m_summaries = std::move(summaries);
    m_hasEmitted = true;
    Q_EMIT runsChanged(m_runs, m_summaries);
  } catch (const std::exception& error) {
    // StoreError for SQLite failures; std::invalid_argument for a status this build does not know
    // (a database written by a newer zoolab).
    reportError(QString::fromStdString(error.what()));
  }
}

void DatabasePoller::openStore() {
  try {
    m_store = std::make_unique<Store>(m_path.toStdString());
  } catch (...) {
    // A file that is not a zoolab database, or from a newer version: polling again will not help.
    m_timer->stop();
    throw;
  }
}

void DatabasePoller::reportError(const QString& message) {
  // After a failure, the next good poll emits even if the runs are unchanged (see errorOccurred).
  m_hasEmitted = false;
  if (message == m_lastError) {
    return;
  }
  m_lastError = message;
  Q_EMIT errorOccurred(message);
}

}  // namespace zoolab
