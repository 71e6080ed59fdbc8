#include "views/figure_style.h"

#include <algorithm>

#include <QSettings>
#include <QStringList>

#include "views/run_colours.h"

namespace zoolab {

namespace {

// Keys of the group; renaming one loses the user's value, so treat them as a file format.
constexpr char kGroup[] = "figureStyle";
constexpr char kFontFamily[] = "fontFamily";
constexpr char kPointSize[] = "pointSize";
constexpr char kPalette[] = "palette";
constexpr char kLineWidth[] = "lineWidth";
constexpr char kMarkerSize[] = "markerSize";

QString keyOf(const char* key) {
  return QLatin1String(kGroup) + QLatin1Char('/') + QLatin1String(key);
}

double readNumber(const QSettings& settings, const char* key, double fallback, double low, double high) {
  bool ok = false;
  const double value = settings.value(keyOf(key)).toDouble(&ok);
  return ok ? std::clamp(value, low, high) : fallback;
}

}  // namespace

FigureStyle::FigureStyle() : palette(runPalette()) {}

QFont FigureStyle::font(double delta) const {
  QFont result(fontFamily);
  result.setPointSizeF(std::clamp(pointSize + delta, kMinPointSize, kMaxPointSize));
  return result;
}

QColor FigureStyle::colour(int index) const {
  const QVector<QColor>& colours = palette.isEmpty() ? runPalette() : palette;
  const int size = static_cast<int>(colours.size());
  return colours[((index % size) + size) % size];
}

FigureStyle FigureStyle::load(const QSettings& settings) {
  FigureStyle style;
  const QString family = settings.value(keyOf(kFontFamily)).toString().trimmed();
  if (!family.isEmpty()) {
    style.fontFamily = family;
  }
  style.pointSize = readNumber(settings, kPointSize, style.pointSize, kMinPointSize, kMaxPointSize);
  style.lineWidth = readNumber(settings, kLineWidth, style.lineWidth, 0.1, kMaxLineWidth);
  style.markerSize = readNumber(settings, kMarkerSize, style.markerSize, 0.0, kMaxMarkerSize);
  // A palette is kept only when every entry parses: a half-read palette would silently shift colours.
  QVector<QColor> colours;
  const QStringList names = settings.value(keyOf(kPalette)).toStringList();
  for (const QString& name : names) {
    const QColor colour(name.trimmed());
    if (!colour.isValid()) {
      colours.clear();
      break;
    }
    colours.append(colour);
  }
  if (!colours.isEmpty()) {
    style.palette = colours;
  }
  return style;
}

void FigureStyle::save(QSettings& settings) const {
  settings.setValue(keyOf(kFontFamily), fontFamily);
  settings.setValue(keyOf(kPointSize), pointSize);
  settings.setValue(keyOf(kLineWidth), lineWidth);
  settings.setValue(keyOf(kMarkerSize), markerSize);
  QStringList names;
  for (const QColor& colour : palette) {
    names.append(colour.name(QColor::HexRgb));
  }
  settings.setValue(keyOf(kPalette), names);
}

bool FigureStyle::operator==(const FigureStyle& other) const {
  return fontFamily == other.fontFamily && pointSize == other.pointSize && palette == other.palette &&
         lineWidth == other.lineWidth && markerSize == other.markerSize;
}

}  // namespace zoolab
