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

#include <nlohmann/json.hpp>

#include "engine/config/run_config.h"
#include "engine/inspect/inspection.h"
#include "engine/inspect/recall_analysis.h"
#include "engine/store/store.h"
#include "views/compare_view.h"
#include "views/example_browser.h"
#include "views/recall_analysis_view.h"
#include "views/run_colours.h"

namespace zoolab {

namespace {

// Decoded sets kept at once: the inspected one, a few overlays and run B.
constexpr size_t kCacheSize = 8;

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
  m_runCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  m_runCombo->setMinimumContentsLength(16);
  m_runCombo->setToolTip(tr("The run to inspect"));
  m_followCheck = new QCheckBox(tr("Follow the run table's selection"), this);
  m_followCheck->setObjectName(QStringLiteral("followCheck"));
  m_followCheck->setChecked(true);
  m_stepCombo = new QComboBox(this);
  m_stepCombo->setObjectName(QStringLiteral("stepCombo"));
  m_stepCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  m_stepCombo->setToolTip(
      tr("The evaluation whose records are shown: \"all\" holds every test query (final "
         "evaluation), \"tracked\" a fixed subset of examples (every evaluation)"));
  m_refreshButton = new QPushButton(tr("Refresh"), this);
  m_refreshButton->setObjectName(QStringLiteral("refreshButton"));
  m_status = new StatusLine(this);

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
  // and currentExampleChanged, and may read through store().

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
  m_store.setPath(path);
  m_runs.clear();
  m_selected.clear();
  m_cache.clear();
  m_splits.clear();
  m_recallDrawn.clear();
  m_historyDrawn.clear();
  m_runId = 0;
  m_sets.clear();
  m_set.reset();
  m_records.reset();
  m_split.reset();
  m_stepPinned = false;
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

Store* InspectorView::store() {
  return m_store.get();
}

void InspectorView::setFigureStyle(const FigureStyle& style) {
  m_recall->setFigureStyle(style);
}

// ---- Runs ----

void InspectorView::setRuns(const std::vector<RunRecord>& runs) {
  m_runs = runs;
  rebuildRunCombo();
  updateCandidates();
  if (m_runId != 0 && !runRecord(m_runId)) {
    setCurrentRun(0);  // deleted
    return;
  }
  if (isVisible()) {
    load(/*force=*/false);
  } else {
    m_stale = true;
  }
}

void InspectorView::setSelectedRuns(const QList<qint64>& runIds) {
  m_selected = runIds;
  if (followsSelection() && !runIds.isEmpty() && runIds.front() != m_runId) {
    setCurrentRun(runIds.front());
    return;
  }
  if (isVisible()) {
    updateRecall();
  } else {
    m_stale = true;
  }
}

bool InspectorView::followsSelection() const {
  return m_followCheck->isChecked();
}

void InspectorView::setFollowsSelection(bool follow) {
  m_followCheck->setChecked(follow);
}

bool InspectorView::setCurrentRun(qint64 runId) {
  if (runId != 0 && !runRecord(runId)) {
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
  if (isVisible()) {
    load(/*force=*/changed);
  } else {
    m_stale = true;
  }
  if (changed) {
    Q_EMIT currentRunChanged(runId);
  }
  return true;
}

bool InspectorView::setCurrentStep(int64_t step, const QString& subset) {
  if (m_sets.empty() && m_runId != 0 && store()) {
    try {
      m_sets = store()->list_query_records(m_runId);
    } catch (const std::exception& error) {
      setStatus(QString::fromUtf8(error.what()), true);
      return false;
    }
  }
  std::optional<QueryRecordSetInfo> chosen;
  if (subset.isEmpty()) {
    chosen = choose_record_set(m_sets, step);
  } else {
    for (const auto& info : m_sets) {
      if (info.step == step && info.subset == subset.toStdString()) {
        chosen = info;
      }
    }
  }
  if (!chosen) {
    return false;
  }
  // The default set is the one that follows new evaluations; any other stays put.
  const auto latest = choose_record_set(m_sets);
  m_stepPinned = !(latest && latest->step == chosen->step && latest->subset == chosen->subset);
  m_set = chosen;
  rebuildStepCombo();
  showSet();
  return true;
}

void InspectorView::refresh() {
  m_cache.clear();
  m_splits.clear();
  m_recallDrawn.clear();
  m_historyDrawn.clear();
  load(/*force=*/true);
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

std::optional<RunRecord> InspectorView::runRecord(qint64 runId) {
  for (const RunRecord& run : m_runs) {
    if (run.id == runId) {
      return run;
    }
  }
  // Not polled yet (a test, or a run just created): ask the database.
  if (Store* database = store()) {
    try {
      return database->find_run(runId);
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

QString InspectorView::runName(qint64 runId) {
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
  QList<QPair<qint64, QString>> candidates;
  for (const RunRecord& run : m_runs) {
    if (run.id != m_runId) {
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

void InspectorView::load(bool force) {
  m_stale = false;
  if (m_runId == 0) {
    m_sets.clear();
    m_set.reset();
    m_records.reset();
    rebuildStepCombo();
    m_browser->clear(tr("No run selected."));
    m_recall->clear(tr("No run selected."));
    m_compare->clear(tr("No run selected."));
    setStatus(tr("Select a run in the run table, or pick one here."));
    return;
  }
  Store* database = store();
  if (!database) {
    setStatus(tr("Cannot open the database: %1").arg(m_store.error()), true);
    return;
  }
  std::vector<QueryRecordSetInfo> sets;
  try {
    sets = database->list_query_records(m_runId);
  } catch (const std::exception& error) {
    setStatus(QString::fromUtf8(error.what()), true);
    return;
  }
  const bool changed = force || !sameSets(sets, m_sets) || !m_records;
  m_sets = std::move(sets);
  std::optional<QueryRecordSetInfo> chosen;
  if (m_stepPinned && m_set) {
    for (const auto& info : m_sets) {
      if (info.step == m_set->step && info.subset == m_set->subset) {
        chosen = info;
      }
    }
  }
  if (!chosen) {
    m_stepPinned = false;
    chosen = choose_record_set(m_sets);
  }
  m_set = chosen;
  rebuildStepCombo();
  if (changed) {
    showSet();
  } else {
    updateRecall();  // the overlaid runs may have new records
  }
}

void InspectorView::showSet() {
  const auto run = runRecord(m_runId);
  if (!m_set) {
    m_records.reset();
    QString message;
    if (run && !is_terminal(run->status)) {
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
    m_compare->setRunA(m_runId, runName(m_runId), nullptr);
    Q_EMIT currentStepChanged(m_runId, -1, QString());
    return;
  }
  try {
    m_records = recordSet(m_runId, *m_set);
  } catch (const std::exception& error) {
    m_records.reset();
    const QString message = QString::fromUtf8(error.what());
    setStatus(message, true);
    m_browser->clear(message);
    m_recall->clear(message);
    m_compare->setRunA(m_runId, runName(m_runId), nullptr);
    return;
  }
  m_split = splitOf(m_runId, &m_splitNote);
  m_browser->setRecords(m_records, m_split, m_splitNote);
  m_compare->setRunA(m_runId, runName(m_runId), m_records);
  updateRecall();
  setStatus(tr("Run %1, step %2 (epoch %3): %4 records, %5 queries.")
                .arg(runName(m_runId))
                .arg(m_set->step)
                .arg(m_set->epoch)
                .arg(QString::fromStdString(m_set->subset))
                .arg(m_set->count));
  Q_EMIT currentStepChanged(m_runId, m_set->step, QString::fromStdString(m_set->subset));
}

void InspectorView::updateRecall() {
  Store* database = store();
  if (!database || !m_records || !m_set) {
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
  for (const qint64 id : m_selected) {
    if (id == m_runId) {
      continue;
    }
    try {
      const auto chosen = choose_record_set(database->list_query_records(id));
      if (chosen) {
        sets.emplace_back(id, recordSet(id, *chosen));
        keys.emplace_back(id, chosen->step, chosen->subset);
      }
    } catch (const std::exception&) {
      // An overlay that cannot be read is left out; the inspected run's errors are reported.
    }
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
    try {
      m_recall->setHistory(m_runId, runName(m_runId), gap_history(load_tracked_history(*database, m_runId)));
    } catch (const std::exception& error) {
      m_recall->setHistory(m_runId, runName(m_runId), GapHistory{});
      m_recall->setMessage(QString::fromUtf8(error.what()));
    }
    m_historyDrawn = tracked;
  }
}

std::shared_ptr<const QueryRecordSet> InspectorView::recordSet(qint64 runId, const QueryRecordSetInfo& info) {
  const SetKey key{runId, info.step, info.subset};
  const auto it = m_cache.find(key);
  if (it != m_cache.end()) {
    return it->second;
  }
  auto set = std::make_shared<const QueryRecordSet>(load_record_set(*store(), runId, info.step, info.subset));
  if (m_cache.size() >= kCacheSize) {
    m_cache.clear();
  }
  m_cache.emplace(key, set);
  return set;
}

std::shared_ptr<const std::vector<TokenSegment>> InspectorView::splitOf(qint64 runId, QString* note) {
  const auto cached = m_splits.find(runId);
  if (cached != m_splits.end()) {
    *note = cached->second.second;
    return cached->second.first;
  }
  std::shared_ptr<const std::vector<TokenSegment>> split;
  QString why;
  const auto run = runRecord(runId);
  if (!run) {
    why = tr("The run's configuration is not available: tokens are not shown.");
  } else {
    try {
      const RunConfig config = parse_run_config(nlohmann::json::parse(run->config_json));
      split = std::make_shared<const std::vector<TokenSegment>>(regenerate_test_split(config));
    } catch (const std::exception& error) {
      why = tr("The test split could not be regenerated from the run's configuration (%1): only what the "
               "records say is shown.")
                .arg(QString::fromUtf8(error.what()));
    }
  }
  m_splits[runId] = {split, why};
  *note = why;
  return split;
}

void InspectorView::onRunBChosen(qint64 runId) {
  if (runId == 0) {
    return;
  }
  Store* database = store();
  if (!database) {
    m_compare->setRunBError(tr("Cannot open the database: %1").arg(m_store.error()));
    return;
  }
  if (!m_set) {
    m_compare->setRunBError(tr("Run A has no records."));
    return;
  }
  try {
    // B's set of A's subset at A's step when it has one (runs of one configuration evaluate at the same
    // steps), else its latest: the set `zoolab-cli inspect A --vs B` compares with.
    std::optional<QueryRecordSetInfo> chosen;
    for (const auto& info : database->list_query_records(runId)) {
      if (info.subset != m_set->subset) {
        continue;
      }
      const bool sameStep = chosen && chosen->step == m_set->step;
      if (!chosen || (!sameStep && (info.step == m_set->step || info.step > chosen->step))) {
        chosen = info;
      }
    }
    if (!chosen) {
      m_compare->setRunBError(tr("Run %1 has no \"%2\" query records to compare with.")
                                  .arg(runName(runId), QString::fromStdString(m_set->subset)));
      return;
    }
    m_compare->setRunB(runId, runName(runId), recordSet(runId, *chosen));
  } catch (const std::exception& error) {
    m_compare->setRunBError(QString::fromUtf8(error.what()));
  }
}

}  // namespace zoolab
