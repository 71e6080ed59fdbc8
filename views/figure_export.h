#pragma once

// Writes a drawn Figure to a file whose suffix names the format :
//   .pdf  vector (QCustomPlot::savePdf); the page is the figure's size in points
//   .svg  vector with text kept as <text> (QSvgGenerator), so legend and axis titles stay editable
//   .png  raster at options.dpi (the figure's size scaled by dpi / 96)
//   .csv  every point at full precision (zoolab::figure_to_csv), the data behind the picture
// A table figure (pivot table) exports to CSV only: a table goes into a paper through a spreadsheet
// or LaTeX, and a drawn picture of one would only lose its numbers' precision.

#include <QSize>
#include <QString>
#include <QStringList>

#include "engine/analysis/figure.h"

class QCustomPlot;

namespace zoolab {

class FigureView;

struct FigureExportOptions {
  int dpi = 300;   // PNG only (publication raster); clamped to [kMinDpi, kMaxDpi]
  int width = 0;   // pixels at 96 dpi = points of a PDF page; 0: the figure's natural size
  int height = 0;  // same; 0: the figure's natural size

  static constexpr int kMinDpi = 30;
  static constexpr int kMaxDpi = 1200;
};

// "pdf", "svg", "png", "csv".
QStringList figureExportSuffixes();
// The file dialog's filters, one per format ("PDF (vector) (*.pdf)", ...).
QString figureExportFilters();

// Draws `plot` (which shows `figure`) into `path`, at `size` when options give none. Returns an empty
// string on success, else a message naming the path and the reason (unsupported suffix, a table to a
// picture format, the file cannot be written).
QString exportFigure(QCustomPlot* plot, const Figure& figure, const QString& path,
                     const FigureExportOptions& options = {}, QSize naturalSize = QSize(640, 320));
// The same for the figure a FigureView shows, at its natural size unless options give one.
QString exportFigure(const FigureView& view, const QString& path, const FigureExportOptions& options = {});

}  // namespace zoolab
