#pragma once

// Include <qcustomplot.h> through this header. The project defines QT_NO_KEYWORDS (Qt code spells
// Q_SIGNALS, Q_SLOTS, Q_EMIT), but QCustomPlot's header still uses the lower-case keywords (and foreach
// in its inline templates), so they are mapped for its declarations only.

#ifndef signals
#define ZOOLAB_DEFINED_SIGNALS
#define signals Q_SIGNALS
#endif
#ifndef slots
#define ZOOLAB_DEFINED_SLOTS
#define slots Q_SLOTS
#endif
#ifndef emit
#define ZOOLAB_DEFINED_EMIT
#define emit Q_EMIT
#endif
#ifndef foreach
#define ZOOLAB_DEFINED_FOREACH
#define foreach Q_FOREACH
#endif

#include <qcustomplot.h>

#ifdef ZOOLAB_DEFINED_SIGNALS
#undef signals
#undef ZOOLAB_DEFINED_SIGNALS
#endif
#ifdef ZOOLAB_DEFINED_SLOTS
#undef slots
#undef ZOOLAB_DEFINED_SLOTS
#endif
#ifdef ZOOLAB_DEFINED_EMIT
#undef emit
#undef ZOOLAB_DEFINED_EMIT
#endif
#ifdef ZOOLAB_DEFINED_FOREACH
#undef foreach
#undef ZOOLAB_DEFINED_FOREACH
#endif
