#pragma once

// Buffers a run's metric points and writes them in one transaction at most once a second, with the
// run's progress (epochs, steps): shared by the MQAR and the text trainer, whose per-step points
// would otherwise cost a transaction each.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/store/records.h"

namespace zoolab {

class Store;

class MetricWriter {
 public:
  MetricWriter(Store& store, int64_t run_id);
  void add(const std::string& key, int64_t step, double value, int64_t epoch, double wall_time);
  // flush() when the last one was more than a second ago.
  void flush_if_due(int64_t epochs, int64_t steps);
  // Writes the buffered points and sets the run's progress.
  void flush(int64_t epochs, int64_t steps);

 private:
  using Clock = std::chrono::steady_clock;
  Store& m_store;
  int64_t m_run_id;
  std::vector<MetricPoint> m_points;
  Clock::time_point m_last_flush = Clock::now();
};

}  // namespace zoolab
