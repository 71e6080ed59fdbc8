#include "tests/engine/tasks/task_statistics.h"

#include <cmath>
#include <fstream>
#include <stdexcept>

namespace zoolab::task_statistics {

nlohmann::json load_fixture(const std::string& relative_path) {
  const std::string path = std::string(ZOOLAB_SOURCE_DIR) + "/" + relative_path;
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("missing fixture " + path);
  }
  return nlohmann::json::parse(in);
}

SegmentConfig fixture_segment(const nlohmann::json& fixture) {
  SegmentConfig segment;
  for (const auto& item : fixture.at("segment").items()) {
    if (item.key() == "task") {
      segment.task = item.value().get<std::string>();
    } else if (item.key() == "input_seq_len") {
      segment.input_seq_len = item.value().get<int64_t>();
    } else if (item.key() == "num_examples") {
      segment.num_examples = item.value().get<int64_t>();
    } else {
      segment.with(item.key(), item.value());
    }
  }
  segment.num_examples = fixture.at("num_examples").get<int64_t>();
  return segment;
}

Histograms fixture_histograms(const nlohmann::json& fixture) {
  Histograms out;
  for (const auto& [name, counts] : fixture.at("histograms").items()) {
    Histogram& h = out[name];
    for (const auto& [value, count] : counts.items()) {
      h[std::stoll(value)] = count.get<double>();
    }
  }
  return out;
}

double total_variation(const Histogram& a, const Histogram& b) {
  double total_a = 0.0, total_b = 0.0;
  for (const auto& [value, count] : a) {
    total_a += count;
  }
  for (const auto& [value, count] : b) {
    total_b += count;
  }
  if (!(total_a > 0.0) || !(total_b > 0.0)) {
    return 1.0;
  }
  double distance = 0.0;
  for (const auto& [value, count] : a) {
    const auto other = b.find(value);
    distance += std::abs(count / total_a - (other == b.end() ? 0.0 : other->second / total_b));
  }
  for (const auto& [value, count] : b) {
    if (a.find(value) == a.end()) {
      distance += count / total_b;
    }
  }
  return distance / 2.0;
}

Histograms standard_histograms(const TokenSegment& segment) {
  Histograms out;
  const int64_t L = segment.seq_len;
  for (int64_t n = 0; n < segment.num_examples; ++n) {
    int64_t labelled = 0;
    for (int64_t t = 0; t < L; ++t) {
      const int64_t input = segment.inputs[static_cast<size_t>(n * L + t)];
      const int64_t label = segment.labels[static_cast<size_t>(n * L + t)];
      out["input_token"][input] += 1;
      if (label != kIgnoreLabel) {
        ++labelled;
        out["label_position"][t] += 1;
        out["label_token"][label] += 1;
      }
    }
    out["label_count"][labelled] += 1;
  }
  return out;
}

}  // namespace zoolab::task_statistics
