#pragma once

// The colours the views share beside the runs' own (views/run_colours.h): one red for errors, one grey for
// plot grids, one near-black for the token under the cursor, so the tabs read as one window.

#include <QColor>

namespace zoolab {

inline const QColor kErrorColour(0xd3, 0x2f, 0x2f);
inline const QColor kGridColour(225, 225, 225);
inline const QColor kCurrentTokenColour(0x21, 0x21, 0x21);

}  // namespace zoolab
