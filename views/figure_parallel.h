#pragma once

// The parts of FigureView (views/figure_view.h) that only parallel-coordinates panels have: the value
// ticks drawn at each vertical axis in that axis's units (FigurePanel::parallel_axes), and brushing,
// ranges dragged along axes that pick out the runs passing through all of them.
//
// Brushes are kept by axis name, so a figure rebuilt from a fresher read of the database (the tab
// updates live) keeps what the user brushed as long as the axis is still there.

#include <optional>
#include <vector>

#include <QHash>
#include <QString>

#include "engine/analysis/figure.h"
#include "views/figure_style.h"

class QCPAxis;
class QCPAxisRect;
class QCustomPlot;

namespace zoolab {

// Draws each axis of `panel` as a solid vertical line with its ticks' labels beside it, and hides the
// panel's shared y axis (a position 0..1 means nothing by itself).
void drawParallelAxes(QCustomPlot* plot, QCPAxisRect* rect, const FigurePanel& panel,
                      const FigureStyle& style);

// A brushed range on one axis, in positions 0..1 (the panel's y).
struct ParallelBrush {
  double low = 0.0;
  double high = 0.0;
};

class ParallelBrushes {
 public:
  // The brush of the axis named `axis`, if any.
  std::optional<ParallelBrush> brush(const QString& axis) const;
  // Sets (low and high in any order) or clears the brush of an axis.
  void setBrush(const QString& axis, double low, double high);
  void clearBrush(const QString& axis);
  void clear() { m_brushes.clear(); }
  // Whether any axis of `panel` is brushed.
  bool active(const FigurePanel& panel) const;
  // Whether `series` (one run's line, a point per axis) passes through the brush of every brushed axis
  // of `panel`; true when none is brushed.
  bool passes(const FigurePanel& panel, const FigureSeries& series) const;

 private:
  QHash<QString, ParallelBrush> m_brushes;
};

}  // namespace zoolab
