#pragma once

// TensorBoard's scalar smoothing (its "Smoothing" slider): a debiased exponential moving average, so the
// first points are not pulled towards zero. Plain std types: the curve view and its tests share it.

#include <cstdint>
#include <vector>

namespace zoolab {

// TensorBoard's default slider position.
constexpr double kDefaultSmoothingWeight = 0.6;

// The smoothed series, point for point, exactly as TensorBoard's scalar dashboard computes it:
//   last = last * weight + (1 - weight) * value;  smoothed = last / (1 - weight^n)
// where n counts the finite values so far. A non-finite value (NaN, ±inf) is passed through unsmoothed
// and does not enter the average. A series whose values are all equal is returned unchanged (TensorBoard
// does so to avoid rounding noise on a flat line). weight 0 returns the raw values; weight 1 is accepted
// and, as in TensorBoard, gives zeros. Throws std::invalid_argument for a weight outside [0, 1].
std::vector<double> ema_smooth(const std::vector<double>& values, double weight);

// ema_smooth one value at a time, for series that grow while they are watched: after add(v) for each of
// values[0..k], the returned numbers equal ema_smooth(values[0..k]) (the whole prefix) exactly.
class EmaSmoother {
 public:
  // Throws std::invalid_argument for a weight outside [0, 1].
  explicit EmaSmoother(double weight = kDefaultSmoothingWeight);

  double weight() const { return m_weight; }
  // Values added so far.
  int64_t size() const { return m_size; }

  // The smoothed value of `value` appended to the series.
  double add(double value);

  // True right after the add() that made the series stop being constant. ema_smooth leaves a constant
  // series unsmoothed, so every earlier smoothed value has changed then: recompute them with ema_smooth.
  bool invalidatedEarlier() const { return m_invalidatedEarlier; }

  // Forgets the series (keeps the weight).
  void reset();

  // reset(), then add() every value: returns ema_smooth(values) and leaves the smoother ready to continue
  // the series. One pass (plus the constant prefix again when the series stops being constant).
  std::vector<double> smoothAll(const std::vector<double>& values);

 private:
  double m_weight;
  double m_last = 0.0;
  int64_t m_finiteCount = 0;
  // 1 - weight^n has rounded to exactly 1: later n give 1 too, so std::pow is no longer needed.
  bool m_debiased = false;
  int64_t m_size = 0;
  double m_first = 0.0;
  bool m_constant = true;
  bool m_invalidatedEarlier = false;
};

}  // namespace zoolab
