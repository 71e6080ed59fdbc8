#pragma once

// How the text views write a measured number: fixed decimals, a dash for a value that is not finite (no
// tokens of that kind, a division by zero), and an explicit sign for differences between runs.

#include <cmath>

#include <QString>

namespace zoolab {

inline QString formatNumber(double value, int decimals = 3) {
  return std::isfinite(value) ? QString::number(value, 'f', decimals) : QStringLiteral("—");
}

inline QString formatSignedNumber(double value, int decimals = 3) {
  if (!std::isfinite(value)) {
    return QStringLiteral("—");
  }
  return (value > 0 ? QStringLiteral("+") : QString()) + QString::number(value, 'f', decimals);
}

}  // namespace zoolab
