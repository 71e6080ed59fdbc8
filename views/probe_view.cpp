#include "views/probe_view.h"

#include <algorithm>
#include <map>

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QShowEvent>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

#include "engine/inspect/probe_sequence.h"
#include "views/pattern_view.h"
#include "views/token_strip.h"

namespace zoolab {

namespace {

constexpr int64_t kNoLabel = -100;

enum Column {
  PositionColumn,
  TokenColumn,
  TargetColumn,
  PredictionColumn,
  PPredictionColumn,
  PTargetColumn,
  OutcomeColumn,
  ColumnCount
};

QTableWidgetItem* cell(const QString& text, Qt::Alignment alignment = Qt::AlignRight | Qt::AlignVCenter) {
  auto* item = new QTableWidgetItem(text);
  item->setTextAlignment(alignment);
  item->setFlags(Qt::ItemIsSelectable | Qt::ItemIsEnabled);
  return item;
}

QString probability(float p) {
  return QString::number(static_cast<double>(p), 'f', 3);
}

}  // namespace

// ---- The sequence syntax ----

ProbeView::ParsedSequence ProbeView::parseSequence(const QString& text) {
  // An unpaired surrogate would become '?' in UTF-8 (Qt's replacement), turning "5<surrogate>" into the
  // query "5?"; U+FFFD keeps it a character that no word may contain.
  QString cleaned = text;
  for (qsizetype i = 0; i < cleaned.size(); ++i) {
    const QChar c = cleaned.at(i);
    if (c.isHighSurrogate() && i + 1 < cleaned.size() && cleaned.at(i + 1).isLowSurrogate()) {
      ++i;
    } else if (c.isSurrogate()) {
      cleaned[i] = QChar::ReplacementCharacter;
    }
  }
  const ProbeSequence sequence = parse_probe_sequence(cleaned.toStdString());
  ParsedSequence parsed;
  parsed.tokens = sequence.tokens;
  parsed.labels = sequence.labels;
  const ProbeSequenceError& error = sequence.error;
  const auto at = [&](const QString& why) {
    return tr("Token %1 (\"%2\"): %3").arg(error.word).arg(QString::fromStdString(error.text), why);
  };
  switch (error.problem) {
    case ProbeSequenceProblem::None:
      break;
    case ProbeSequenceProblem::BadTarget:
      parsed.error = at(tr("the target after ':' must be a non-negative integer"));
      break;
    case ProbeSequenceProblem::NotAnInteger:
      parsed.error =
          at(tr("not an integer token id (write ids separated by spaces; \"K?\" marks a query of key K, "
                "\"K:T\" one with target T)"));
      break;
    case ProbeSequenceProblem::NegativeToken:
      parsed.error = at(tr("token ids are not negative"));
      break;
    case ProbeSequenceProblem::NoDerivedTarget:
      parsed.error = tr("Token %1 (\"%2?\"): key %2 does not occur earlier followed by a value, so the query "
                        "has no target; write %2:T to give one")
                         .arg(error.word)
                         .arg(error.key);
      break;
  }
  return parsed;
}

QString ProbeView::formatSequence(const std::vector<int64_t>& tokens, const std::vector<int64_t>& labels) {
  std::vector<bool> isQuery(tokens.size(), false);
  for (size_t p = 0; p < tokens.size() && p < labels.size(); ++p) {
    isQuery[p] = labels[p] != kNoLabel;
  }
  QStringList words;
  for (size_t p = 0; p < tokens.size(); ++p) {
    QString word = QString::number(tokens[p]);
    if (isQuery[p]) {
      word += derived_probe_target(tokens, isQuery, p) == labels[p] ? QStringLiteral("?")
                                                                    : QStringLiteral(":%1").arg(labels[p]);
    }
    words.append(word);
  }
  return words.join(QLatin1Char(' '));
}

// ---- The page ----

ProbeView::ProbeView(QWidget* parent) : QWidget(parent) {
  m_debounce = new QTimer(this);
  m_debounce->setSingleShot(true);
  m_debounce->setInterval(kDebounceMs);
  connect(m_debounce, &QTimer::timeout, this, &ProbeView::runNow);
  buildLayout();
  setEditingEnabled(false);
  m_runLabel->setText(tr("Select a run to probe its latest checkpoint."));
}

ProbeView::~ProbeView() = default;

void ProbeView::buildLayout() {
  m_runLabel = new QLabel(this);
  m_runLabel->setObjectName(QStringLiteral("runLabel"));
  m_runLabel->setWordWrap(true);
  m_runLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_reloadButton = new QPushButton(tr("Re&load Checkpoint"), this);
  m_reloadButton->setObjectName(QStringLiteral("reloadButton"));
  m_reloadButton->setToolTip(
      tr("Load the run's latest checkpoint again (a run still training writes newer ones)."));
  connect(m_reloadButton, &QPushButton::clicked, this, &ProbeView::reload);

  m_edit = new QLineEdit(this);
  m_edit->setObjectName(QStringLiteral("sequenceEdit"));
  m_edit->setClearButtonEnabled(true);
  m_edit->setPlaceholderText(
      tr("token ids separated by spaces; K? marks a query of key K, K:T one with target T"));
  m_edit->setToolTip(
      tr("<p>Token ids separated by spaces. <b>K?</b> marks a query of key K, scored against the value after "
         "K's first earlier occurrence (the context's pair); <b>K:T</b> a query with target T.</p>"
         "<p>Predictions and patterns update as you type.</p>"));
  QFont mono = m_edit->font();
  mono.setFamily(QStringLiteral("monospace"));
  mono.setStyleHint(QFont::Monospace);
  m_edit->setFont(mono);
  connect(m_edit, &QLineEdit::textEdited, this, [this] { m_debounce->start(); });

  m_segmentCombo = new QComboBox(this);
  m_segmentCombo->setObjectName(QStringLiteral("segmentCombo"));
  m_segmentCombo->setToolTip(tr("The test segment whose settings draw the example."));
  m_segmentCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  m_seedSpin = new QSpinBox(this);
  m_seedSpin->setObjectName(QStringLiteral("seedSpin"));
  m_seedSpin->setRange(0, 1000000000);
  m_seedSpin->setToolTip(tr("The seed the example is drawn with."));
  m_generateButton = new QPushButton(tr("&Generate"), this);
  m_generateButton->setObjectName(QStringLiteral("generateButton"));
  m_generateButton->setToolTip(tr("Write an example drawn with the chosen segment's settings and seed."));
  connect(m_generateButton, &QPushButton::clicked, this, &ProbeView::generate);
  m_mixingCheck = new QCheckBox(tr("&Mixing matrix"), this);
  m_mixingCheck->setObjectName(QStringLiteral("mixingCheck"));
  m_mixingCheck->setToolTip(
      tr("Also compute every layer's mixing matrix M[i, j] = ‖∂y_i/∂x_j‖ (one backward pass per position)."));
  connect(m_mixingCheck, &QCheckBox::toggled, this, [this] { runNow(); });

  m_error = new QLabel(this);
  m_error->setObjectName(QStringLiteral("errorLabel"));
  m_error->setWordWrap(true);
  m_error->setTextFormat(Qt::PlainText);  // quotes what the user typed: "<b>x" is text, not markup
  m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_error->setStyleSheet(QStringLiteral("color: #d32f2f"));
  m_error->setVisible(false);
  m_summary = new QLabel(this);
  m_summary->setObjectName(QStringLiteral("summaryLabel"));
  m_summary->setWordWrap(true);
  m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

  m_strip = new TokenStrip(this);
  m_strip->setObjectName(QStringLiteral("tokenStrip"));
  auto* scroll = new QScrollArea(this);
  scroll->setWidget(m_strip);
  scroll->setWidgetResizable(false);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
  scroll->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setFixedHeight(m_strip->sizeHint().height() + scroll->horizontalScrollBar()->sizeHint().height() +
                         4);

  m_table = new QTableWidget(0, ColumnCount, this);
  m_table->setObjectName(QStringLiteral("predictionTable"));
  m_table->setHorizontalHeaderLabels(
      {tr("pos"), tr("token"), tr("target"), tr("pred"), tr("p(pred)"), tr("p(target)"), QString()});
  m_table->verticalHeader()->setVisible(false);
  m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
  m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  m_table->horizontalHeader()->setStretchLastSection(true);
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->setAlternatingRowColors(true);

  m_patterns = new PatternView(this);
  m_patterns->setObjectName(QStringLiteral("patternView"));
  m_patterns->clear(tr("The patterns of the sequence appear here."));

  auto* top = new QHBoxLayout;
  top->addWidget(m_runLabel, 1);
  top->addWidget(m_reloadButton);
  auto* editor = new QHBoxLayout;
  auto* sequenceLabel = new QLabel(tr("&Sequence"), this);
  sequenceLabel->setBuddy(m_edit);
  editor->addWidget(sequenceLabel);
  editor->addWidget(m_edit, 1);
  editor->addWidget(m_mixingCheck);
  auto* generator = new QHBoxLayout;
  auto* segmentLabel = new QLabel(tr("Segme&nt"), this);
  segmentLabel->setBuddy(m_segmentCombo);
  auto* seedLabel = new QLabel(tr("S&eed"), this);
  seedLabel->setBuddy(m_seedSpin);
  generator->addWidget(segmentLabel);
  generator->addWidget(m_segmentCombo);
  generator->addWidget(seedLabel);
  generator->addWidget(m_seedSpin);
  generator->addWidget(m_generateButton);
  generator->addSpacing(12);
  generator->addWidget(m_summary, 1);

  m_splitter = new QSplitter(Qt::Horizontal, this);
  m_splitter->addWidget(m_table);
  m_splitter->addWidget(m_patterns);
  m_splitter->setStretchFactor(0, 0);
  m_splitter->setStretchFactor(1, 1);
  m_splitter->setChildrenCollapsible(false);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 6, 6, 6);
  layout->addLayout(top);
  layout->addLayout(editor);
  layout->addWidget(m_error);
  layout->addLayout(generator);
  layout->addWidget(scroll);
  layout->addWidget(m_splitter, 1);
}

void ProbeView::setRun(qint64 runId) {
  if (runId == m_runId && (hasModel() || m_loadPending)) {
    return;
  }
  m_runId = runId;
  m_model = ProbeModelInfo();
  m_debounce->stop();
  setEditingEnabled(false);
  setError(QString());
  if (runId <= 0) {
    m_runLabel->setText(tr("Select a run to probe its latest checkpoint."));
    m_loadPending = false;
    Q_EMIT loadRequested(0);
    return;
  }
  m_runLabel->setText(tr("Run %1: loading its latest checkpoint…").arg(runId));
  m_loadPending = true;
  if (isVisible()) {
    requestLoad();
  }
}

void ProbeView::reload() {
  if (m_runId <= 0) {
    return;
  }
  m_model = ProbeModelInfo();
  setEditingEnabled(false);
  m_runLabel->setText(tr("Run %1: loading its latest checkpoint…").arg(m_runId));
  m_loadPending = true;
  requestLoad();
}

void ProbeView::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (m_loadPending) {
    requestLoad();
  }
}

void ProbeView::requestLoad() {
  m_loadPending = false;
  Q_EMIT loadRequested(m_runId);
}

void ProbeView::setModel(const ProbeModelInfo& info) {
  if (info.runId != m_runId) {
    return;  // an answer for a run no longer shown
  }
  m_model = info;
  m_runLabel->setText(tr("Run %1 · checkpoint after epoch %2 · vocabulary %3 · sequences up to %4 tokens")
                          .arg(info.runId)
                          .arg(info.epoch)
                          .arg(info.vocabSize)
                          .arg(info.maxLength));
  const int segment = std::max(0, m_segmentCombo->currentIndex());
  m_segmentCombo->clear();
  for (int s = 0; s < info.segments.size(); ++s) {
    m_segmentCombo->addItem(tr("%1: %2").arg(s).arg(info.segments[s]), s);
  }
  m_segmentCombo->setCurrentIndex(std::min(segment, static_cast<int>(m_segmentCombo->count()) - 1));
  setEditingEnabled(true);
  if (m_edit->text().trimmed().isEmpty()) {
    generate();
  } else {
    runNow();
  }
}

void ProbeView::setLoadError(qint64 runId, const QString& message) {
  if (runId != m_runId) {
    return;
  }
  m_model = ProbeModelInfo();
  setEditingEnabled(false);
  m_reloadButton->setEnabled(runId > 0);
  m_runLabel->setText(tr("<b>Run %1 cannot be probed:</b> %2").arg(runId).arg(message.toHtmlEscaped()));
}

void ProbeView::setExample(const std::vector<int64_t>& tokens, const std::vector<int64_t>& labels) {
  m_edit->setText(formatSequence(tokens, labels));
  runNow();
}

void ProbeView::setSequenceText(const QString& text) {
  m_edit->setText(text);
  m_debounce->start();
}

QString ProbeView::sequenceText() const {
  return m_edit->text();
}

bool ProbeView::mixingMatrix() const {
  return m_mixingCheck->isChecked();
}

void ProbeView::generate() {
  if (!hasModel() || m_segmentCombo->count() == 0) {
    return;
  }
  Q_EMIT generateRequested(m_segmentCombo->currentData().toLongLong(),
                           static_cast<quint64>(m_seedSpin->value()));
}

void ProbeView::runNow() {
  m_debounce->stop();
  const ParsedSequence parsed = parseSequence(m_edit->text());
  if (!parsed.error.isEmpty()) {
    setError(parsed.error);
    return;
  }
  if (parsed.tokens.empty()) {
    setError(m_edit->text().trimmed().isEmpty() ? QString() : tr("The sequence is empty."));
    return;
  }
  setError(QString());
  if (!hasModel()) {
    return;  // run when the checkpoint arrives (setModel)
  }
  ++m_requestCount;
  Q_EMIT probeRequested(parsed.tokens, parsed.labels, m_mixingCheck->isChecked());
}

void ProbeView::setRunError(const QString& message) {
  setError(message);
}

void ProbeView::setError(const QString& message) {
  m_error->setText(message);
  m_error->setVisible(!message.isEmpty());
}

QString ProbeView::errorText() const {
  return m_error->text();
}

QString ProbeView::runLabelText() const {
  return m_runLabel->text();
}

QString ProbeView::summaryText() const {
  return m_summary->text();
}

void ProbeView::setEditingEnabled(bool enabled) {
  // The editor stays writable without a model: what is typed runs once a checkpoint is loaded.
  m_generateButton->setEnabled(enabled);
  m_segmentCombo->setEnabled(enabled);
  m_seedSpin->setEnabled(enabled);
  m_reloadButton->setEnabled(m_runId > 0);
}

void ProbeView::setResult(const ProbeResult& result) {
  m_result = result;
  m_hasResult = true;
  setError(QString());
  showResult();
  Q_EMIT resultShown();
}

void ProbeView::showResult() {
  const ProbeResult& r = m_result;
  const int length = static_cast<int>(r.tokens.size());
  std::map<int, size_t> queryAt;  // position -> index in r.queries
  for (size_t q = 0; q < r.queries.size(); ++q) {
    queryAt[r.queries[q].position] = q;
  }

  // The strip: queries with their outcome; the context is as long as its furthest queried pair.
  std::vector<TokenStrip::Query> queries;
  int context = 0;
  int right = 0;
  double pTargetSum = 0.0;
  for (size_t q = 0; q < r.queries.size(); ++q) {
    const QueryFacts& facts = r.queries[q];
    TokenStrip::Query query;
    query.position = facts.position;
    query.key = facts.key;
    query.target = facts.target;
    const auto position = static_cast<size_t>(facts.position);
    query.prediction = position < r.predictions.size() ? r.predictions[position] : -1;
    query.p_target = q < r.p_target.size() ? r.p_target[q] : 0.0f;
    query.correct = query.prediction == facts.target;
    query.gap = facts.gap;
    query.kv_index = facts.kv_index;
    if (facts.key_position >= 0) {
      context = std::max(context, facts.key_position + 2);
    }
    right += query.correct ? 1 : 0;
    pTargetSum += query.p_target;
    queries.push_back(query);
  }
  m_strip->setExample(-1, r.tokens, context, queries);
  m_strip->adjustSize();
  // The patterns before the table, whose token column reads the labels of the axes (q, k, v marks).
  m_patterns->setPatterns(r.patterns, r.tokens, r.queries);

  m_table->setRowCount(length);
  for (int p = 0; p < length; ++p) {
    const auto position = static_cast<size_t>(p);
    m_table->setItem(p, PositionColumn, cell(QString::number(p)));
    m_table->setItem(p, TokenColumn, cell(m_patterns->tokenLabel(p)));
    const int64_t prediction = position < r.predictions.size() ? r.predictions[position] : -1;
    m_table->setItem(p, PredictionColumn, cell(QString::number(prediction)));
    m_table->setItem(
        p, PPredictionColumn,
        cell(position < r.p_prediction.size() ? probability(r.p_prediction[position]) : QString()));
    const auto query = queryAt.find(p);
    if (query == queryAt.end()) {
      m_table->setItem(p, TargetColumn, cell(QString()));
      m_table->setItem(p, PTargetColumn, cell(QString()));
      m_table->setItem(p, OutcomeColumn, cell(QString()));
      continue;
    }
    const QueryFacts& facts = r.queries[query->second];
    const bool correct = prediction == facts.target;
    m_table->setItem(p, TargetColumn, cell(QString::number(facts.target)));
    m_table->setItem(
        p, PTargetColumn,
        cell(query->second < r.p_target.size() ? probability(r.p_target[query->second]) : QString()));
    QTableWidgetItem* outcome = cell(correct ? tr("right") : tr("wrong"), Qt::AlignLeft | Qt::AlignVCenter);
    outcome->setForeground(TokenStrip::roleColour(TokenStrip::Role::Query, correct).darker(180));
    m_table->setItem(p, OutcomeColumn, outcome);
    const QColor background = TokenStrip::roleColour(TokenStrip::Role::Query, correct);
    for (int c = 0; c < ColumnCount; ++c) {
      m_table->item(p, c)->setBackground(background);
    }
  }

  // The first result gives the table the width of its columns; the user's splitter position stays.
  if (!m_tableFitted && length > 0 && m_splitter->isVisible()) {
    m_table->resizeColumnsToContents();
    const int width = m_table->horizontalHeader()->length() +
                      m_table->verticalScrollBar()->sizeHint().width() + 2 * m_table->frameWidth();
    const int total = m_splitter->width() - m_splitter->handleWidth();
    m_splitter->setSizes({std::min(width, total / 2), std::max(total - width, total / 2)});
    m_tableFitted = true;
  }

  const int count = static_cast<int>(queries.size());
  m_summary->setText(count == 0 ? tr("%n token(s), no queries (mark one with K? or K:T).", nullptr, length)
                                : tr("%1 of %2 queries right · mean p(target) %3")
                                      .arg(right)
                                      .arg(count)
                                      .arg(pTargetSum / count, 0, 'f', 3));
}

}  // namespace zoolab
