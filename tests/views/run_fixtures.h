#pragma once

// Records for the views' tests, written by hand so each test states only the fields it is about.

#include <algorithm>
#include <string>
#include <vector>

#include "engine/inspect/query_records.h"
#include "engine/store/records.h"

namespace zoolab::testing {

inline RunRecord makeRun(int64_t id, const std::string& name, const std::string& mixer,
                         RunStatus status = RunStatus::Finished, int64_t parameters = 0) {
  RunRecord run;
  run.id = id;
  run.name = name;
  run.task = "mqar";
  run.mixer = mixer;
  run.status = status;
  run.num_parameters = parameters;
  run.created_at = "2024-05-0" + std::to_string(1 + id % 9) + "T10:00:00Z";
  return run;
}

inline MetricSummary makeSummary(const std::string& key, double last, double best) {
  MetricSummary summary;
  summary.key = key;
  summary.last = last;
  summary.best = best;
  summary.min = std::min(last, best);
  summary.max = std::max(last, best);
  return summary;
}

inline MetricPoint makePoint(int64_t id, int64_t run, const std::string& key, int64_t step, double value,
                             int64_t epoch = 0, double wallTime = 0.0) {
  MetricPoint point;
  point.id = id;
  point.run_id = run;
  point.key = key;
  point.step = step;
  point.value = value;
  point.epoch = epoch;
  point.wall_time = wallTime;
  return point;
}

// A query at `position` for `key`, whose pair (key at keyPosition, then `target`) is the kvIndex-th.
inline QueryFacts makeQuery(int64_t position, int64_t key, int64_t target, int64_t keyPosition,
                            int64_t kvIndex) {
  QueryFacts query;
  query.position = position;
  query.key = key;
  query.target = target;
  query.key_position = keyPosition;
  query.gap = position - keyPosition;
  query.kv_index = kvIndex;
  return query;
}

}  // namespace zoolab::testing
