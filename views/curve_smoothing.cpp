#include "views/curve_smoothing.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace zoolab {

namespace {

double checkedWeight(double weight) {
  if (!(weight >= 0.0 && weight <= 1.0)) {  // also rejects NaN
    throw std::invalid_argument(
        "smoothing weight " + std::to_string(weight) +
        " is outside [0, 1]; use 0 for the raw curve and at most 0.999 for the smoothest");
  }
  return weight;
}

// TensorBoard's divisor; it skips the debiasing at weight 1 (it would divide by zero).
double debiasDivisor(double weight, int64_t finiteCount) {
  return weight == 1.0 ? 1.0 : 1.0 - std::pow(weight, static_cast<double>(finiteCount));
}

}  // namespace

std::vector<double> ema_smooth(const std::vector<double>& values, double weight) {
  checkedWeight(weight);
  std::vector<double> smoothed(values.size());
  // TensorBoard compares with == against the first value, so a leading NaN makes the series non-constant.
  bool constant = true;
  for (double value : values) {
    if (!(value == values.front())) {
      constant = false;
      break;
    }
  }
  double last = 0.0;
  int64_t finiteCount = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    const double value = values[i];
    if (constant || !std::isfinite(value)) {
      smoothed[i] = value;
      continue;
    }
    last = last * weight + (1.0 - weight) * value;
    ++finiteCount;
    smoothed[i] = last / debiasDivisor(weight, finiteCount);
  }
  return smoothed;
}

EmaSmoother::EmaSmoother(double weight) : m_weight(checkedWeight(weight)) {}

double EmaSmoother::add(double value) {
  const bool wasConstant = m_constant;
  if (m_size == 0) {
    m_first = value;
  }
  if (!(value == m_first)) {
    m_constant = false;
  }
  ++m_size;
  // A flat series is drawn raw, but its average is kept so smoothing can continue once a value differs.
  m_invalidatedEarlier = wasConstant && !m_constant && m_size > 1;
  if (!std::isfinite(value)) {
    return value;
  }
  m_last = m_last * m_weight + (1.0 - m_weight) * value;
  ++m_finiteCount;
  if (m_constant) {
    return value;
  }
  if (m_debiased) {
    return m_last;  // dividing by exactly 1
  }
  const double debias = debiasDivisor(m_weight, m_finiteCount);
  m_debiased = debias == 1.0;
  return m_last / debias;
}

std::vector<double> EmaSmoother::smoothAll(const std::vector<double>& values) {
  reset();
  std::vector<double> smoothed(values.size());
  size_t constantPrefix = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    smoothed[i] = add(values[i]);
    if (m_invalidatedEarlier) {
      constantPrefix = i;
    }
  }
  if (constantPrefix > 0) {
    // Values before the first differing one were returned raw; smooth them as ema_smooth does for a
    // series that is not constant (a prefix of equal values is averaged like any other).
    double last = 0.0;
    int64_t finiteCount = 0;
    for (size_t i = 0; i < constantPrefix; ++i) {
      if (!std::isfinite(values[i])) {
        continue;
      }
      last = last * m_weight + (1.0 - m_weight) * values[i];
      ++finiteCount;
      smoothed[i] = last / debiasDivisor(m_weight, finiteCount);
    }
  }
  m_invalidatedEarlier = false;
  return smoothed;
}

void EmaSmoother::reset() {
  m_last = 0.0;
  m_finiteCount = 0;
  m_debiased = false;
  m_size = 0;
  m_first = 0.0;
  m_constant = true;
  m_invalidatedEarlier = false;
}

}  // namespace zoolab
