#include "views/curve_store.h"

#include <algorithm>

namespace zoolab {

size_t growthCapacity(size_t size) {
  return size + size / 8 + 4096;
}

CurveSeries& CurveStore::seriesFor(int64_t runId, const std::string& key) {
  if (m_cachedSeries != nullptr && m_cachedRun == runId && *m_cachedKey == key) {
    return *m_cachedSeries;
  }
  RunSeries& run = m_runs[runId];
  auto found = run.find(key);
  if (found == run.end()) {
    found = run.emplace(key, CurveSeries{}).first;
    found->second.generation = m_nextGeneration++;
    ++m_keyUse[key];
  }
  // std::map nodes never move, so the cached pointers stay valid until the series is erased.
  m_cachedRun = runId;
  m_cachedKey = &found->first;
  m_cachedSeries = &found->second;
  return found->second;
}

bool CurveStore::appendPoint(CurveSeries& series, const MetricPoint& point) {
  if (point.id > 0 && point.id <= series.lastId) {
    return false;
  }
  series.steps.push_back(point.step);
  series.epochs.push_back(point.epoch);
  series.wallTimes.push_back(point.wall_time);
  series.values.push_back(point.value);
  series.lastId = std::max(series.lastId, point.id);
  m_lastId = std::max(m_lastId, point.id);
  ++m_pointCount;
  return true;
}

std::vector<CurveStore::SeriesId> CurveStore::append(const std::vector<MetricPoint>& points) {
  std::vector<SeriesId> grown;
  std::set<const CurveSeries*> seen;
  const CurveSeries* lastGrown = nullptr;
  for (const MetricPoint& point : points) {
    CurveSeries& series = seriesFor(point.run_id, point.key);
    if (!appendPoint(series, point) || &series == lastGrown) {
      continue;
    }
    lastGrown = &series;
    if (seen.insert(&series).second) {
      grown.emplace_back(point.run_id, point.key);
    }
  }
  return grown;
}

std::vector<CurveStore::SeriesId> CurveStore::setRunHistory(int64_t runId,
                                                            const std::vector<MetricPoint>& points) {
  removeRun(runId);
  RunSeries& run = m_runs[runId];  // an empty history still marks the run as loaded (hasRun)
  // A run has a handful of keys: find each row's series by a linear scan of them, and size every series
  // once before filling it (histories reach millions of rows).
  struct KeyCount {
    const std::string* key;
    size_t count;
    CurveSeries* series;
  };
  std::vector<KeyCount> keys;
  auto find = [&keys](const std::string& key) -> KeyCount* {
    for (KeyCount& entry : keys) {
      if (entry.key->size() == key.size() && *entry.key == key) {
        return &entry;
      }
    }
    return nullptr;
  };
  for (const MetricPoint& point : points) {
    if (point.run_id != runId) {
      continue;
    }
    if (KeyCount* entry = find(point.key)) {
      ++entry->count;
    } else {
      keys.push_back({&point.key, 1, nullptr});
    }
  }
  for (KeyCount& entry : keys) {
    entry.series = &seriesFor(runId, *entry.key);
    // Room to grow, so the rows of the next polls of a running run do not copy the whole history.
    const size_t capacity = growthCapacity(entry.count);
    entry.series->steps.reserve(capacity);
    entry.series->epochs.reserve(capacity);
    entry.series->wallTimes.reserve(capacity);
    entry.series->values.reserve(capacity);
  }
  for (const MetricPoint& point : points) {
    if (point.run_id == runId) {
      appendPoint(*find(point.key)->series, point);
    }
  }
  std::vector<SeriesId> replaced;
  for (const auto& entry : run) {
    replaced.emplace_back(runId, entry.first);
  }
  return replaced;
}

void CurveStore::removeRun(int64_t runId) {
  auto run = m_runs.find(runId);
  if (run == m_runs.end()) {
    return;
  }
  for (const auto& entry : run->second) {
    m_pointCount -= entry.second.size();
    auto use = m_keyUse.find(entry.first);
    if (--use->second == 0) {
      m_keyUse.erase(use);
    }
  }
  m_runs.erase(run);
  m_cachedSeries = nullptr;
  m_cachedKey = nullptr;
}

void CurveStore::clear() {
  m_runs.clear();
  m_keyUse.clear();
  m_pointCount = 0;
  m_lastId = 0;
  m_cachedSeries = nullptr;
  m_cachedKey = nullptr;
}

const CurveSeries* CurveStore::series(int64_t runId, const std::string& key) const {
  auto run = m_runs.find(runId);
  if (run == m_runs.end()) {
    return nullptr;
  }
  auto found = run->second.find(key);
  return found == run->second.end() ? nullptr : &found->second;
}

std::vector<std::string> CurveStore::keys() const {
  std::vector<std::string> keys;
  keys.reserve(m_keyUse.size());
  for (const auto& entry : m_keyUse) {
    keys.push_back(entry.first);
  }
  return keys;
}

std::vector<std::string> CurveStore::keys(int64_t runId) const {
  std::vector<std::string> keys;
  auto run = m_runs.find(runId);
  if (run != m_runs.end()) {
    for (const auto& entry : run->second) {
      keys.push_back(entry.first);
    }
  }
  return keys;
}

}  // namespace zoolab
