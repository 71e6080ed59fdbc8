#include "views/token_strip.h"
#include "views/view_colours.h"

#include <algorithm>
#include <cmath>

#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>

namespace zoolab {

namespace {

constexpr int kStripMargin = 4;
constexpr int kStripCellGap = 2;  // between neighbouring cells
const QColor kKeyColour(0xbb, 0xde, 0xfb);
const QColor kValueColour(0xff, 0xe0, 0xb2);
const QColor kRightColour(0xc8, 0xe6, 0xc9);
const QColor kWrongColour(0xff, 0xcd, 0xd2);
const QColor kOtherColour(0xee, 0xee, 0xee);
const QColor kHighlightColour(0x15, 0x65, 0xc0);  // the current query's key and value, and its arc
const QColor kRightText(0x2e, 0x7d, 0x32);
const QColor kWrongText(0xc6, 0x28, 0x28);

QString tokenText(int64_t token) {
  return token == TokenStrip::kUnknownToken ? QStringLiteral("·") : QString::number(token);
}

}  // namespace

QColor TokenStrip::roleColour(Role role, bool correct) {
  switch (role) {
    case Role::Key:
      return kKeyColour;
    case Role::Value:
      return kValueColour;
    case Role::Query:
      return correct ? kRightColour : kWrongColour;
    case Role::Other:
      break;
  }
  return kOtherColour;
}

TokenStrip::TokenStrip(QWidget* parent) : QWidget(parent) {
  setFocusPolicy(Qt::StrongFocus);
  setAttribute(Qt::WA_OpaquePaintEvent, false);
  layoutMetrics();
}

void TokenStrip::layoutMetrics() {
  const QFontMetrics metrics(font());
  // As wide as the widest token and a probability ("0.93"); at least three digits, so positions fit.
  const int digits = std::max(3, m_tokenDigits);
  m_cellWidth = std::max(metrics.horizontalAdvance(QString(digits, QLatin1Char('8'))),
                         metrics.horizontalAdvance(QStringLiteral("0.00"))) +
                10;
  m_lineHeight = metrics.height() + 2;
  m_positionHeight = m_lineHeight;
  m_tokenHeight = metrics.height() + 10;
  m_arcHeight = 2 * m_lineHeight + 6;
}

QString TokenStrip::rowName(Row row) {
  switch (row) {
    case Row::Position:
      return tr("position");
    case Row::Token:
      return tr("token");
    case Row::Target:
      return tr("target");
    case Row::Prediction:
      return tr("predicted");
    case Row::Probability:
      return tr("p(target)");
  }
  return QString();
}

QRect TokenStrip::rowRect(Row row) const {
  const int width = sizeHint().width();
  const int tokenTop = m_positionHeight + m_arcHeight;
  const int rowsTop = tokenTop + m_tokenHeight + 2;
  switch (row) {
    case Row::Position:
      return QRect(0, 0, width, m_positionHeight);
    case Row::Token:
      return QRect(0, tokenTop, width, m_tokenHeight);
    case Row::Target:
      return QRect(0, rowsTop, width, m_lineHeight);
    case Row::Prediction:
      return QRect(0, rowsTop + m_lineHeight, width, m_lineHeight);
    case Row::Probability:
      return QRect(0, rowsTop + 2 * m_lineHeight, width, m_lineHeight);
  }
  return QRect();
}

void TokenStrip::setExample(int64_t example, std::vector<int64_t> tokens, int contextLength,
                            std::vector<Query> queries) {
  m_example = example;
  m_queries = std::move(queries);
  // Queries may lie beyond the tokens when the tokens are unknown: the strip is long enough for both.
  int length = static_cast<int>(tokens.size());
  for (const Query& query : m_queries) {
    length = std::max(length, query.position + 1);
  }
  tokens.resize(static_cast<size_t>(length), kUnknownToken);
  m_tokens = std::move(tokens);
  m_roles.assign(m_tokens.size(), Role::Other);
  for (int p = 0; p < std::min(contextLength, length); ++p) {
    m_roles[static_cast<size_t>(p)] = p % 2 == 0 ? Role::Key : Role::Value;
  }
  m_queryOf.assign(m_tokens.size(), -1);
  for (size_t q = 0; q < m_queries.size(); ++q) {
    const Query& query = m_queries[q];
    if (query.position < 0) {
      continue;
    }
    m_roles[static_cast<size_t>(query.position)] = Role::Query;
    m_queryOf[static_cast<size_t>(query.position)] = static_cast<int>(q);
    if (m_tokens[static_cast<size_t>(query.position)] == kUnknownToken) {
      m_tokens[static_cast<size_t>(query.position)] = query.key;
    }
    // What the records know of the context: the pair the query asks for.
    const int key = query.keyPosition();
    if (key >= 0 && key + 1 < length) {
      if (m_tokens[static_cast<size_t>(key)] == kUnknownToken) {
        m_tokens[static_cast<size_t>(key)] = query.key;
      }
      if (m_tokens[static_cast<size_t>(key + 1)] == kUnknownToken) {
        m_tokens[static_cast<size_t>(key + 1)] = query.target;  // the value is what the query must recall
      }
      if (m_roles[static_cast<size_t>(key)] == Role::Other) {
        m_roles[static_cast<size_t>(key)] = Role::Key;
      }
      if (m_roles[static_cast<size_t>(key + 1)] == Role::Other) {
        m_roles[static_cast<size_t>(key + 1)] = Role::Value;
      }
    }
  }
  int64_t widest = 0;
  for (const int64_t t : m_tokens) {
    widest = std::max(widest, t);
  }
  for (const Query& query : m_queries) {
    widest = std::max({widest, query.target, query.prediction});
  }
  m_tokenDigits = static_cast<int>(QString::number(widest).size());
  layoutMetrics();
  m_current = m_queries.empty() ? -1 : 0;
  updateGeometry();
  resize(sizeHint());
  update();
  Q_EMIT currentQueryChanged(m_current);
}

void TokenStrip::clear() {
  setExample(-1, {}, 0, {});
}

int64_t TokenStrip::token(int position) const {
  return position >= 0 && position < length() ? m_tokens[static_cast<size_t>(position)] : kUnknownToken;
}

TokenStrip::Role TokenStrip::role(int position) const {
  return position >= 0 && position < length() ? m_roles[static_cast<size_t>(position)] : Role::Other;
}

void TokenStrip::setCurrentQuery(int index) {
  if (m_queries.empty()) {
    index = -1;
  } else {
    index = std::clamp(index, 0, static_cast<int>(m_queries.size()) - 1);
  }
  if (index == m_current) {
    return;
  }
  m_current = index;
  update();
  Q_EMIT currentQueryChanged(m_current);
}

int TokenStrip::highlightedKey() const {
  return m_current < 0 ? -1 : m_queries[static_cast<size_t>(m_current)].keyPosition();
}

int TokenStrip::highlightedValue() const {
  const int key = highlightedKey();
  return key >= 0 && key + 1 < length() ? key + 1 : -1;
}

QRect TokenStrip::cellRect(int position) const {
  const int x = kStripMargin + position * m_cellWidth;
  const int y = m_positionHeight + m_arcHeight;
  return QRect(x + kStripCellGap / 2, y, m_cellWidth - kStripCellGap, m_tokenHeight);
}

int TokenStrip::positionAt(const QPoint& point) const {
  const int x = point.x() - kStripMargin;
  if (x < 0) {
    return -1;
  }
  const int position = x / m_cellWidth;
  return position < length() ? position : -1;
}

int TokenStrip::queryAt(int position) const {
  return position >= 0 && position < length() ? m_queryOf[static_cast<size_t>(position)] : -1;
}

QString TokenStrip::describe(int position) const {
  if (position < 0 || position >= length()) {
    return QString();
  }
  const QString head = tr("position %1: token %2").arg(position).arg(tokenText(token(position)));
  const int q = queryAt(position);
  if (q >= 0) {
    const Query& query = m_queries[static_cast<size_t>(q)];
    QString where;
    if (query.keyPosition() >= 0 && query.kv_index >= 0) {
      where = tr("its %1 at position %2 (pair %3, gap %4)")
                  .arg(m_sourceLabel)
                  .arg(query.keyPosition())
                  .arg(query.kv_index)
                  .arg(query.gap);
    } else if (query.keyPosition() >= 0) {
      where = tr("its %1 at position %2 (gap %3)").arg(m_sourceLabel).arg(query.keyPosition()).arg(query.gap);
    } else {
      where = tr("its %1 is not in the sequence before it").arg(m_sourceLabel);
    }
    return tr("%1, query %2 of %3; %4\ntarget %5, predicted %6 (%7), p(target) %8, loss %9")
        .arg(head)
        .arg(q + 1)
        .arg(m_queries.size())
        .arg(where)
        .arg(query.target)
        .arg(query.prediction)
        .arg(query.correct ? tr("right") : tr("wrong"))
        .arg(QString::number(query.p_target, 'f', 4))
        .arg(QString::number(query.loss, 'f', 4));
  }
  switch (role(position)) {
    case Role::Key:
      return tr("%1, key of context pair %2").arg(head).arg(position / 2);
    case Role::Value:
      return tr("%1, value of context pair %2").arg(head).arg(position / 2);
    default:
      return head;
  }
}

QSize TokenStrip::sizeHint() const {
  const int width = 2 * kStripMargin + std::max(1, length()) * m_cellWidth;
  const int height = m_positionHeight + m_arcHeight + m_tokenHeight + 3 * m_lineHeight + 2 * kStripMargin;
  return QSize(width, height);
}

QSize TokenStrip::minimumSizeHint() const {
  return sizeHint();
}

void TokenStrip::paintEvent(QPaintEvent* event) {
  QPainter painter(this);
  painter.setRenderHint(QPainter::Antialiasing, true);
  const QRect dirty = event->rect();
  QFont small = font();
  small.setPointSizeF(std::max(6.0, font().pointSizeF() - 1.5));
  const QColor muted = palette().color(QPalette::PlaceholderText);
  const QColor text = palette().color(QPalette::WindowText);

  const int tokenTop = m_positionHeight + m_arcHeight;
  const int rowsTop = tokenTop + m_tokenHeight + 2;

  if (m_tokens.empty()) {
    return;
  }

  const int first = std::max(0, positionAt(QPoint(dirty.left(), 0)) - 1);
  int last = positionAt(QPoint(dirty.right(), 0));
  last = last < 0 ? length() - 1 : std::min(length() - 1, last + 1);
  const int keyPosition = highlightedKey();
  const int valuePosition = highlightedValue();
  const int currentPosition = m_current >= 0 ? m_queries[static_cast<size_t>(m_current)].position : -1;

  for (int p = first; p <= last; ++p) {
    const QRect cell = cellRect(p);
    painter.setFont(small);
    painter.setPen(muted);
    painter.drawText(QRect(cell.left(), 0, cell.width(), m_positionHeight), Qt::AlignCenter,
                     QString::number(p));

    const int q = queryAt(p);
    const Role cellRole = role(p);
    const bool correct = q >= 0 && m_queries[static_cast<size_t>(q)].correct;
    QPen border(QColor(0, 0, 0, 60), 1.0);
    if (token(p) == kUnknownToken) {
      border.setStyle(Qt::DashLine);
    }
    if (p == keyPosition || p == valuePosition) {
      border = QPen(kHighlightColour, 2.5);
    } else if (p == currentPosition) {
      border = QPen(kCurrentTokenColour, 2.5);
    }
    painter.setPen(border);
    painter.setBrush(token(p) == kUnknownToken && cellRole == Role::Other
                         ? QBrush(Qt::white)
                         : QBrush(roleColour(cellRole, correct)));
    painter.drawRoundedRect(QRectF(cell).adjusted(0.5, 0.5, -0.5, -0.5), 3, 3);
    painter.setFont(font());
    painter.setPen(Qt::black);
    painter.drawText(cell, Qt::AlignCenter, tokenText(token(p)));

    if (q >= 0) {
      const Query& query = m_queries[static_cast<size_t>(q)];
      const QRect column(cell.left(), rowsTop, cell.width(), m_lineHeight);
      painter.setPen(text);
      painter.drawText(column.translated(0, 0), Qt::AlignCenter, QString::number(query.target));
      QFont bold = font();
      bold.setBold(true);
      painter.setFont(bold);
      painter.setPen(query.correct ? kRightText : kWrongText);
      painter.drawText(column.translated(0, m_lineHeight), Qt::AlignCenter,
                       QString::number(query.prediction));
      painter.setFont(small);
      painter.setPen(text);
      painter.drawText(column.translated(0, 2 * m_lineHeight), Qt::AlignCenter,
                       QString::number(query.p_target, 'f', 2));
    }
  }

  // The current query's arc to its key, drawn over whatever it crosses.
  if (keyPosition >= 0 && currentPosition >= 0) {
    const QRect from = cellRect(currentPosition);
    const QRect to = cellRect(keyPosition);
    const double y = tokenTop;
    const double top = m_positionHeight + 3;
    QPainterPath path(QPointF(from.center().x(), y));
    path.cubicTo(QPointF(from.center().x(), top), QPointF(to.center().x(), top), QPointF(to.center().x(), y));
    painter.setBrush(Qt::NoBrush);
    painter.setPen(QPen(kHighlightColour, 1.8));
    painter.drawPath(path);
    // An arrow head at the key: the query looks back to it.
    const QPointF tip(to.center().x(), y);
    painter.setBrush(kHighlightColour);
    painter.drawPolygon(QPolygonF({tip, tip + QPointF(-4, -7), tip + QPointF(4, -7)}));
  }
}

void TokenStrip::mousePressEvent(QMouseEvent* event) {
  setFocus(Qt::MouseFocusReason);
  const int position = positionAt(event->position().toPoint());
  int q = queryAt(position);
  if (q < 0 && role(position) == Role::Key) {
    // A context key: the first query that asks for it.
    for (size_t i = 0; i < m_queries.size(); ++i) {
      if (m_queries[i].keyPosition() == position) {
        q = static_cast<int>(i);
        break;
      }
    }
  }
  if (q >= 0) {
    setCurrentQuery(q);
    Q_EMIT queryClicked(q);
  }
  QWidget::mousePressEvent(event);
}

void TokenStrip::keyPressEvent(QKeyEvent* event) {
  switch (event->key()) {
    case Qt::Key_Left:
      setCurrentQuery(m_current - 1);
      return;
    case Qt::Key_Right:
      setCurrentQuery(m_current + 1);
      return;
    case Qt::Key_Home:
      setCurrentQuery(0);
      return;
    case Qt::Key_End:
      setCurrentQuery(static_cast<int>(m_queries.size()) - 1);
      return;
    default:
      QWidget::keyPressEvent(event);
  }
}

bool TokenStrip::event(QEvent* event) {
  if (event->type() == QEvent::ToolTip) {
    auto* help = static_cast<QHelpEvent*>(event);
    const QString text = describe(positionAt(help->pos()));
    if (text.isEmpty()) {
      QToolTip::hideText();
      event->ignore();
    } else {
      QToolTip::showText(help->globalPos(), text, this);
    }
    return true;
  }
  if (event->type() == QEvent::FontChange) {
    layoutMetrics();
    updateGeometry();
  }
  return QWidget::event(event);
}

TokenStripRowNames::TokenStripRowNames(const TokenStrip* strip, QWidget* parent)
    : QWidget(parent), m_strip(strip) {}

QSize TokenStripRowNames::sizeHint() const {
  int width = 0;
  for (int row = 0; row < TokenStrip::kRowCount; ++row) {
    width = std::max(width,
                     fontMetrics().horizontalAdvance(TokenStrip::rowName(static_cast<TokenStrip::Row>(row))));
  }
  return QSize(width + 2 * kStripMargin, m_strip->sizeHint().height());
}

void TokenStripRowNames::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.setPen(palette().color(QPalette::PlaceholderText));
  for (int row = 0; row < TokenStrip::kRowCount; ++row) {
    const auto which = static_cast<TokenStrip::Row>(row);
    const QRect rect = m_strip->rowRect(which);
    painter.drawText(QRect(kStripMargin, rect.top(), width() - 2 * kStripMargin, rect.height()),
                     Qt::AlignRight | Qt::AlignVCenter, TokenStrip::rowName(which));
  }
}

}  // namespace zoolab
