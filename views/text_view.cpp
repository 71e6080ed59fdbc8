#include "views/text_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QShowEvent>
#include <QTabWidget>
#include <QVBoxLayout>

#include "views/run_colours.h"
#include "views/status_line.h"
#include "views/text_slices_view.h"
#include "views/text_token_view.h"

namespace zoolab {

namespace {

QString runLabel(const RunRecord& run) {
  return QStringLiteral("%1 · %2").arg(run.id).arg(QString::fromStdString(run.name));
}

}  // namespace

TextView::TextView(QWidget* parent) : QWidget(parent) {
  m_runCombo = new QComboBox(this);
  m_runCombo->setObjectName(QStringLiteral("runCombo"));
  m_runCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  m_runCombo->setMinimumContentsLength(16);
  m_runCombo->setToolTip(tr("Run A: the text run inspected (the first text run selected in the run table)"));
  m_vsCombo = new QComboBox(this);
  m_vsCombo->setObjectName(QStringLiteral("vsCombo"));
  m_vsCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  m_vsCombo->setMinimumContentsLength(16);
  m_vsCombo->setToolTip(tr("Run B: compared with A token by token (the second text run selected)"));
  m_refreshButton = new QPushButton(tr("Refresh"), this);
  m_refreshButton->setObjectName(QStringLiteral("refreshButton"));
  m_status = new StatusLine(this);

  m_slices = new TextSlicesView(this);
  m_slices->setObjectName(QStringLiteral("slicesView"));
  m_tokens = new TextTokenView(this);
  m_tokens->setObjectName(QStringLiteral("tokenView"));
  m_pages = new QTabWidget(this);
  m_pages->setObjectName(QStringLiteral("textPages"));
  m_pages->setDocumentMode(true);
  m_pages->addTab(m_slices, tr("Slices"));
  m_pages->addTab(m_tokens, tr("Tokens"));

  auto* runLabel = new QLabel(tr("Run:"), this);
  runLabel->setBuddy(m_runCombo);
  auto* vsLabel = new QLabel(tr("vs"), this);
  vsLabel->setBuddy(m_vsCombo);
  auto* top = new QHBoxLayout;
  top->addWidget(runLabel);
  top->addWidget(m_runCombo);
  top->addWidget(vsLabel);
  top->addWidget(m_vsCombo);
  top->addWidget(m_refreshButton);
  top->addStretch(1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 6, 6, 6);
  layout->addLayout(top);
  layout->addWidget(m_status);
  layout->addWidget(m_pages, 1);

  connect(m_runCombo, &QComboBox::activated, this, [this](int index) {
    m_runA = m_runCombo->itemData(index).toLongLong();
    if (m_runB == m_runA) {
      m_runB = 0;
    }
    rebuildCombos();
    redraw();  // with what is loaded; the owner answers with the rest
    Q_EMIT runsChosen(m_runA, m_runB);
  });
  connect(m_vsCombo, &QComboBox::activated, this, [this](int index) {
    m_runB = m_vsCombo->itemData(index).toLongLong();
    redraw();
    Q_EMIT runsChosen(m_runA, m_runB);
  });
  connect(m_refreshButton, &QPushButton::clicked, this, &TextView::refresh);
  connect(this, &TextView::runsChosen, this, [this] { load(/*force=*/false); });

  rebuildCombos();
  setStatus(tr("Select a text run (\"task\": \"text\") in the run table, or pick one here."));
  redraw();
}

TextView::~TextView() = default;

// ---- Database ----

void TextView::setDatabasePath(const QString& path) {
  m_databasePath = path;
  m_textRuns.clear();
  m_selected.clear();
  m_reread.clear();
  m_rereadAll = false;
  m_loading = false;  // an answer about the previous database is dropped (setData)
  m_pending = false;
  m_stale = true;
  setCandidates({});
  setChosenRuns(0, 0);
  setRuns({});
  setStatus(tr("Select a text run (\"task\": \"text\") in the run table, or pick one here."));
}

const RunRecord* TextView::textRun(qint64 runId) const {
  for (const RunRecord& run : m_textRuns) {
    if (run.id == runId) {
      return &run;
    }
  }
  return nullptr;
}

void TextView::setDatabaseRuns(const std::vector<RunRecord>& runs) {
  for (const RunRecord& run : runs) {
    // A resumed run's losses past its checkpoint were deleted (Store::truncate_metrics_after); its next
    // validation may store the same step and size again, so its set is read afresh.
    const RunRecord* previous = textRun(run.id);
    if (previous && previous->status != RunStatus::Running && run.status == RunStatus::Running) {
      m_reread.push_back(run.id);
    }
  }
  m_textRuns.clear();
  QList<Candidate> candidates;
  for (const RunRecord& run : runs) {
    if (run.task == "text") {
      m_textRuns.push_back(run);
      candidates.append({run.id, runLabel(run), runColour(run.id, run.colour)});
    }
  }
  setCandidates(candidates);
  // Deleted runs leave the pickers.
  const qint64 a = textRun(m_runA) ? m_runA : 0;
  const qint64 b = textRun(m_runB) ? m_runB : 0;
  if (a != m_runA || b != m_runB) {
    setChosenRuns(a, b);
  }
  load(/*force=*/false);
}

void TextView::setSelectedRuns(const QList<qint64>& runIds) {
  m_selected.clear();
  for (const qint64 id : runIds) {
    if (textRun(id)) {
      m_selected.append(id);
    }
  }
  // A selection without text runs (MQAR runs chosen for the other tabs) leaves the tab as it was.
  if (!m_selected.isEmpty()) {
    setChosenRuns(m_selected.front(), m_selected.size() > 1 ? m_selected[1] : 0);
  }
  load(/*force=*/false);
}

void TextView::refresh() {
  m_rereadAll = true;
  load(/*force=*/true);
}

void TextView::load(bool force) {
  if (!force && !isVisible()) {
    m_stale = true;
    return;
  }
  m_stale = false;
  // A, B, then the other selected text runs: what the tab tabulates.
  QList<qint64> wanted;
  for (const qint64 id : QList<qint64>{m_runA, m_runB} + m_selected) {
    if (id != 0 && !wanted.contains(id)) {
      wanted.append(id);
    }
  }
  if (wanted.isEmpty()) {
    setRuns({});
    setStatus(m_textRuns.empty() ? tr("This database has no text runs (\"data\": {\"task\": \"text\"}).")
                                 : tr("Select a text run in the run table, or pick one here."));
    return;
  }
  if (m_databasePath.isEmpty()) {
    return;
  }
  if (m_loading) {
    m_pending = true;  // asked again when this answer arrives
    return;
  }
  TextRequest request;
  for (const qint64 id : wanted) {
    const RunRecord* record = textRun(id);
    request.runs.push_back({id, record ? runLabel(*record) : QString::number(id),
                            runColour(id, record ? record->colour : std::string()),
                            !record || is_terminal(record->status)});
  }
  request.reread = std::move(m_reread);
  m_reread.clear();
  request.rereadAll = m_rereadAll;
  m_rereadAll = false;
  m_loading = true;
  Q_EMIT loadRequested(request);
}

void TextView::setData(std::shared_ptr<const TextData> data) {
  if (!data || data->databasePath != m_databasePath) {
    return;
  }
  m_loading = false;
  if (!data->error.isEmpty()) {
    setStatus(tr("Cannot open the database: %1").arg(data->error), true);
  } else {
    setRuns(data->runs);
    showStatusOfA();
  }
  if (m_pending) {
    m_pending = false;
    load(/*force=*/true);
  }
}

void TextView::showStatusOfA() {
  if (m_runA == 0) {
    setStatus(tr("Pick run A."));
    return;
  }
  const Run* a = find(m_runA);
  if (!a) {
    return;  // chosen since this answer was asked for: the next one says
  }
  if (!a->losses) {
    setStatus(a->note);
    return;
  }
  setStatus(tr("Run %1: losses of validation step %2 (epoch %3), %4 sequences of %5 tokens, %6 AR hits "
               "among %7 predicted tokens.%8")
                .arg(a->name)
                .arg(a->losses->step)
                .arg(a->losses->epoch)
                .arg(a->losses->sequences)
                .arg(a->losses->length)
                .arg(a->analysis.ar_hits.tokens)
                .arg(a->analysis.overall.tokens)
                .arg(a->note.isEmpty() ? QString() : QLatin1Char(' ') + a->note));
}

// ---- Drawing ----

void TextView::setCandidates(const QList<Candidate>& candidates) {
  m_candidates = candidates;
  rebuildCombos();
}

void TextView::setChosenRuns(qint64 runA, qint64 runB) {
  m_runA = runA;
  m_runB = runB == runA ? 0 : runB;
  rebuildCombos();
  redraw();
}

void TextView::setRuns(std::vector<Run> runs) {
  m_runs = std::move(runs);
  redraw();
}

void TextView::setStatus(const QString& text, bool error) {
  m_status->setMessage(text, error);
  m_status->setVisible(!text.isEmpty());
}

void TextView::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (m_stale) {
    load(/*force=*/false);
  }
}

const TextView::Run* TextView::find(qint64 id) const {
  for (const Run& run : m_runs) {
    if (run.id == id) {
      return &run;
    }
  }
  return nullptr;
}

void TextView::rebuildCombos() {
  // Unchanged lists keep their combos (a poll must not close an open popup).
  const auto fill = [](QComboBox* combo, const QList<Candidate>& items, qint64 skip, qint64 current) {
    QList<qint64> wanted{0};
    for (const Candidate& c : items) {
      if (c.id != skip) {
        wanted << c.id;
      }
    }
    QList<qint64> present;
    for (int i = 0; i < combo->count(); ++i) {
      present << combo->itemData(i).toLongLong();
    }
    const QSignalBlocker blocker(combo);
    if (wanted != present) {
      combo->clear();
      combo->addItem(tr("(none)"), QVariant::fromValue<qint64>(0));
      for (const Candidate& c : items) {
        if (c.id != skip) {
          combo->addItem(runColourSwatch(c.colour), c.name, QVariant::fromValue<qint64>(c.id));
        }
      }
    }
    combo->setCurrentIndex(std::max(0, combo->findData(QVariant::fromValue<qint64>(current))));
  };
  fill(m_runCombo, m_candidates, -1, m_runA);
  fill(m_vsCombo, m_candidates, m_runA, m_runB);
  m_vsCombo->setEnabled(m_runA != 0 && m_vsCombo->count() > 1);
}

void TextView::redraw() {
  const Run* a = find(m_runA);
  const Run* b = m_runB != 0 ? find(m_runB) : nullptr;
  std::vector<const Run*> shown;
  if (a && a->losses) {
    shown.push_back(a);
  }
  if (b && b->losses && b != a) {
    shown.push_back(b);
  }
  for (const Run& run : m_runs) {
    if (run.losses && &run != a && &run != b) {
      shown.push_back(&run);
    }
  }
  std::vector<Drawn> drawn{{m_runA, nullptr, nullptr, a ? a->name : QString(), a ? a->note : QString()},
                           {m_runB, nullptr, nullptr, b ? b->name : QString(), b ? b->note : QString()}};
  for (const Run* run : shown) {
    drawn.push_back({run->id, run->losses.get(), run->vocabulary.get(), run->name, run->note});
  }
  if (drawn == m_drawn) {
    return;
  }
  m_drawn = drawn;

  // Slices: every loaded run with losses, A and B first.
  std::vector<TextSlicesView::Run> tabulated;
  for (const Run* run : shown) {
    tabulated.push_back({run->id, run->name, run->colour, run->analysis});
  }
  const QString noA =
      m_runA == 0 ? tr("No text run chosen.")
      : a && !a->note.isEmpty()
          ? a->note
          : tr("Run %1 has no per-token losses yet.").arg(a ? a->name : QString::number(m_runA));
  if (tabulated.empty()) {
    m_slices->clear(noA);
  } else {
    m_slices->setRuns(std::move(tabulated));
    m_slices->setMessage(a && a->losses ? QString() : noA);
  }

  // The gap of A against B, and the tokens of A (with B).
  const bool haveA = a && a->losses;
  const bool haveB = b && b->losses;
  if (haveA && haveB) {
    try {
      m_slices->setGap(compare_token_losses(*a->losses, *b->losses), a->name, b->name);
    } catch (const std::exception& error) {
      m_slices->clearGap(
          tr("%1 and %2 cannot be compared: %3").arg(a->name, b->name, QString::fromUtf8(error.what())));
    }
  } else if (haveA && m_runB != 0) {
    m_slices->clearGap(b && !b->note.isEmpty() ? b->note : tr("Run B has no per-token losses yet."));
  } else {
    m_slices->clearGap(haveA ? tr("Pick a run in \"vs\" for the gap between two runs.") : QString());
  }
  if (!haveA) {
    m_tokens->clear(noA);
    return;
  }
  TextTokenView::Run tokenA{a->id, a->name, a->losses, a->vocabulary};
  std::optional<TextTokenView::Run> tokenB;
  if (haveB) {
    tokenB = TextTokenView::Run{b->id, b->name, b->losses, b->vocabulary};
  }
  m_tokens->setRuns(std::move(tokenA), std::move(tokenB));
}

}  // namespace zoolab
