#pragma once

// Axis ticks for sequence positions labelled by their tokens (the Patterns page's heatmap axes).

#include <QStringList>

#include "views/qcustomplot_include.h"

namespace zoolab {

// Integer ticks labelled by position (a token, or the index), spaced as QCustomPlot's own ticker would
// space them but never closer than one cell, so zooming in shows every token and zooming out thins them.
// Ticks are at least this far apart in count (about 16 a view), so token labels never overlap.
class PositionTicker : public QCPAxisTicker {
 public:
  explicit PositionTicker(QStringList labels);

 protected:
  double getTickStep(const QCPRange& range) override;
  int getSubTickCount(double tickStep) override;
  QString getTickLabel(double tick, const QLocale& locale, QChar formatChar, int precision) override;

 private:
  QStringList m_labels;
};

}  // namespace zoolab
