#include "views/text_token_canvas.h"

#include <algorithm>
#include <cmath>

#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include "engine/text/utf8.h"
#include "views/view_colours.h"

namespace zoolab {

namespace {

constexpr int kCanvasMargin = 6;
constexpr int kPadding = 3;        // text to box edge, left and right
constexpr int kCanvasCellGap = 1;  // between neighbouring boxes, so each token is seen as one
constexpr int kLineGap = 3;        // between lines
constexpr int kUnderline = 3;      // the AR-hit mark's thickness, below the text
const QColor kLinkColour(0x15, 0x65, 0xc0);
const QColor kNoPredictionColour(0xbd, 0xbd, 0xbd);

struct Stop {
  double at;
  QColor colour;
};

// ColorBrewer YlOrRd (5 classes) and RdBu (7 classes, reversed so that red means "A worse").
const std::vector<Stop>& lossStops() {
  static const std::vector<Stop> stops{{0.0, QColor(0xff, 0xff, 0xcc)},
                                       {0.25, QColor(0xfe, 0xd9, 0x76)},
                                       {0.5, QColor(0xfd, 0x8d, 0x3c)},
                                       {0.75, QColor(0xe3, 0x1a, 0x1c)},
                                       {1.0, QColor(0x80, 0x00, 0x26)}};
  return stops;
}

const std::vector<Stop>& differenceStops() {
  static const std::vector<Stop> stops{
      {0.0, QColor(0x21, 0x66, 0xac)},     {1.0 / 6, QColor(0x67, 0xa9, 0xcf)},
      {2.0 / 6, QColor(0xd1, 0xe5, 0xf0)}, {0.5, QColor(0xf7, 0xf7, 0xf7)},
      {4.0 / 6, QColor(0xfd, 0xdb, 0xc7)}, {5.0 / 6, QColor(0xef, 0x8a, 0x62)},
      {1.0, QColor(0xb2, 0x18, 0x2b)}};
  return stops;
}

QColor interpolate(const std::vector<Stop>& stops, double t) {
  t = std::clamp(t, 0.0, 1.0);
  for (size_t i = 1; i < stops.size(); ++i) {
    if (t <= stops[i].at) {
      const Stop& a = stops[i - 1];
      const Stop& b = stops[i];
      const double f = (t - a.at) / (b.at - a.at);
      const auto mix = [f](int x, int y) { return static_cast<int>(std::lround(x + f * (y - x))); };
      return QColor(mix(a.colour.red(), b.colour.red()), mix(a.colour.green(), b.colour.green()),
                    mix(a.colour.blue(), b.colour.blue()));
    }
  }
  return stops.back().colour;
}

QString hexByte(unsigned char byte) {
  return QStringLiteral("\\x%1").arg(byte, 2, 16, QLatin1Char('0'));
}

}  // namespace

// ---- Colour scales ----

QColor TextColourScale::colour(double value) const {
  if (!std::isfinite(value)) {
    return QColor();
  }
  const double span = std::max(limit, 1e-12);
  if (kind == Kind::Loss) {
    return interpolate(lossStops(), value / span);
  }
  return interpolate(differenceStops(), 0.5 + 0.5 * value / span);
}

QString TextColourScale::title() const {
  return kind == Kind::Loss ? QObject::tr("loss (nats)") : QObject::tr("loss A − loss B (nats)");
}

double TextColourScale::limitFor(std::vector<double> magnitudes, Kind kind) {
  const double step = kind == Kind::Loss ? 0.5 : 0.25;
  magnitudes.erase(
      std::remove_if(magnitudes.begin(), magnitudes.end(), [](double v) { return !std::isfinite(v); }),
      magnitudes.end());
  if (magnitudes.empty()) {
    return kind == Kind::Loss ? 1.0 : step;
  }
  for (double& v : magnitudes) {
    v = std::abs(v);
  }
  const size_t index = static_cast<size_t>(std::floor(0.98 * static_cast<double>(magnitudes.size() - 1)));
  std::nth_element(magnitudes.begin(), magnitudes.begin() + static_cast<std::ptrdiff_t>(index),
                   magnitudes.end());
  return std::max(step, std::ceil(magnitudes[index] / step) * step);
}

QColor textColourOn(const QColor& background) {
  if (!background.isValid()) {
    return Qt::black;
  }
  // Relative luminance (sRGB weights, without linearisation: enough to pick black or white).
  const double luminance =
      0.2126 * background.redF() + 0.7152 * background.greenF() + 0.0722 * background.blueF();
  return luminance < 0.45 ? Qt::white : Qt::black;
}

QString displayTokenText(const std::string& bytes, bool* endsLine) {
  QString text;
  bool onlySpaces = !bytes.empty();
  bool lineBreak = false;
  for (size_t offset = 0; offset < bytes.size();) {
    const Utf8CodePoint point = decode_utf8(bytes, offset);
    if (!point.valid) {
      text += hexByte(static_cast<unsigned char>(bytes[offset]));
      onlySpaces = false;
      offset += 1;
      continue;
    }
    const char32_t c = point.code_point;
    offset += point.length;
    onlySpaces = onlySpaces && c == U' ';
    lineBreak = false;
    if (c == U'\n') {
      text += QChar(0x21B5);  // ↵
      lineBreak = true;
    } else if (c == U'\t') {
      text += QChar(0x21E5);  // ⇥
    } else if (c == U'\r') {
      text += QStringLiteral("\\r");
    } else if (c < 0x20 || c == 0x7f) {
      text += hexByte(static_cast<unsigned char>(c));
    } else {
      text += QString::fromUcs4(&c, 1);
    }
  }
  if (onlySpaces) {
    text = QString(text.size(), QChar(0x00B7));  // ·
  }
  if (endsLine) {
    *endsLine = lineBreak;
  }
  return text;
}

// ---- Canvas ----

TextTokenCanvas::TextTokenCanvas(QWidget* parent) : QWidget(parent) {
  setFocusPolicy(Qt::StrongFocus);
  QSizePolicy policy(QSizePolicy::Preferred, QSizePolicy::Preferred);
  policy.setHeightForWidth(true);
  setSizePolicy(policy);
}

const QColor& TextTokenCanvas::arHitColour() {
  static const QColor colour(0x1a, 0x23, 0x7e);  // indigo: apart from every colour of both scales
  return colour;
}

void TextTokenCanvas::setCells(std::vector<Cell> cells, const TextColourScale& scale) {
  m_cells = std::move(cells);
  m_scale = scale;
  m_linked.clear();
  if (m_current >= static_cast<int>(m_cells.size())) {
    m_current = -1;
  }
  relayout();
  updateGeometry();
  update();
}

QColor TextTokenCanvas::fillColour(int index) const {
  if (index < 0 || index >= static_cast<int>(m_cells.size())) {
    return QColor();
  }
  const Cell& cell = m_cells[static_cast<size_t>(index)];
  return cell.dimmed ? QColor() : m_scale.colour(cell.value);
}

void TextTokenCanvas::setCurrent(int index) {
  if (m_cells.empty()) {
    index = -1;
  } else if (index >= 0) {
    index = std::min(index, static_cast<int>(m_cells.size()) - 1);
  } else {
    index = -1;
  }
  if (index == m_current) {
    return;
  }
  m_current = index;
  update();
  Q_EMIT currentChanged(index);
}

void TextTokenCanvas::setLinked(std::vector<int> indices) {
  m_linked = std::move(indices);
  update();
}

int TextTokenCanvas::layout(int width, std::vector<QRect>* rects) const {
  const QFontMetrics metrics(font());
  const int lineHeight = metrics.height() + 2 + kUnderline + 1;
  int x = kCanvasMargin;
  int y = kCanvasMargin;
  if (rects) {
    rects->clear();
    rects->reserve(m_cells.size());
  }
  for (size_t i = 0; i < m_cells.size(); ++i) {
    const Cell& cell = m_cells[i];
    const int w = metrics.horizontalAdvance(cell.text) + 2 * kPadding;
    if (x > kCanvasMargin && x + w > width - kCanvasMargin) {
      x = kCanvasMargin;
      y += lineHeight + kLineGap;
    }
    if (rects) {
      rects->emplace_back(x, y, w, lineHeight);
    }
    x += w + kCanvasCellGap;
    if (cell.lineBreak) {
      x = kCanvasMargin;
      y += lineHeight + kLineGap;
    }
  }
  const bool endsOnFreshLine = x == kCanvasMargin && !m_cells.empty();
  return y + (endsOnFreshLine ? 0 : lineHeight) + kCanvasMargin;
}

void TextTokenCanvas::relayout() {
  m_laidOutWidth = width();
  layout(width(), &m_rects);
}

int TextTokenCanvas::heightForWidth(int width) const {
  return layout(width, nullptr);
}

QSize TextTokenCanvas::sizeHint() const {
  return QSize(600, heightForWidth(600));
}

QSize TextTokenCanvas::minimumSizeHint() const {
  return QSize(100, 2 * kCanvasMargin + fontMetrics().height());
}

QRect TextTokenCanvas::cellRect(int index) const {
  return index >= 0 && index < static_cast<int>(m_rects.size()) ? m_rects[static_cast<size_t>(index)]
                                                                : QRect();
}

int TextTokenCanvas::cellAt(const QPoint& point) const {
  // Lines are laid out top to bottom: find the first cell whose line reaches the point.
  const auto first = std::lower_bound(m_rects.begin(), m_rects.end(), point.y(),
                                      [](const QRect& rect, int y) { return rect.bottom() < y; });
  for (auto it = first; it != m_rects.end() && it->top() <= point.y(); ++it) {
    if (it->contains(point)) {
      return static_cast<int>(it - m_rects.begin());
    }
  }
  return -1;
}

void TextTokenCanvas::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  if (width() != m_laidOutWidth) {
    relayout();
  }
}

void TextTokenCanvas::paintEvent(QPaintEvent* event) {
  QPainter painter(this);
  const QRect dirty = event->rect();
  // White in a dark theme too: the colour scales are made for a light ground, as the plots' figures.
  painter.fillRect(dirty, Qt::white);
  const QColor muted(0x9e, 0x9e, 0x9e);
  for (size_t i = 0; i < m_cells.size() && i < m_rects.size(); ++i) {
    const QRect& rect = m_rects[i];
    if (!rect.intersects(dirty)) {
      continue;
    }
    const Cell& cell = m_cells[i];
    const QColor fill = fillColour(static_cast<int>(i));
    // The box above, the AR-hit underline below it on the white ground, so it reads on any colour.
    const QRect box = rect.adjusted(0, 0, 0, -kUnderline - 1);
    if (fill.isValid()) {
      painter.fillRect(box, fill);
    } else if (!cell.dimmed) {
      // No prediction (the first token): a dashed outline, no colour.
      painter.setPen(QPen(kNoPredictionColour, 1.0, Qt::DashLine));
      painter.setBrush(Qt::NoBrush);
      painter.drawRect(QRectF(box).adjusted(0.5, 0.5, -0.5, -0.5));
    }
    if (cell.arHit && !cell.dimmed) {
      painter.fillRect(QRect(rect.left(), rect.bottom() - kUnderline + 1, rect.width(), kUnderline),
                       arHitColour());
    }
    painter.setPen(cell.dimmed ? muted : textColourOn(fill));
    painter.drawText(box.adjusted(kPadding, 0, -kPadding, 0), Qt::AlignLeft | Qt::AlignVCenter, cell.text);
  }
  painter.setBrush(Qt::NoBrush);
  for (const int index : m_linked) {
    const QRect rect = cellRect(index);
    if (!rect.isNull()) {
      painter.setPen(QPen(kLinkColour, 2.0, Qt::DashLine));
      painter.drawRect(QRectF(rect).adjusted(1, 1, -1, -1));
    }
  }
  const QRect current = cellRect(m_current);
  if (!current.isNull()) {
    painter.setPen(QPen(kCurrentTokenColour, 2.0));
    painter.drawRect(QRectF(current).adjusted(1, 1, -1, -1));
  }
}

int TextTokenCanvas::step(int from, int delta) const {
  const int count = static_cast<int>(m_cells.size());
  for (int i = from + delta; i >= 0 && i < count; i += delta) {
    if (!m_cells[static_cast<size_t>(i)].dimmed) {
      return i;
    }
  }
  return from;
}

void TextTokenCanvas::mousePressEvent(QMouseEvent* event) {
  setFocus(Qt::MouseFocusReason);
  const int index = cellAt(event->position().toPoint());
  if (index >= 0) {
    setCurrent(index);
  }
  QWidget::mousePressEvent(event);
}

void TextTokenCanvas::keyPressEvent(QKeyEvent* event) {
  const int count = static_cast<int>(m_cells.size());
  switch (event->key()) {
    case Qt::Key_Left:
      setCurrent(m_current < 0 ? step(count, -1) : step(m_current, -1));
      return;
    case Qt::Key_Right:
      setCurrent(step(m_current, +1));
      return;
    case Qt::Key_Home:
      setCurrent(step(-1, +1));
      return;
    case Qt::Key_End:
      setCurrent(step(count, -1));
      return;
    case Qt::Key_PageUp:
      Q_EMIT sequenceStepRequested(-1);
      return;
    case Qt::Key_PageDown:
      Q_EMIT sequenceStepRequested(+1);
      return;
    default:
      QWidget::keyPressEvent(event);
  }
}

QString TextTokenCanvas::toolTipAt(int index) const {
  if (index < 0 || index >= static_cast<int>(m_cells.size()) || !m_toolTipSource) {
    return QString();
  }
  return m_toolTipSource(index);
}

bool TextTokenCanvas::event(QEvent* event) {
  if (event->type() == QEvent::ToolTip) {
    auto* help = static_cast<QHelpEvent*>(event);
    const int index = cellAt(help->pos());
    const QString text = toolTipAt(index);
    if (text.isEmpty()) {
      QToolTip::hideText();
      event->ignore();
    } else {
      QToolTip::showText(help->globalPos(), text, this, cellRect(index));
    }
    return true;
  }
  if (event->type() == QEvent::FontChange) {
    relayout();
    updateGeometry();
  }
  return QWidget::event(event);
}

}  // namespace zoolab
