#pragma once

// One colour per run, the same in every view (table swatch, curves, dashboards): the colour the user
// chose (runs.colour, "#rrggbb"), else a palette colour picked by the run id, so it never changes
// when other runs appear or the table is sorted.

#include <string>

#include <QColor>
#include <QIcon>
#include <QVector>

namespace zoolab {

// Tableau 10: distinguishable, colour-blind aware, and what W&B and matplotlib users know.
const QVector<QColor>& runPalette();

// The stored colour when it parses, else runPalette()[id mod size].
QColor runColour(qint64 runId, const std::string& storedColour);

// A square swatch of `colour` that looks the same selected or not (a plain QColor decoration is tinted by
// the selection, so the table would show another colour than the curves). Cached per colour.
QIcon runColourSwatch(const QColor& colour);

}  // namespace zoolab
