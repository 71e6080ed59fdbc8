#include "views/status_line.h"

#include <QColor>
#include <QPalette>

#include "views/view_colours.h"

namespace zoolab {

StatusLine::StatusLine(QWidget* parent) : QLabel(parent) {
  setObjectName(QStringLiteral("statusLabel"));
  setWordWrap(true);
  setTextInteractionFlags(Qt::TextSelectableByMouse);
}

void StatusLine::setMessage(const QString& text, bool error) {
  setText(text);
  // From the tab's palette, so a message after an error is drawn in the ordinary colour again.
  QPalette palette = parentWidget() ? parentWidget()->palette() : QPalette();
  if (error) {
    palette.setColor(QPalette::WindowText, kErrorColour);
  }
  setPalette(palette);
}

}  // namespace zoolab
