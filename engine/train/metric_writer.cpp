#include "engine/train/metric_writer.h"

#include "engine/store/store.h"

namespace zoolab {

MetricWriter::MetricWriter(Store& store, int64_t run_id) : m_store(store), m_run_id(run_id) {}

void MetricWriter::add(const std::string& key, int64_t step, double value, int64_t epoch, double wall_time) {
  MetricPoint point;
  point.run_id = m_run_id;
  point.key = key;
  point.step = step;
  point.value = value;
  point.epoch = epoch;
  point.wall_time = wall_time;
  m_points.push_back(std::move(point));
}

void MetricWriter::flush_if_due(int64_t epochs, int64_t steps) {
  if (Clock::now() - m_last_flush > std::chrono::seconds(1)) {
    flush(epochs, steps);
  }
}

void MetricWriter::flush(int64_t epochs, int64_t steps) {
  if (!m_points.empty()) {
    m_store.append_metrics(m_points);
    m_points.clear();
  }
  m_store.set_progress(m_run_id, epochs, steps);
  m_last_flush = Clock::now();
}

}  // namespace zoolab
