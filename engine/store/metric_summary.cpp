#include "engine/store/metric_summary.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/store/sqlite_statement.h"

namespace zoolab {

double nullable_real(const SqliteStatement& row, int column) {
  return row.is_null(column) ? std::numeric_limits<double>::quiet_NaN() : row.column_double(column);
}

void bind_nullable_real(SqliteStatement& statement, int index, double value) {
  if (std::isnan(value)) {
    statement.bind_null(index);
  } else {
    statement.bind(index, value);
  }
}

namespace {

// Columns 0..6 of the summary queries: key, last, last_step, min, max, best, best_step.
MetricSummary read_summary(const SqliteStatement& query) {
  MetricSummary s;
  s.key = query.column_utf8(0);
  s.last = nullable_real(query, 1);
  s.last_step = query.column_int64(2);
  s.min = nullable_real(query, 3);
  s.max = nullable_real(query, 4);
  s.best = nullable_real(query, 5);
  s.best_step = query.column_int64(6);
  return s;
}

}  // namespace

bool lower_is_better(const std::string& key) {
  return key.find("loss") != std::string::npos || key.find("perplexity") != std::string::npos;
}

bool has_best(const std::string& key) {
  return lower_is_better(key) || key.find("accuracy") != std::string::npos;
}

SummaryCache::Entry& SummaryCache::entry(int64_t run, const std::string& key) {
  const auto found = m_entries.find({run, key});
  if (found != m_entries.end()) {
    return found->second;
  }
  Entry& created = m_entries[{run, key}];
  created.summary.key = key;
  SqliteStatement query(m_db,
                        "SELECT key, last, last_step, min, max, best, best_step FROM run_summary "
                        "WHERE run_id = ? AND key = ?");
  query.bind(1, run).bind(2, key);
  if (query.step()) {
    created.summary = read_summary(query);
    created.has_last = true;
    created.has_range = !query.is_null(3);  // min
  }
  return created;
}

void SummaryCache::add(const MetricPoint& point) {
  Entry& e = entry(point.run_id, point.key);
  MetricSummary& s = e.summary;
  // ">=": of two points at the same step the later one is the current value (e.g. a re-evaluation).
  if (!e.has_last || point.step >= s.last_step) {
    s.last = point.value;
    s.last_step = point.step;
    e.has_last = true;
  }
  if (std::isnan(point.value)) {
    return;  // a NaN has no place in min, max or best
  }
  if (!e.has_range) {
    s.min = s.max = s.best = point.value;
    s.best_step = point.step;
    e.has_range = true;
    return;
  }
  s.min = std::min(s.min, point.value);
  s.max = std::max(s.max, point.value);
  // Strict: the best step is where the best value was first reached.
  const bool better = lower_is_better(point.key) ? point.value < s.best : point.value > s.best;
  if (better) {
    s.best = point.value;
    s.best_step = point.step;
  }
}

void SummaryCache::write() {
  SqliteStatement upsert(m_db,
                         "INSERT OR REPLACE INTO run_summary (run_id, key, last, last_step, min, max, best, "
                         "best_step) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& [id, e] : m_entries) {
    const MetricSummary& s = e.summary;
    upsert.reset();
    upsert.bind(1, id.first).bind(2, id.second);
    bind_nullable_real(upsert, 3, s.last);
    upsert.bind(4, s.last_step);
    bind_nullable_real(upsert, 5, e.has_range ? s.min : nan);
    bind_nullable_real(upsert, 6, e.has_range ? s.max : nan);
    bind_nullable_real(upsert, 7, e.has_range ? s.best : nan);
    upsert.bind(8, s.best_step);
    upsert.run();
  }
}

std::vector<MetricSummary> read_summaries(sqlite3* db, int64_t run) {
  SqliteStatement query(db,
                        "SELECT key, last, last_step, min, max, best, best_step FROM run_summary "
                        "WHERE run_id = ? ORDER BY key");
  query.bind(1, run);
  std::vector<MetricSummary> summaries;
  while (query.step()) {
    summaries.push_back(read_summary(query));
  }
  return summaries;
}

std::unordered_map<int64_t, std::vector<MetricSummary>> read_all_summaries(sqlite3* db) {
  SqliteStatement query(db,
                        "SELECT key, last, last_step, min, max, best, best_step, run_id FROM run_summary "
                        "ORDER BY run_id, key");
  std::unordered_map<int64_t, std::vector<MetricSummary>> summaries;
  while (query.step()) {
    summaries[query.column_int64(7)].push_back(read_summary(query));
  }
  return summaries;
}

}  // namespace zoolab
