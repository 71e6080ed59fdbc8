#include "views/position_ticker.h"

#include <algorithm>
#include <cmath>

namespace zoolab {

namespace {
constexpr int kTickCount = 16;
}  // namespace

PositionTicker::PositionTicker(QStringList labels) : m_labels(std::move(labels)) {
  setTickCount(kTickCount);
}

double PositionTicker::getTickStep(const QCPRange& range) {
  return std::max(1.0, std::ceil(QCPAxisTicker::getTickStep(range)));
}

int PositionTicker::getSubTickCount(double /*tickStep*/) {
  return 0;
}

QString PositionTicker::getTickLabel(double tick, const QLocale& /*locale*/, QChar /*formatChar*/,
                                     int /*precision*/) {
  const long position = std::lround(tick);
  if (std::abs(tick - static_cast<double>(position)) > 1e-6 || position < 0 || position >= m_labels.size()) {
    return QString();
  }
  return m_labels[static_cast<int>(position)];
}

}  // namespace zoolab
