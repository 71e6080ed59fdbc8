#pragma once

// How the text views write a measured number: fixed decimals, a dash for a value that is not finite (no
// tokens of that kind, a division by zero), an explicit sign for differences between runs, and sizes in
// bytes in binary units.

#include <cmath>
#include <cstdint>

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

// A size in bytes in binary units, three significant digits: "512 B", "16 KiB", "1.50 MiB", "2.25 GiB".
// RunRecord::state_size is in bytes (Zoology's state_size: 4 bytes per float of recurrent state).
inline QString formatBytes(std::int64_t bytes) {
  if (bytes < 0) {
    return QStringLiteral("—");
  }
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1023.5 && unit < 5) {  // 1023.5 KiB would print as "1024 KiB": call it 1.00 MiB
    value /= 1024.0;
    ++unit;
  }
  if (unit == 0 || value == std::floor(value)) {
    return QStringLiteral("%1 %2").arg(QString::number(value, 'f', 0), QLatin1String(kUnits[unit]));
  }
  const int decimals = value < 10 ? 2 : (value < 100 ? 1 : 0);
  return QStringLiteral("%1 %2").arg(QString::number(value, 'f', decimals), QLatin1String(kUnits[unit]));
}

}  // namespace zoolab
