#include "views/text_token_view.h"
#include "views/number_text.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <QCheckBox>
#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QLinearGradient>
#include <QPainter>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStyle>
#include <QVBoxLayout>

namespace zoolab {

namespace {

constexpr int kLegendBarWidth = 150;
constexpr int kLegendBarHeight = 10;
constexpr int kLegendSampleWidth = 70;

bool sameTokens(const TokenLossSet& a, const TokenLossSet& b) {
  return a.sequences == b.sequences && a.length == b.length && a.tokens == b.tokens;
}

}  // namespace

// ---- Legend ----

TextColourLegend::TextColourLegend(QWidget* parent) : QWidget(parent) {
  setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Fixed);
}

void TextColourLegend::setScale(const TextColourScale& scale) {
  m_scale = scale;
  setToolTip(tr("%1: values beyond %2 take the end colour; AR hits are underlined")
                 .arg(scale.title(), QString::number(scale.limit)));
  update();
}

QSize TextColourLegend::sizeHint() const {
  const QFontMetrics metrics(font());
  return QSize(kLegendBarWidth + kLegendSampleWidth + 24, 2 * metrics.height() + kLegendBarHeight + 6);
}

void TextColourLegend::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  const QFontMetrics metrics(font());
  const QColor text = palette().color(QPalette::WindowText);
  const int left = 6;
  painter.setPen(text);
  painter.drawText(QRect(left, 0, kLegendBarWidth, metrics.height()), Qt::AlignLeft | Qt::AlignVCenter,
                   m_scale.title());
  const QRect bar(left, metrics.height() + 2, kLegendBarWidth, kLegendBarHeight);
  for (int x = 0; x < bar.width(); ++x) {
    const double t = (x + 0.5) / bar.width();
    const double value = m_scale.minimum() + t * (m_scale.maximum() - m_scale.minimum());
    painter.fillRect(QRect(bar.left() + x, bar.top(), 1, bar.height()), m_scale.colour(value));
  }
  painter.setPen(QColor(0, 0, 0, 80));
  painter.drawRect(bar.adjusted(0, 0, -1, -1));
  painter.setPen(text);
  const QRect labels(left, bar.bottom() + 2, kLegendBarWidth, metrics.height());
  const auto label = [](double v) { return QString::number(v, 'g', 3); };
  painter.drawText(labels, Qt::AlignLeft | Qt::AlignVCenter, label(m_scale.minimum()));
  painter.drawText(labels, Qt::AlignRight | Qt::AlignVCenter,
                   QStringLiteral("≥ ") + label(m_scale.maximum()));
  if (m_scale.kind == TextColourScale::Kind::Difference) {
    painter.drawText(labels, Qt::AlignHCenter | Qt::AlignVCenter, QStringLiteral("0"));
  }
  // The AR-hit mark, as the canvas draws it.
  const int sampleLeft = left + kLegendBarWidth + 18;
  const QString hit = tr("AR hit");
  const QRect sample(sampleLeft, bar.top() - 2, metrics.horizontalAdvance(hit) + 6, metrics.height() + 4);
  painter.fillRect(QRect(sample.left(), sample.bottom() - 2, sample.width(), 3),
                   TextTokenCanvas::arHitColour());
  painter.drawText(sample.adjusted(3, 0, -3, -3), Qt::AlignLeft | Qt::AlignVCenter, hit);
}

// ---- View ----

TextTokenView::TextTokenView(QWidget* parent) : QWidget(parent) {
  m_sequenceSpin = new QSpinBox(this);
  m_sequenceSpin->setObjectName(QStringLiteral("sequenceSpin"));
  m_sequenceSpin->setToolTip(tr("The validation sequence shown (PgUp/PgDn in the text)"));
  m_sequenceSpin->setKeyboardTracking(false);
  m_previous = new QPushButton(style()->standardIcon(QStyle::SP_ArrowLeft), QString(), this);
  m_previous->setObjectName(QStringLiteral("previousButton"));
  m_previous->setToolTip(tr("Previous sequence (PgUp)"));
  m_next = new QPushButton(style()->standardIcon(QStyle::SP_ArrowRight), QString(), this);
  m_next->setObjectName(QStringLiteral("nextButton"));
  m_next->setToolTip(tr("Next sequence (PgDn)"));
  m_sequenceLabel = new QLabel(this);
  m_sequenceLabel->setObjectName(QStringLiteral("sequenceLabel"));
  m_sequenceLabel->setWordWrap(true);
  m_modeCombo = new QComboBox(this);
  m_modeCombo->setObjectName(QStringLiteral("modeCombo"));
  m_modeCombo->addItem(tr("Loss of A"), static_cast<int>(Mode::Loss));
  m_modeCombo->addItem(tr("A and B side by side"), static_cast<int>(Mode::SideBySide));
  m_modeCombo->addItem(tr("Loss A − loss B"), static_cast<int>(Mode::Difference));
  m_modeCombo->setToolTip(
      tr("What colours the tokens: run A's loss, both runs' losses on one scale, or "
         "the per-token difference (blue: A lower, red: A higher)"));
  m_arHitsOnly = new QCheckBox(tr("AR hits only"), this);
  m_arHitsOnly->setObjectName(QStringLiteral("arHitsOnlyCheck"));
  m_arHitsOnly->setToolTip(
      tr("Colour only the AR hits (tokens completing a bigram seen earlier in the "
         "sequence); the arrow keys then step between them"));
  m_legend = new TextColourLegend(this);
  m_legend->setObjectName(QStringLiteral("legend"));

  const auto makeColumn = [this](const QString& name, QLabel** title, QScrollArea** area,
                                 TextTokenCanvas** canvas) {
    *title = new QLabel(this);
    (*title)->setObjectName(QStringLiteral("title") + name);
    *canvas = new TextTokenCanvas;
    (*canvas)->setObjectName(QStringLiteral("canvas") + name);
    *area = new QScrollArea(this);
    (*area)->setWidget(*canvas);
    (*area)->setWidgetResizable(false);  // the canvas is fitted to the viewport's width (fitCanvas)
    (*area)->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    (*area)->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOn);  // no reflow when a scroll bar comes
    (*area)->viewport()->installEventFilter(this);
    // A widget per column, so a hidden column B gives all the room to A.
    auto* column = new QWidget(this);
    auto* columnLayout = new QVBoxLayout(column);
    columnLayout->setContentsMargins(0, 0, 0, 0);
    columnLayout->addWidget(*title);
    columnLayout->addWidget(*area, 1);
    (*title)->setParent(column);
    (*area)->setParent(column);
    return column;
  };
  auto* columns = new QHBoxLayout;
  columns->addWidget(makeColumn(QStringLiteral("A"), &m_titleA, &m_areaA, &m_canvasA), 1);
  m_columnB = makeColumn(QStringLiteral("B"), &m_titleB, &m_areaB, &m_canvasB);
  columns->addWidget(m_columnB, 1);

  m_info = new QLabel(this);
  m_info->setObjectName(QStringLiteral("infoLabel"));
  m_info->setWordWrap(true);
  m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_info->setMinimumHeight(3 * m_info->fontMetrics().height() + 4);
  m_info->setAlignment(Qt::AlignLeft | Qt::AlignTop);
  m_messageLabel = new QLabel(this);
  m_messageLabel->setObjectName(QStringLiteral("messageLabel"));
  m_messageLabel->setWordWrap(true);
  m_messageLabel->setForegroundRole(QPalette::PlaceholderText);

  auto* top = new QHBoxLayout;
  auto* sequenceName = new QLabel(tr("Sequence:"), this);
  sequenceName->setBuddy(m_sequenceSpin);
  top->addWidget(sequenceName);
  top->addWidget(m_sequenceSpin);
  top->addWidget(m_previous);
  top->addWidget(m_next);
  top->addSpacing(12);
  top->addWidget(new QLabel(tr("Colour:"), this));
  top->addWidget(m_modeCombo);
  top->addWidget(m_arHitsOnly);
  top->addStretch(1);
  top->addWidget(m_legend);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(top);
  layout->addWidget(m_sequenceLabel);
  layout->addWidget(m_messageLabel);
  layout->addLayout(columns, 1);
  layout->addWidget(m_info);

  connect(m_sequenceSpin, &QSpinBox::valueChanged, this, [this](int value) { setSequence(value - 1); });
  connect(m_previous, &QPushButton::clicked, this, [this] { setSequence(m_sequence - 1); });
  connect(m_next, &QPushButton::clicked, this, [this] { setSequence(m_sequence + 1); });
  connect(m_modeCombo, &QComboBox::activated, this,
          [this](int index) { setMode(static_cast<Mode>(m_modeCombo->itemData(index).toInt())); });
  connect(m_arHitsOnly, &QCheckBox::toggled, this, [this] { rebuild(); });
  for (TextTokenCanvas* canvas : {m_canvasA, m_canvasB}) {
    connect(canvas, &TextTokenCanvas::currentChanged, this, &TextTokenView::onCurrentChanged);
    connect(canvas, &TextTokenCanvas::sequenceStepRequested, this,
            [this](int delta) { setSequence(m_sequence + delta); });
    // Formatted on hover from the current sequence (both canvases show its positions), not per rebuild.
    canvas->setToolTipSource([this](int position) { return describe(position); });
  }
  // Side by side, both texts scroll together: their layouts are the same (same tokens, same width).
  connect(m_areaA->verticalScrollBar(), &QScrollBar::valueChanged, m_areaB->verticalScrollBar(),
          &QScrollBar::setValue);
  connect(m_areaB->verticalScrollBar(), &QScrollBar::valueChanged, m_areaA->verticalScrollBar(),
          &QScrollBar::setValue);

  clear(tr("No text run."));
}

TextTokenView::~TextTokenView() = default;

void TextTokenView::setRuns(Run a, std::optional<Run> b) {
  if (!a.losses || a.losses->sequences <= 0 || a.losses->length <= 0 ||
      a.losses->tokens.size() != static_cast<size_t>(a.losses->sequences * a.losses->length) ||
      a.losses->losses.size() != a.losses->tokens.size()) {
    clear(tr("Run %1 has no per-token losses to show.").arg(a.name));
    return;
  }
  m_message.clear();
  if (b && (!b->losses || !sameTokens(*a.losses, *b->losses))) {
    m_message = tr("%1 was validated on other tokens than %2 (another shards folder, split or context "
                   "length): only %2 is shown.")
                    .arg(b->name, a.name);
    b.reset();
  }
  const qint64 previousB = m_b ? m_b->id : 0;
  m_a = std::move(a);
  m_b = std::move(b);
  if (!m_b) {
    m_mode = Mode::Loss;
  } else if (m_b->id != previousB && m_mode == Mode::Loss) {
    m_mode = Mode::Difference;  // a new run B is there to compare with: show the difference first
  }

  m_predictedA = 0;
  m_lossSumA = 0.0;
  for (int64_t i = 0; i < static_cast<int64_t>(m_a.losses->losses.size()); ++i) {
    const float loss = m_a.losses->losses[static_cast<size_t>(i)];
    if (i % m_a.losses->length != 0 && std::isfinite(loss)) {
      ++m_predictedA;
      m_lossSumA += loss;
    }
  }
  m_predictedB = m_b ? m_predictedA : 0;
  updateScale();

  const int count = sequenceCount();
  m_sequence = std::clamp(m_sequence, 0, std::max(0, count - 1));
  {
    const QSignalBlocker blocker(m_sequenceSpin);
    m_sequenceSpin->setRange(1, std::max(1, count));
    m_sequenceSpin->setSuffix(tr(" of %1").arg(count));
    m_sequenceSpin->setValue(m_sequence + 1);
    m_sequenceSpin->setEnabled(count > 0);
  }
  m_previous->setEnabled(count > 1);
  m_next->setEnabled(count > 1);
  m_modeCombo->setEnabled(true);
  m_arHitsOnly->setEnabled(true);
  updateModeCombo();
  rebuild();
}

void TextTokenView::clear(const QString& message) {
  m_a = Run{};
  m_b.reset();
  m_mode = Mode::Loss;
  m_hits.clear();
  m_message = message;
  m_predictedA = 0;
  m_lossSumA = 0.0;
  {
    const QSignalBlocker blocker(m_sequenceSpin);
    m_sequenceSpin->setRange(0, 0);
    m_sequenceSpin->setSuffix(QString());
    m_sequenceSpin->setEnabled(false);
  }
  m_previous->setEnabled(false);
  m_next->setEnabled(false);
  m_modeCombo->setEnabled(false);
  m_arHitsOnly->setEnabled(false);
  updateModeCombo();
  m_canvasA->setCells({}, m_lossScale);
  m_canvasB->setCells({}, m_lossScale);
  m_canvasA->setCurrent(-1);
  m_canvasB->setCurrent(-1);
  m_titleA->clear();
  m_titleB->clear();
  m_columnB->setVisible(false);
  m_sequenceLabel->clear();
  m_info->clear();
  m_messageLabel->setText(message);
  m_messageLabel->setVisible(!message.isEmpty());
  m_legend->setScale(m_lossScale);
}

QString TextTokenView::message() const {
  return m_message;
}

int TextTokenView::sequenceCount() const {
  return m_a.losses ? static_cast<int>(m_a.losses->sequences) : 0;
}

bool TextTokenView::setSequence(int sequence) {
  if (sequence < 0 || sequence >= sequenceCount()) {
    return false;
  }
  if (sequence != m_sequence) {
    m_sequence = sequence;
    const QSignalBlocker blocker(m_sequenceSpin);
    m_sequenceSpin->setValue(sequence + 1);
    rebuild();
    Q_EMIT sequenceChanged(sequence);
  }
  return true;
}

void TextTokenView::setMode(Mode mode) {
  if (!m_b) {
    mode = Mode::Loss;
  }
  if (mode != m_mode) {
    m_mode = mode;
    rebuild();
  }
  updateModeCombo();
}

bool TextTokenView::arHitsOnly() const {
  return m_arHitsOnly->isChecked();
}

void TextTokenView::setArHitsOnly(bool only) {
  m_arHitsOnly->setChecked(only);
}

void TextTokenView::updateModeCombo() {
  if (auto* model = qobject_cast<QStandardItemModel*>(m_modeCombo->model())) {
    for (int i = 1; i < model->rowCount(); ++i) {
      model->item(i)->setEnabled(m_b.has_value());
    }
  }
  const QSignalBlocker blocker(m_modeCombo);
  m_modeCombo->setCurrentIndex(m_modeCombo->findData(static_cast<int>(m_mode)));
}

void TextTokenView::updateScale() {
  std::vector<double> losses;
  std::vector<double> differences;
  const TokenLossSet& a = *m_a.losses;
  const int64_t length = a.length;
  losses.reserve(a.losses.size() * (m_b ? 2 : 1));
  for (size_t i = 0; i < a.losses.size(); ++i) {
    if (static_cast<int64_t>(i) % length == 0) {
      continue;
    }
    losses.push_back(a.losses[i]);
    if (m_b) {
      losses.push_back(m_b->losses->losses[i]);
      differences.push_back(static_cast<double>(a.losses[i]) - m_b->losses->losses[i]);
    }
  }
  m_lossScale = TextColourScale{TextColourScale::Kind::Loss,
                                TextColourScale::limitFor(std::move(losses), TextColourScale::Kind::Loss)};
  m_differenceScale =
      TextColourScale{TextColourScale::Kind::Difference,
                      TextColourScale::limitFor(std::move(differences), TextColourScale::Kind::Difference)};
}

float TextTokenView::lossOf(const Run* run, int position) const {
  if (!run || !run->losses || position <= 0 || position >= m_a.losses->length) {
    return std::numeric_limits<float>::quiet_NaN();
  }
  return run->losses->losses[static_cast<size_t>(offset(position))];
}

double TextTokenView::valueAt(int position) const {
  if (!m_a.losses || position <= 0 || position >= m_a.losses->length) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  const double a = lossOf(&m_a, position);
  return m_mode == Mode::Difference ? a - static_cast<double>(lossOf(m_b ? &*m_b : nullptr, position)) : a;
}

QString TextTokenView::tokenText(int position) const {
  if (!m_a.losses || position < 0 || position >= m_a.losses->length) {
    return QString();
  }
  const int32_t token = m_a.losses->tokens[static_cast<size_t>(offset(position))];
  const auto& vocabulary = m_a.vocabulary;
  if (!vocabulary || token < 0 || static_cast<size_t>(token) >= vocabulary->size()) {
    return QString::number(token);
  }
  return displayTokenText((*vocabulary)[static_cast<size_t>(token)]);
}

QString TextTokenView::describe(int position) const {
  if (!m_a.losses || position < 0 || position >= m_a.losses->length) {
    return QString();
  }
  const size_t at = static_cast<size_t>(offset(position));
  const int32_t token = m_a.losses->tokens[at];
  QString text = tr("“%1” · token %2 · position %3 of sequence %4")
                     .arg(tokenText(position))
                     .arg(token)
                     .arg(position)
                     .arg(m_sequence + 1);
  if (position == 0) {
    return text + QLatin1Char('\n') + tr("The sequence's first token: nothing predicts it.");
  }
  const double lossA = lossOf(&m_a, position);
  const double contribution =
      m_predictedA > 0 ? std::exp(lossA / static_cast<double>(m_predictedA)) : std::nan("");
  QString losses;
  if (m_b) {
    const double lossB = lossOf(m_b ? &*m_b : nullptr, position);
    losses = tr("loss %1 %2 · %3 %4 · A − B %5 nats")
                 .arg(m_a.name, formatNumber(lossA), m_b->name, formatNumber(lossB),
                      formatSignedNumber(lossA - lossB));
  } else {
    losses = tr("loss %1 nats").arg(formatNumber(lossA));
  }
  losses +=
      tr(" · e^loss %1 · perplexity contribution ×%2 (e^(loss/N), N = %3 tokens; %4 of the summed "
         "loss)")
          .arg(formatNumber(std::exp(lossA), 2))
          .arg(QString::number(contribution, 'f', 6))
          .arg(m_predictedA)
          .arg(m_lossSumA > 0 ? QString::number(100.0 * lossA / m_lossSumA, 'f', 3) + QStringLiteral(" %")
                              : QStringLiteral("—"));
  const ArHit hit =
      position < static_cast<int>(m_hits.size()) ? m_hits[static_cast<size_t>(position)] : ArHit{};
  QString count = QStringLiteral("—");
  if (m_a.losses->train_counts.size() == m_a.losses->tokens.size()) {
    const uint32_t n = m_a.losses->train_counts[at];
    count = n == std::numeric_limits<uint32_t>::max() ? QStringLiteral("≥ %1").arg(n) : QString::number(n);
  }
  const QString bigram = tr("“%1%2”").arg(tokenText(position - 1), tokenText(position));
  const QString ar = hit.hit ? tr("AR hit: yes · distance %1 (bigram %2 last seen at position %3) · bigram "
                                  "training count %4")
                                   .arg(hit.distance)
                                   .arg(bigram)
                                   .arg(position - hit.distance)
                                   .arg(count)
                             : tr("AR hit: no · bigram %1 training count %2").arg(bigram, count);
  return text + QLatin1Char('\n') + losses + QLatin1Char('\n') + ar;
}

void TextTokenView::rebuild() {
  if (!m_a.losses) {
    return;
  }
  const int64_t length = m_a.losses->length;
  m_hits = classify_ar_hits(m_a.losses->tokens.data() + offset(0), length);
  const bool only = m_arHitsOnly->isChecked();
  const bool sideBySide = m_mode == Mode::SideBySide && m_b;
  std::vector<TextTokenCanvas::Cell> cellsA;
  std::vector<TextTokenCanvas::Cell> cellsB;
  cellsA.reserve(static_cast<size_t>(length));
  int64_t predicted = 0;
  int64_t hits = 0;
  double sumA = 0.0;
  double sumB = 0.0;
  for (int p = 0; p < length; ++p) {
    TextTokenCanvas::Cell cell;
    bool endsLine = false;
    const int32_t token = m_a.losses->tokens[static_cast<size_t>(offset(p))];
    const auto& vocabulary = m_a.vocabulary;
    cell.text = vocabulary && token >= 0 && static_cast<size_t>(token) < vocabulary->size()
                    ? displayTokenText((*vocabulary)[static_cast<size_t>(token)], &endsLine)
                    : QString::number(token);
    cell.lineBreak = endsLine;
    cell.arHit = m_hits[static_cast<size_t>(p)].hit;
    cell.dimmed = only && !cell.arHit;
    cell.value = valueAt(p);
    const double lossA = lossOf(&m_a, p);
    const double lossB = m_b ? lossOf(&*m_b, p) : 0.0;
    if (p > 0 && std::isfinite(lossA) && std::isfinite(lossB)) {  // as the analysis: predicted tokens only
      ++predicted;
      hits += cell.arHit ? 1 : 0;
      sumA += lossA;
      sumB += lossB;
    }
    if (sideBySide) {
      TextTokenCanvas::Cell other = cell;
      other.value = lossOf(m_b ? &*m_b : nullptr, p);
      cellsB.push_back(std::move(other));
    }
    cellsA.push_back(std::move(cell));
  }
  const TextColourScale& scale = m_mode == Mode::Difference ? m_differenceScale : m_lossScale;
  const int current = m_canvasA->current();
  m_canvasA->setCells(std::move(cellsA), scale);
  m_canvasB->setCells(std::move(cellsB), scale);
  m_legend->setScale(scale);
  m_columnB->setVisible(sideBySide);
  switch (m_mode) {
    case Mode::Loss:
      m_titleA->setText(tr("<b>%1</b>: loss").arg(m_a.name.toHtmlEscaped()));
      break;
    case Mode::SideBySide:
      m_titleA->setText(tr("A <b>%1</b>: loss").arg(m_a.name.toHtmlEscaped()));
      m_titleB->setText(tr("B <b>%1</b>: loss").arg(m_b->name.toHtmlEscaped()));
      break;
    case Mode::Difference:
      m_titleA->setText(tr("loss A − loss B: A <b>%1</b>, B <b>%2</b> (blue: A lower, red: A higher)")
                            .arg(m_a.name.toHtmlEscaped(), m_b->name.toHtmlEscaped()));
      break;
  }
  QString summary = tr("Sequence %1 of %2 (step %3): %4 predicted tokens, %5 AR hits (%6 %), mean loss %7 "
                       "(perplexity %8)")
                        .arg(m_sequence + 1)
                        .arg(sequenceCount())
                        .arg(m_a.losses->step)
                        .arg(predicted)
                        .arg(hits)
                        .arg(formatNumber(predicted > 0 ? 100.0 * hits / predicted : 0.0, 1))
                        .arg(formatNumber(predicted > 0 ? sumA / predicted : std::nan("")))
                        .arg(formatNumber(predicted > 0 ? std::exp(sumA / predicted) : std::nan(""), 2));
  if (m_b && predicted > 0) {
    summary +=
        tr("; %1 mean loss %2 (A − B %3)")
            .arg(m_b->name, formatNumber(sumB / predicted), formatSignedNumber((sumA - sumB) / predicted));
  }
  m_sequenceLabel->setText(summary);
  m_messageLabel->setText(m_message);
  m_messageLabel->setVisible(!m_message.isEmpty());
  fitCanvas(m_areaA, m_canvasA);
  fitCanvas(m_areaB, m_canvasB);
  // The same position stays current in the new sequence (comparing sequences at one place).
  m_canvasA->setCurrent(-1);
  m_canvasA->setCurrent(current);
  if (current < 0) {
    onCurrentChanged(-1);
  }
}

void TextTokenView::onCurrentChanged(int index) {
  if (m_syncing) {
    return;
  }
  m_syncing = true;
  m_canvasA->setCurrent(index);
  if (!m_canvasB->cells().empty()) {
    m_canvasB->setCurrent(index);
  }
  std::vector<int> linked;
  if (index > 0 && index < static_cast<int>(m_hits.size()) && m_hits[static_cast<size_t>(index)].hit) {
    const int second = index - static_cast<int>(m_hits[static_cast<size_t>(index)].distance);
    linked = {second - 1, second};
  }
  m_canvasA->setLinked(linked);
  m_canvasB->setLinked(linked);
  m_syncing = false;
  m_info->setText(index >= 0 ? describe(index)
                             : tr("Hover over a token for its numbers, or click one (Left/Right move, "
                                  "PgUp/PgDn change the sequence). Underlined: AR hits."));
}

void TextTokenView::fitCanvas(QScrollArea* area, TextTokenCanvas* canvas) {
  const int width = area->viewport()->width();
  canvas->resize(width, std::max(canvas->heightForWidth(width), area->viewport()->height()));
}

bool TextTokenView::eventFilter(QObject* watched, QEvent* event) {
  if (event->type() == QEvent::Resize) {
    if (watched == m_areaA->viewport()) {
      fitCanvas(m_areaA, m_canvasA);
    } else if (watched == m_areaB->viewport()) {
      fitCanvas(m_areaB, m_canvasB);
    }
  }
  return QWidget::eventFilter(watched, event);
}

}  // namespace zoolab
