#include "views/viridis.h"

namespace zoolab {

QCPColorGradient viridis() {
  QCPColorGradient gradient;
  gradient.clearColorStops();
  gradient.setColorStopAt(0.0, QColor(0x44, 0x01, 0x54));
  gradient.setColorStopAt(0.25, QColor(0x3b, 0x52, 0x8b));
  gradient.setColorStopAt(0.5, QColor(0x21, 0x91, 0x8c));
  gradient.setColorStopAt(0.75, QColor(0x5e, 0xc9, 0x62));
  gradient.setColorStopAt(1.0, QColor(0xfd, 0xe7, 0x25));
  gradient.setColorInterpolation(QCPColorGradient::ciRGB);
  gradient.setNanHandling(QCPColorGradient::nhTransparent);
  return gradient;
}

}  // namespace zoolab
