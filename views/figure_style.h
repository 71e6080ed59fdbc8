#pragma once

// The look of every exported figure and dashboard, chosen once : font, size, palette and line widths.
// Stored in the user's settings under the group "figureStyle", so the window, `zoolab --export` and the
// curves view draw with the same fonts and colours.

#include <QColor>
#include <QFont>
#include <QString>
#include <QVector>

class QSettings;

namespace zoolab {

struct FigureStyle {
  static constexpr double kMinPointSize = 4.0;
  static constexpr double kMaxPointSize = 48.0;
  static constexpr double kMaxLineWidth = 10.0;
  static constexpr double kMaxMarkerSize = 40.0;

  // A family every Debian desktop has (fonts-dejavu-core), so a figure exported headless on a server
  // measures its text like the one drawn on screen; a missing family falls back through fontconfig.
  QString fontFamily = QStringLiteral("DejaVu Sans");
  double pointSize = 9.0;  // axis titles and legend; tick labels one point smaller, titles one larger
  // Colours by group in order of appearance; Tableau 10 by default, the run table's palette
  // (views/run_colours.h), so a dashboard speaks the colours the user knows.
  QVector<QColor> palette;
  double lineWidth = 1.5;   // in points of the exported page (QCustomPlot pixels)
  double markerSize = 6.0;  // scatter marker diameter, same unit

  FigureStyle();

  // The font at `pointSize + delta` points.
  QFont font(double delta = 0.0) const;
  // palette[index mod size] (the default palette when it is empty).
  QColor colour(int index) const;

  // Reads the group "figureStyle" of `settings`; missing or unusable values keep their defaults, and
  // numbers are clamped to the ranges above, so a hand-edited file cannot make figures unreadable.
  static FigureStyle load(const QSettings& settings);
  void save(QSettings& settings) const;

  bool operator==(const FigureStyle& other) const;
  bool operator!=(const FigureStyle& other) const { return !(*this == other); }
};

}  // namespace zoolab
