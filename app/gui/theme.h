#pragma once

// The colour scheme from Settings: System leaves the platform's style and palette alone (it follows the
// desktop, dark mode included); Light and Dark use Fusion with a fixed palette.

#include "app/gui/settings.h"

namespace zoolab {

void applyTheme(Settings::Theme theme);

}  // namespace zoolab
