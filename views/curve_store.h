#pragma once

// The metric histories the curve view draws, per run and metric key, as parallel arrays that only grow.
// Fed from the engine's plain MetricPoint rows (engine/store/records.h): the GUI's poller hands over the
// rows after the last id it saw (Store::metrics_since) and, for a run it did not hold yet, the run's full
// history (Store::metrics(run)). Plain C++, no Qt: readers remember how many points they have consumed and
// take only the new ones.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/store/records.h"

namespace zoolab {

// One metric of one run, in the order its rows were written.
struct CurveSeries {
  std::vector<int64_t> steps;
  std::vector<int64_t> epochs;
  std::vector<double> wallTimes;  // seconds since the run started training
  std::vector<double> values;
  // Row id of the last point: rows with an id at or below it are already here (duplicates are skipped).
  int64_t lastId = 0;
  // Changes when the series is replaced (setRunHistory, removeRun): a reader that consumed a prefix of the
  // old arrays must start over.
  uint64_t generation = 0;

  size_t size() const { return values.size(); }
};

// The capacity to give arrays that hold `size` points of a series that may still grow: a little more,
// so that the next live rows are appended without copying a long history.
size_t growthCapacity(size_t size);

class CurveStore {
 public:
  using SeriesId = std::pair<int64_t, std::string>;  // (run id, metric key)

  // Appends the rows to their series, in the order given. A row whose id is not above its series' lastId is
  // a duplicate (the poller may hand over rows a full history already contained) and is skipped; rows
  // with id 0 (not from a database) are always appended.
  // Returns the series that grew, each once, in order of first appearance.
  std::vector<SeriesId> append(const std::vector<MetricPoint>& points);

  // Replaces everything held for `runId` with its full history (rows of other runs are ignored). Returns the
  // series of the run after the replacement (all of them changed generation).
  std::vector<SeriesId> setRunHistory(int64_t runId, const std::vector<MetricPoint>& points);

  // Forgets a run (a deleted run, or memory to give back).
  void removeRun(int64_t runId);
  // Forgets everything, lastId() included (another database).
  void clear();

  bool hasRun(int64_t runId) const { return m_runs.count(runId) != 0; }
  // nullptr when the run has no point of that key.
  const CurveSeries* series(int64_t runId, const std::string& key) const;

  // Every key of every run, sorted: the metric chooser's list.
  std::vector<std::string> keys() const;
  // The keys of one run, sorted (empty for an unknown run).
  std::vector<std::string> keys(int64_t runId) const;
  // Highest row id seen: the `after_id` for the next Store::metrics_since.
  int64_t lastId() const { return m_lastId; }
  // Points held, all series together.
  size_t pointCount() const { return m_pointCount; }

 private:
  using RunSeries = std::map<std::string, CurveSeries, std::less<>>;

  CurveSeries& seriesFor(int64_t runId, const std::string& key);
  // Appends one row to `series` unless it is a duplicate; true when appended.
  bool appendPoint(CurveSeries& series, const MetricPoint& point);

  std::map<int64_t, RunSeries> m_runs;
  // How many series of all runs have each key, so keys() needs no scan and a vanished key disappears.
  std::map<std::string, int, std::less<>> m_keyUse;
  int64_t m_lastId = 0;
  size_t m_pointCount = 0;
  uint64_t m_nextGeneration = 1;
  // The series of the previous row: the trainer writes each key's rows in bursts, so most lookups hit.
  int64_t m_cachedRun = 0;
  const std::string* m_cachedKey = nullptr;
  CurveSeries* m_cachedSeries = nullptr;
};

}  // namespace zoolab
