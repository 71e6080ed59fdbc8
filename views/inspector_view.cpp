#include "views/inspector_view.h"

#include <algorithm>

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QShowEvent>
#include <QTabWidget>
#include <QVBoxLayout>

#include "engine/inspect/inspection.h"
#include "engine/inspect/recall_analysis.h"
#include "views/compare_view.h"
#include "views/example_browser.h"
#include "views/recall_analysis_view.h"
#include "views/run_colours.h"

namespace zoolab {

namespace {

// The task of text runs (data.task "text"): they record per-token losses, not per-query records.
constexpr char kTextTask[] = "text";

bool sameSets(const std::vector<QueryRecordSetInfo>& a, const std::vector<QueryRecordSetInfo>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.run_id == y.run_id && x.step == y.step && x.subset == y.subset && x.count == y.count &&
           x.bytes == y.bytes;
  });
}

QString setText(const QueryRecordSetInfo& info) {
  return InspectorView::tr("step %1 · epoch %2 · %3 · %4 queries")
      .arg(info.step)
      .arg(info.epoch)
      .arg(QString::fromStdString(info.subset))
      .arg(info.count);
}

}  // namespace

InspectorView::InspectorView(QWidget* parent) : QWidget(parent) {
  m_runCombo = new QComboBox(this);
  m_runCombo->setObjectName(QStringLiteral("runCombo"));
  // Fixed widths (longer items are elided, the popup shows them whole): a picker that grew with its
  // contents would widen the tab, and the window's splitter would move the run table under the mouse.
  m_runCombo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  m_runCombo->setMinimumContentsLength(24);
  m_runCombo->setToolTip(tr("The run to inspect"));
  m_followCheck = new QCheckBox(tr("Follow the run table's selection"), this);
  m_followCheck->setObjectName(QStringLiteral("followCheck"));
  m_followCheck->setChecked(true);
  m_stepCombo = new QComboBox(this);
  m_stepCombo->setObjectName(QStringLiteral("stepCombo"));
  m_stepCombo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  m_stepCombo->setMinimumContentsLength(36);
  m_stepCombo->setToolTip(
      tr("The evaluation whose records are shown: \"all\" holds every test query (final "
         "evaluation), \"tracked\" a fixed subset of examples (every evaluation)"));
  m_refreshButton = new QPushButton(tr("Refresh"), this);
  m_refreshButton->setObjectName(QStringLiteral("refreshButton"));
  m_status = new StatusLine(this);
  // Room for two lines whatever the message, so the pages below do not move when it wraps.
  m_status->setMinimumHeight(2 * m_status->fontMetrics().lineSpacing());
  m_status->setAlignment(Qt::AlignLeft | Qt::AlignTop);

  m_browser = new ExampleBrowser(this);
  m_browser->setObjectName(QStringLiteral("exampleBrowser"));
  m_recall = new RecallAnalysisView(this);
  m_recall->setObjectName(QStringLiteral("recallView"));
  m_compare = new CompareView(this);
  m_compare->setObjectName(QStringLiteral("compareView"));
  m_pages = new QTabWidget(this);
  m_pages->setObjectName(QStringLiteral("inspectorPages"));
  m_pages->setDocumentMode(true);
  m_pages->addTab(m_browser, tr("Examples"));
  m_pages->addTab(m_recall, tr("Recall"));
  m_pages->addTab(m_compare, tr("Compare"));
  // The "Patterns" and "Probe" pages come next, added with addPage() (by the window,
  // which owns the engine bridge the probe needs). They follow currentRunChanged/currentStepChanged
  // and currentExampleChanged, and read through feeds of their own.

  auto* runLabel = new QLabel(tr("Run:"), this);
  runLabel->setBuddy(m_runCombo);
  auto* stepLabel = new QLabel(tr("Evaluation:"), this);
  stepLabel->setBuddy(m_stepCombo);
  auto* top = new QHBoxLayout;
  top->addWidget(runLabel);
  top->addWidget(m_runCombo);
  top->addWidget(m_followCheck);
  top->addSpacing(16);
  top->addWidget(stepLabel);
  top->addWidget(m_stepCombo);
  top->addWidget(m_refreshButton);
  top->addStretch(1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 6, 6, 6);
  layout->addLayout(top);
  layout->addWidget(m_status);
  layout->addWidget(m_pages, 1);

  connect(m_runCombo, &QComboBox::currentIndexChanged, this, [this](int index) {
    const qint64 id = index < 0 ? 0 : m_runCombo->itemData(index).toLongLong();
    if (id != m_runId) {
      setCurrentRun(id);
    }
  });
  connect(m_followCheck, &QCheckBox::toggled, this, [this](bool follow) {
    if (follow && !m_selected.isEmpty()) {
      setCurrentRun(m_selected.front());
    }
  });
  connect(m_stepCombo, &QComboBox::activated, this, [this](int index) {
    const QVariantList data = m_stepCombo->itemData(index).toList();
    if (data.size() == 2) {
      setCurrentStep(data[0].toLongLong(), data[1].toString());
    }
  });
  connect(m_refreshButton, &QPushButton::clicked, this, &InspectorView::refresh);
  connect(m_compare, &CompareView::runBChosen, this, &InspectorView::onRunBChosen);
  connect(m_compare, &CompareView::examplesRequested, this,
          [this](const QString& title, const QList<qint64>& examples) {
            m_browser->setExampleFilter(std::vector<int64_t>(examples.begin(), examples.end()), title);
            m_pages->setCurrentWidget(m_browser);
          });
  connect(m_browser, &ExampleBrowser::currentExampleChanged, this, &InspectorView::currentExampleChanged);

  rebuildRunCombo();
  rebuildStepCombo();
  setStatus(tr("Select a run in the run table, or pick one here."));
}

InspectorView::~InspectorView() = default;

void InspectorView::setDatabasePath(const QString& path) {
  m_databasePath = path;
  m_runs.clear();
  m_answeredRuns.clear();
  m_selected.clear();
  m_recallDrawn.clear();
  m_historyDrawn.clear();
  m_runId = 0;
  m_sets.clear();
  m_set.reset();
  m_records.reset();
  m_split.reset();
  m_stepPinned = false;
  m_loading = false;  // an answer about the previous database is dropped (setData)
  m_pending = false;
  m_force = false;
  m_refresh = false;
  m_runB = 0;
  rebuildRunCombo();
  rebuildStepCombo();
  m_browser->clear(tr("No run selected."));
  m_recall->clear(tr("No run selected."));
  m_compare->clear(tr("No run selected."));
  m_compare->setCandidates({});
  setStatus(tr("Select a run in the run table, or pick one here."));
  Q_EMIT databasePathChanged(path);
  Q_EMIT currentRunChanged(0);
}

void InspectorView::setFigureStyle(const FigureStyle& style) {
  m_recall->setFigureStyle(style);
}

// ---- Runs ----

void InspectorView::setRuns(const std::vector<RunRecord>& runs) {
  const bool wasListed =
      std::any_of(m_runs.begin(), m_runs.end(), [this](const RunRecord& run) { return run.id == m_runId; });
  m_runs = runs;
  rebuildRunCombo();
  updateCandidates();
  const bool listed =
      std::any_of(runs.begin(), runs.end(), [this](const RunRecord& run) { return run.id == m_runId; });
  if (m_runId != 0 && wasListed && !listed) {
    m_answeredRuns.erase(m_runId);
    setCurrentRun(0);  // deleted
    return;
  }
  load(/*force=*/false);
}

void InspectorView::setSelectedRuns(const QList<qint64>& runIds) {
  m_selected = runIds;
  if (followsSelection() && !runIds.isEmpty() && runIds.front() != m_runId) {
    setCurrentRun(runIds.front());
    return;
  }
  load(/*force=*/false);  // the overlays changed
}

bool InspectorView::followsSelection() const {
  return m_followCheck->isChecked();
}

void InspectorView::setFollowsSelection(bool follow) {
  m_followCheck->setChecked(follow);
}

bool InspectorView::setCurrentRun(qint64 runId) {
  if (runId < 0) {
    return false;
  }
  const bool changed = runId != m_runId;
  m_runId = runId;
  {
    const QSignalBlocker blocker(m_runCombo);
    if (m_runCombo->findData(QVariant::fromValue(runId)) < 0) {
      rebuildRunCombo();
    }
    m_runCombo->setCurrentIndex(std::max(0, m_runCombo->findData(QVariant::fromValue(runId))));
  }
  if (changed) {
    m_sets.clear();
    m_set.reset();
    m_records.reset();
    m_stepPinned = false;
    updateCandidates();
  }
  load(/*force=*/changed);
  if (changed) {
    Q_EMIT currentRunChanged(runId);
  }
  return true;
}

bool InspectorView::setCurrentStep(int64_t step, const QString& subset) {
  if (!m_sets.empty()) {
    const bool stored = std::any_of(m_sets.begin(), m_sets.end(), [&](const QueryRecordSetInfo& info) {
      return info.step == step && (subset.isEmpty() || info.subset == subset.toStdString());
    });
    if (!stored) {
      return false;
    }
  }
  if (m_runId == 0) {
    return false;
  }
  // The feed resolves an empty subset (choose_record_set) and answers with the set shown.
  m_set = QueryRecordSetInfo{};
  m_set->run_id = m_runId;
  m_set->step = step;
  m_set->subset = subset.toStdString();
  m_stepPinned = true;
  load(/*force=*/true);
  return true;
}

void InspectorView::refresh() {
  m_recallDrawn.clear();
  m_historyDrawn.clear();
  m_refresh = true;
  load(/*force=*/true, /*evenHidden=*/true);
}

void InspectorView::addPage(QWidget* page, const QString& title) {
  m_pages->addTab(page, title);
}

void InspectorView::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (m_stale) {
    load(/*force=*/false);
  }
}

std::optional<RunRecord> InspectorView::runRecord(qint64 runId) const {
  for (const RunRecord& run : m_runs) {
    if (run.id == runId) {
      return run;
    }
  }
  // Not polled yet (a test, or a run just created): what the feed found.
  const auto found = m_answeredRuns.find(runId);
  if (found != m_answeredRuns.end()) {
    return found->second;
  }
  return std::nullopt;
}

QString InspectorView::runName(qint64 runId) const {
  const auto run = runRecord(runId);
  return run ? QStringLiteral("%1 · %2").arg(runId).arg(QString::fromStdString(run->name))
             : QStringLiteral("%1").arg(runId);
}
void InspectorView::rebuildRunCombo() {
  // Unchanged runs leave the picker alone (a poll must not close its open popup).
  QStringList texts{tr("(none)")};
  for (const RunRecord& run : m_runs) {
    texts.append(QStringLiteral("%1 · %2").arg(run.id).arg(QString::fromStdString(run.name)));
  }
  QStringList current;
  for (int i = 0; i < m_runCombo->count(); ++i) {
    current.append(m_runCombo->itemText(i));
  }
  const int wanted = m_runCombo->findData(QVariant::fromValue<qint64>(m_runId));
  if (texts == current && wanted >= 0) {
    if (m_runCombo->currentIndex() != wanted) {
      const QSignalBlocker blocker(m_runCombo);
      m_runCombo->setCurrentIndex(wanted);
    }
    return;
  }
  const QSignalBlocker blocker(m_runCombo);
  m_runCombo->clear();
  m_runCombo->addItem(tr("(none)"), QVariant::fromValue<qint64>(0));
  bool listed = m_runId == 0;
  for (const RunRecord& run : m_runs) {
    m_runCombo->addItem(runColourSwatch(runColour(run.id, run.colour)),
                        QStringLiteral("%1 · %2").arg(run.id).arg(QString::fromStdString(run.name)),
                        QVariant::fromValue<qint64>(run.id));
    listed = listed || run.id == m_runId;
  }
  if (!listed) {
    m_runCombo->addItem(runName(m_runId), QVariant::fromValue<qint64>(m_runId));
  }
  m_runCombo->setCurrentIndex(std::max(0, m_runCombo->findData(QVariant::fromValue<qint64>(m_runId))));
}

void InspectorView::updateCandidates() {
  // Only runs of run A's task: query records are compared on the same test queries, and a text run
  // has none (its per-token losses are compared on the Text tab).
  const auto runA = runRecord(m_runId);
  QList<QPair<qint64, QString>> candidates;
  for (const RunRecord& run : m_runs) {
    const bool sameKind = runA ? run.task == runA->task : run.task != kTextTask;
    if (run.id != m_runId && sameKind) {
      candidates.append(
          {run.id, QStringLiteral("%1 · %2").arg(run.id).arg(QString::fromStdString(run.name))});
    }
  }
  m_compare->setCandidates(candidates);
}

void InspectorView::rebuildStepCombo() {
  const QSignalBlocker blocker(m_stepCombo);
  m_stepCombo->clear();
  // Newest first: the final evaluation is what one usually wants.
  for (auto it = m_sets.rbegin(); it != m_sets.rend(); ++it) {
    m_stepCombo->addItem(setText(*it), QVariantList{QVariant::fromValue<qint64>(it->step),
                                                    QString::fromStdString(it->subset)});
    if (m_set && m_set->step == it->step && m_set->subset == it->subset) {
      m_stepCombo->setCurrentIndex(m_stepCombo->count() - 1);
    }
  }
  m_stepCombo->setEnabled(!m_sets.empty());
}

void InspectorView::setStatus(const QString& text, bool error) {
  m_status->setMessage(text, error);
}

// ---- Loading ----

void InspectorView::load(bool force, bool evenHidden) {
  m_force = m_force || force;
  if (!evenHidden && !isVisible()) {
    m_stale = true;
    return;
  }
  m_stale = false;
  if (m_runId == 0) {
    m_sets.clear();
    m_set.reset();
    m_records.reset();
    m_force = false;
    m_refresh = false;
    rebuildStepCombo();
    m_browser->clear(tr("No run selected."));
    m_recall->clear(tr("No run selected."));
    m_compare->clear(tr("No run selected."));
    setStatus(tr("Select a run in the run table, or pick one here."));
    return;
  }
  if (m_loading) {
    m_pending = true;
    return;
  }
  InspectorRequest request;
  request.runId = m_runId;
  if (m_stepPinned && m_set) {
    request.step = m_set->step;
    request.subset = m_set->subset;
  }
  request.overlays = m_selected;
  request.runB = m_runB;
  request.force = m_force;
  request.refresh = m_refresh;
  m_runB = 0;
  m_force = false;
  m_refresh = false;
  m_loading = true;
  Q_EMIT loadRequested(request);
}

void InspectorView::setData(std::shared_ptr<const InspectorData> data) {
  if (!data || data->databasePath != m_databasePath) {
    return;
  }
  m_loading = false;
  for (const auto& [id, run] : data->runs) {
    m_answeredRuns[id] = run;
  }
  if (m_pending) {
    // The view changed since it asked (another step, run or selection): show the next answer instead,
    // and ask again for what this one was to show.
    m_pending = false;
    m_force = m_force || data->request.force;
    if (m_runB == 0) {
      m_runB = data->request.runB;
    }
    load(/*force=*/false, /*evenHidden=*/true);
    return;
  }
  if (data->request.runId != m_runId || m_runId == 0) {
    return;
  }
  if (!data->error.isEmpty()) {
    setStatus(data->error, true);
    if (data->request.runB != 0) {
      m_compare->setRunBError(data->error);
    }
    return;
  }
  if (!data->runs.count(m_runId)) {
    const qint64 missing = m_runId;
    setCurrentRun(0);
    setStatus(tr("Run %1 is not in the database.").arg(missing), true);
    return;
  }
  if (std::none_of(m_runs.begin(), m_runs.end(),
                   [this](const RunRecord& run) { return run.id == m_runId; })) {
    rebuildRunCombo();  // the picker names the run the poller has not listed yet
  }
  const bool sameChoice = data->set.has_value() == m_set.has_value() &&
                          (!m_set || (data->set->step == m_set->step && data->set->subset == m_set->subset));
  const bool changed = data->request.force || !sameSets(data->sets, m_sets) || !m_records || !sameChoice;
  m_sets = data->sets;
  m_set = data->set;
  m_stepPinned = data->pinned;
  rebuildStepCombo();
  if (changed) {
    showSet(*data);
  } else {
    updateRecall(*data);  // the overlaid runs may have new records
  }
  if (data->request.runB != 0) {
    if (data->runBRecords) {
      m_compare->setRunB(data->request.runB, runName(data->request.runB), data->runBRecords);
    } else {
      m_compare->setRunBError(data->runBError);
    }
  }
}

void InspectorView::showSet(const InspectorData& data) {
  const auto run = runRecord(m_runId);
  if (!m_set) {
    m_records.reset();
    QString message;
    if (run && run->task == kTextTask) {
      message = tr("Run %1 is a text run: per-query recall records are for MQAR-family runs. Its "
                   "per-token losses and AR hits are on the Text tab (or: zoolab-cli analyze %2).")
                    .arg(runName(m_runId))
                    .arg(m_runId);
    } else if (run && run->status == RunStatus::Queued) {
      message = tr("Run %1 has not started yet: its trainer writes query records at each evaluation.")
                    .arg(runName(m_runId));
    } else if (run && (run->status == RunStatus::Cancelled || run->status == RunStatus::Interrupted)) {
      // Stopped, not failed: it may simply not have reached an evaluation.
      message = tr("Run %1 was %2 before an evaluation wrote query records; Resume continues it.")
                    .arg(runName(m_runId))
                    .arg(QString::fromLatin1(to_string(run->status)));
    } else if (run && !is_terminal(run->status)) {
      message = tr("Run %1 has no query records yet: its trainer writes them at each evaluation.")
                    .arg(runName(m_runId));
    } else {
      message = tr("Run %1 has no query records (it was trained without train.inspect.records, or before the "
                   "inspector existed).")
                    .arg(runName(m_runId));
    }
    setStatus(message);
    m_browser->clear(message);
    m_recall->clear(message);
    m_compare->setRunA(m_runId, runName(m_runId), nullptr, message);
    Q_EMIT currentStepChanged(m_runId, -1, QString());
    return;
  }
  if (!data.records) {
    m_records.reset();
    const QString& message = data.recordsError;
    setStatus(message, true);
    m_browser->clear(message);
    m_recall->clear(message);
    m_compare->setRunA(m_runId, runName(m_runId), nullptr);
    return;
  }
  m_records = data.records;
  m_split = data.split;
  m_browser->setRecords(m_records, m_split, data.splitNote);
  m_compare->setRunA(m_runId, runName(m_runId), m_records);
  updateRecall(data);
  setStatus(tr("Run %1, step %2 (epoch %3): %4 records, %5 queries.")
                .arg(runName(m_runId))
                .arg(m_set->step)
                .arg(m_set->epoch)
                .arg(QString::fromStdString(m_set->subset))
                .arg(m_set->count));
  Q_EMIT currentStepChanged(m_runId, m_set->step, QString::fromStdString(m_set->subset));
}

void InspectorView::updateRecall(const InspectorData& data) {
  if (!m_records || !m_set) {
    if (!m_recallDrawn.empty()) {
      m_recall->clear(m_status->text());
      m_recallDrawn.clear();
      m_historyDrawn.clear();
    }
    return;
  }
  // The inspected set first, then each other selected run's default set (what `zoolab-cli inspect` shows).
  std::vector<SetKey> keys{{m_runId, m_set->step, m_set->subset}};
  std::vector<std::pair<qint64, std::shared_ptr<const QueryRecordSet>>> sets{{m_runId, m_records}};
  for (const InspectorOverlay& overlay : data.overlays) {
    sets.emplace_back(overlay.runId, overlay.records);
    keys.emplace_back(overlay.runId, overlay.set.step, overlay.set.subset);
  }
  if (keys != m_recallDrawn) {
    std::vector<RecallAnalysisView::Run> runs;
    for (const auto& [id, records] : sets) {
      const auto run = runRecord(id);
      RecallAnalysisView::Run drawn;
      drawn.id = id;
      drawn.name = runName(id);
      drawn.colour = runColour(id, run ? run->colour : std::string());
      drawn.summary = summarize_recall(*records);
      runs.push_back(std::move(drawn));
    }
    m_recall->setRuns(std::move(runs));
    m_recallDrawn = keys;
  }

  std::vector<SetKey> tracked;
  for (const auto& info : m_sets) {
    if (info.subset == "tracked") {
      tracked.emplace_back(m_runId, info.step, info.subset);
    }
  }
  if (tracked != m_historyDrawn) {
    m_recall->setHistory(m_runId, runName(m_runId), data.history ? *data.history : GapHistory{});
    if (!data.history) {
      m_recall->setMessage(data.historyError);
    }
    m_historyDrawn = tracked;
  }
}

void InspectorView::onRunBChosen(qint64 runId) {
  if (runId == 0) {
    return;
  }
  if (!m_set || !m_records) {
    m_compare->setRunBError(tr("Run A has no records."));
    return;
  }
  m_runB = runId;
  load(/*force=*/false, /*evenHidden=*/true);
}

}  // namespace zoolab
