#include "views/run_colours.h"

#include <QHash>
#include <QPainter>
#include <QPixmap>

namespace zoolab {

const QVector<QColor>& runPalette() {
  static const QVector<QColor> palette = {
      QColor(0x4e, 0x79, 0xa7), QColor(0xf2, 0x8e, 0x2b), QColor(0xe1, 0x57, 0x59), QColor(0x76, 0xb7, 0xb2),
      QColor(0x59, 0xa1, 0x4f), QColor(0xed, 0xc9, 0x48), QColor(0xb0, 0x7a, 0xa1), QColor(0xff, 0x9d, 0xa7),
      QColor(0x9c, 0x75, 0x5f), QColor(0xba, 0xb0, 0xac)};
  return palette;
}

QColor runColour(qint64 runId, const std::string& storedColour) {
  if (!storedColour.empty()) {
    const QColor chosen(QString::fromStdString(storedColour));
    if (chosen.isValid()) {
      return chosen;
    }
  }
  const auto& palette = runPalette();
  const qint64 size = palette.size();
  // Ids start at 1; ((id - 1) mod n + n) mod n keeps run 1 on the first colour and never goes negative.
  return palette[static_cast<int>(((runId - 1) % size + size) % size)];
}

QIcon runColourSwatch(const QColor& colour) {
  static QHash<QRgb, QIcon> cache;
  const QRgb key = colour.rgba();
  const auto it = cache.constFind(key);
  if (it != cache.constEnd()) {
    return *it;
  }
  QPixmap pixmap(16, 16);
  pixmap.fill(Qt::transparent);
  {
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(colour.darker(130));
    painter.setBrush(colour);
    painter.drawRoundedRect(QRectF(1.5, 1.5, 13, 13), 3, 3);
  }
  QIcon icon;
  for (const QIcon::Mode mode : {QIcon::Normal, QIcon::Selected, QIcon::Active}) {
    icon.addPixmap(pixmap, mode);
  }
  cache.insert(key, icon);
  return icon;
}

}  // namespace zoolab
