#pragma once

// The colour map of every colour scale (dashboards, recall heatmaps, patterns).

#include "views/qcustomplot_include.h"

namespace zoolab {

// Viridis (matplotlib's default map): perceptually uniform, so equal steps of a value look equally
// different, and readable in grey, so a colour scale survives printing. Five stops of the published map.
// NaN cells (no data) are left transparent rather than drawn as the lowest value.
QCPColorGradient viridis();

}  // namespace zoolab
