#pragma once

// Maintenance of the run_summary table (internal to engine/store): one row per (run, key) with the last,
// min, max and best value, updated incrementally on every append and rebuilt after a truncation.
// lower_is_better and has_best, the store's notion of a metric's direction, are shared with the
// dashboards and the CLI.

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/store/records.h"

struct sqlite3;

namespace zoolab {

class SqliteStatement;

// SQLite stores a NaN as NULL; these map NULL back to NaN so a diverged loss survives the round trip.
double nullable_real(const SqliteStatement& row, int column);
void bind_nullable_real(SqliteStatement& statement, int index, double value);

// Keys containing "loss" or "perplexity" (text runs) improve downwards, everything else (accuracies)
// upwards.
bool lower_is_better(const std::string& key);
// Whether a best value means something for `key`: a metric with a direction (accuracy, loss,
// perplexity). Schedule values and bookkeeping (train/learning_rate, train/grad_norm, tokens_per_s,
// epoch) have none: the store keeps a best for every key, but it is reported as last only.
bool has_best(const std::string& key);

// Summaries of the (run, key) pairs touched by a batch: loaded from run_summary on first use, updated
// point by point in memory, written back once. Use inside the caller's transaction.
class SummaryCache {
 public:
  explicit SummaryCache(sqlite3* db) : m_db(db) {}
  void add(const MetricPoint& point);
  void write();

 private:
  struct Entry {
    MetricSummary summary;
    bool has_last = false;   // a point has been seen (last may still be NaN)
    bool has_range = false;  // a finite or infinite (non-NaN) value has been seen
  };
  Entry& entry(int64_t run, const std::string& key);

  sqlite3* m_db;
  std::map<std::pair<int64_t, std::string>, Entry> m_entries;
};

std::vector<MetricSummary> read_summaries(sqlite3* db, int64_t run);
// Every run's summaries in one query (a first read of thousands of runs), by run id.
std::unordered_map<int64_t, std::vector<MetricSummary>> read_all_summaries(sqlite3* db);

}  // namespace zoolab
