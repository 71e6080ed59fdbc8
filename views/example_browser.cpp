#include "views/example_browser.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSplitter>
#include <QTableView>
#include <QTableWidget>
#include <QVBoxLayout>

#include "engine/data/task_registry.h"
#include "engine/inspect/inspection.h"
#include "views/example_list_model.h"
#include "views/token_strip.h"

namespace zoolab {

namespace {

// A legend entry: a swatch of the strip's colour and its name.
QString swatch(const QColor& colour, const QString& name) {
  return QStringLiteral(
             "<span style=\"background-color:%1; color:%1\">&nbsp;&nbsp;&nbsp;&nbsp;</span>&nbsp;%2")
      .arg(colour.name(), name.toHtmlEscaped());
}

QString legendText() {
  const QString highlight =
      QStringLiteral("<span style=\"color:#1565c0\">&#9472;&#9472;&#9654;</span>&nbsp;%1")
          .arg(ExampleBrowser::tr("the current query's key and value"));
  return QStringList{
      swatch(TokenStrip::roleColour(TokenStrip::Role::Key), ExampleBrowser::tr("key")),
      swatch(TokenStrip::roleColour(TokenStrip::Role::Value), ExampleBrowser::tr("value")),
      swatch(TokenStrip::roleColour(TokenStrip::Role::Query, true), ExampleBrowser::tr("query, right")),
      swatch(TokenStrip::roleColour(TokenStrip::Role::Query, false), ExampleBrowser::tr("query, wrong")),
      swatch(TokenStrip::roleColour(TokenStrip::Role::Other), ExampleBrowser::tr("other")),
      highlight}
      .join(QStringLiteral("&nbsp;&nbsp;&nbsp; "));
}

QString slicesText(const RecordSegment& segment) {
  QStringList parts;
  if (segment.task != "mqar") {
    parts.append(QString::fromStdString(segment.task));
  }
  for (const auto& [key, value] : segment.slices) {
    parts.append(QStringLiteral("%1 %2").arg(QString::fromStdString(key)).arg(value));
  }
  return parts.join(QStringLiteral(", "));
}

// The length of a k v k v ... context, from the segment's slices: MQAR's 2 · num_kv_pairs · num_passes
// tokens (docs/reference.md#mqar-generator), forgetting MQAR's 2 · (num_kv_pairs + num_updates)
// (docs/tasks.md); 0 for tasks without such a context (their sources are still marked by the queries).
int contextLength(const std::string& task, const std::map<std::string, int64_t>& slices) {
  if (task == "mqar") {
    return static_cast<int>(2 * slice_or(slices, "num_kv_pairs", 0) * slice_or(slices, "num_passes", 1));
  }
  if (task == "forgetting_mqar") {
    return static_cast<int>(2 * (slice_or(slices, "num_kv_pairs", 0) + slice_or(slices, "num_updates", 0)));
  }
  return 0;
}

// TaskSpec::source_label of a registered task, "key" otherwise (records of a task this build lacks).
QString sourceLabel(const std::string& task) {
  for (const auto& spec : task_registry()) {
    if (spec.name == task) {
      return QString::fromStdString(spec.source_label);
    }
  }
  return QStringLiteral("key");
}

QString examplesText(size_t count) {
  return count == 1 ? ExampleBrowser::tr("1 example") : ExampleBrowser::tr("%1 examples").arg(count);
}

bool isNavigationKey(int key) {
  switch (key) {
    case Qt::Key_Up:
    case Qt::Key_Down:
    case Qt::Key_PageUp:
    case Qt::Key_PageDown:
    case Qt::Key_Left:
    case Qt::Key_Right:
    case Qt::Key_Home:
    case Qt::Key_End:
      return true;
    default:
      return false;
  }
}

}  // namespace

ExampleBrowser::ExampleBrowser(QWidget* parent) : QWidget(parent) {
  setFocusPolicy(Qt::StrongFocus);

  // ---- The list and its filters (left) ----
  m_failuresCheck = new QCheckBox(tr("Failures only"), this);
  m_failuresCheck->setObjectName(QStringLiteral("failuresCheck"));
  m_failuresCheck->setToolTip(tr("List only the examples with at least one wrong query"));
  m_sliceCombo = new QComboBox(this);
  m_sliceCombo->setObjectName(QStringLiteral("sliceCombo"));
  m_sliceCombo->setToolTip(tr("List only the examples of one slice of the test set"));
  m_sliceCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);

  m_filterLabel = new QLabel(this);
  m_filterLabel->setObjectName(QStringLiteral("filterLabel"));
  m_filterLabel->setWordWrap(true);
  m_clearFilterButton = new QPushButton(tr("Show all"), this);
  m_clearFilterButton->setObjectName(QStringLiteral("clearFilterButton"));
  m_clearFilterButton->setToolTip(tr("Leave the examples a comparison picked"));
  m_banner = new QWidget(this);
  auto* bannerLayout = new QHBoxLayout(m_banner);
  bannerLayout->setContentsMargins(0, 0, 0, 0);
  bannerLayout->addWidget(m_filterLabel, 1);
  bannerLayout->addWidget(m_clearFilterButton);
  m_banner->setVisible(false);

  m_model = new ExampleListModel(this);
  m_table = new QTableView(this);
  m_table->setObjectName(QStringLiteral("exampleTable"));
  m_table->setModel(m_model);
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->setSelectionMode(QAbstractItemView::SingleSelection);
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_table->verticalHeader()->setVisible(false);
  m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
  m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  m_table->setAlternatingRowColors(true);
  m_countLabel = new QLabel(this);
  m_countLabel->setObjectName(QStringLiteral("countLabel"));
  m_countLabel->setForegroundRole(QPalette::PlaceholderText);

  m_listPanel = new QWidget(this);
  auto* leftLayout = new QVBoxLayout(m_listPanel);
  leftLayout->setContentsMargins(0, 0, 0, 0);
  auto* filters = new QHBoxLayout;
  filters->addWidget(m_failuresCheck);
  filters->addWidget(m_sliceCombo, 1);
  leftLayout->addLayout(filters);
  m_filtersWidth = filters->minimumSize().width();
  leftLayout->addWidget(m_banner);
  leftLayout->addWidget(m_table, 1);
  leftLayout->addWidget(m_countLabel);

  // ---- The example (right) ----
  m_exampleLabel = new QLabel(this);
  m_exampleLabel->setObjectName(QStringLiteral("exampleLabel"));
  m_exampleLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
  // Wrapped: a long message (why a run has no records) must not widen the tab and move the window's
  // splitter.
  m_exampleLabel->setWordWrap(true);
  QFont bold = m_exampleLabel->font();
  bold.setBold(true);
  m_exampleLabel->setFont(bold);
  auto* legend = new QLabel(legendText(), this);
  legend->setObjectName(QStringLiteral("legendLabel"));
  legend->setWordWrap(true);

  m_strip = new TokenStrip(this);
  m_strip->setObjectName(QStringLiteral("tokenStrip"));
  m_scroll = new QScrollArea(this);
  m_scroll->setWidget(m_strip);
  m_scroll->setWidgetResizable(false);
  m_scroll->setFocusPolicy(Qt::NoFocus);
  m_scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
  m_scroll->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  m_scroll->setFrameShape(QFrame::NoFrame);
  m_scroll->setFixedHeight(m_strip->sizeHint().height() +
                           m_scroll->horizontalScrollBar()->sizeHint().height() + 4);

  auto* rowNames = new TokenStripRowNames(m_strip, this);
  rowNames->setFixedHeight(m_scroll->height());

  m_queryTable = new QTableWidget(this);
  m_queryTable->setObjectName(QStringLiteral("queryTable"));
  m_queryTable->setColumnCount(9);
  m_queryTable->setHorizontalHeaderLabels({tr("Position"), tr("Key"), tr("Target"), tr("Predicted"),
                                           tr("p(target)"), tr("Loss"), tr("Gap"), tr("Pair"), tr("Right")});
  m_queryTable->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_queryTable->setSelectionMode(QAbstractItemView::SingleSelection);
  m_queryTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_queryTable->verticalHeader()->setVisible(false);
  m_queryTable->verticalHeader()->setDefaultSectionSize(m_queryTable->fontMetrics().height() + 6);
  m_queryTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  m_queryTable->setAlternatingRowColors(true);

  m_queryLabel = new QLabel(this);
  m_queryLabel->setObjectName(QStringLiteral("queryLabel"));
  m_queryLabel->setWordWrap(true);
  m_queryLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_noteLabel = new QLabel(this);
  m_noteLabel->setObjectName(QStringLiteral("noteLabel"));
  m_noteLabel->setWordWrap(true);
  m_noteLabel->setForegroundRole(QPalette::PlaceholderText);
  auto* hint = new QLabel(tr("↑/↓ example · PgUp/PgDn a page · ←/→ query · click a query to see the pair it "
                             "asks for"),
                          this);
  hint->setForegroundRole(QPalette::PlaceholderText);

  auto* right = new QWidget(this);
  auto* rightLayout = new QVBoxLayout(right);
  rightLayout->setContentsMargins(6, 0, 0, 0);
  rightLayout->addWidget(m_exampleLabel);
  rightLayout->addWidget(legend);
  auto* stripLine = new QHBoxLayout;
  stripLine->setSpacing(0);
  stripLine->addWidget(rowNames, 0, Qt::AlignTop);
  stripLine->addWidget(m_scroll, 1, Qt::AlignTop);
  rightLayout->addLayout(stripLine);
  rightLayout->addWidget(m_queryLabel);
  rightLayout->addWidget(m_noteLabel);
  rightLayout->addWidget(m_queryTable, 1);
  rightLayout->addWidget(hint);

  auto* splitter = new QSplitter(Qt::Horizontal, this);
  splitter->addWidget(m_listPanel);
  splitter->addWidget(right);
  splitter->setStretchFactor(0, 1);
  splitter->setStretchFactor(1, 3);
  splitter->setChildrenCollapsible(false);
  splitter->setSizes({300, 900});
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(splitter);

  // Navigation keys mean the same wherever the focus is in the browser.
  m_table->installEventFilter(this);
  m_strip->installEventFilter(this);
  m_sliceCombo->installEventFilter(this);
  m_queryTable->installEventFilter(this);

  connect(m_failuresCheck, &QCheckBox::toggled, this, [this] {
    rebuildList(m_currentExample >= 0 ? std::optional<int64_t>(m_currentExample) : std::nullopt);
  });
  connect(m_sliceCombo, &QComboBox::currentIndexChanged, this, [this] {
    if (!m_rebuilding) {
      rebuildList(m_currentExample >= 0 ? std::optional<int64_t>(m_currentExample) : std::nullopt);
    }
  });
  connect(m_clearFilterButton, &QPushButton::clicked, this, &ExampleBrowser::clearExampleFilter);
  connect(
      m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
      [this](const QModelIndex& current) { onCurrentRowChanged(current.isValid() ? current.row() : -1); });
  connect(m_strip, &TokenStrip::currentQueryChanged, this, &ExampleBrowser::onStripQueryChanged);
  connect(m_queryTable, &QTableWidget::currentCellChanged, this, [this](int row) {
    if (row >= 0) {
      m_strip->setCurrentQuery(row);
    }
  });

  clear(tr("No records."));
}

ExampleBrowser::~ExampleBrowser() = default;

void ExampleBrowser::setRecords(std::shared_ptr<const QueryRecordSet> records,
                                std::shared_ptr<const std::vector<TokenSegment>> split,
                                const QString& splitNote) {
  const int64_t previous = m_currentExample;
  m_records = std::move(records);
  m_split = std::move(split);
  m_splitNote = splitNote;
  m_outcomes.clear();
  m_order.clear();
  m_ranges.clear();
  if (m_records) {
    m_outcomes = example_outcomes(*m_records);
    m_order.resize(m_records->records.size());
    for (size_t i = 0; i < m_order.size(); ++i) {
      m_order[i] = i;
    }
    const auto& all = m_records->records;
    std::stable_sort(m_order.begin(), m_order.end(), [&](size_t a, size_t b) {
      return std::tie(all[a].example, all[a].position) < std::tie(all[b].example, all[b].position);
    });
    for (size_t i = 0; i < m_order.size(); ++i) {
      auto [it, inserted] = m_ranges.try_emplace(all[m_order[i]].example, i, i + 1);
      if (!inserted) {
        it->second.second = i + 1;
      }
    }
  }
  // The same examples in another step or run keep the user's place.
  m_currentExample = -1;
  rebuildSliceCombo();
  rebuildList(previous >= 0 ? std::optional<int64_t>(previous) : std::nullopt);
}

void ExampleBrowser::clear(const QString& message) {
  setRecords(nullptr, nullptr);
  // setRecords keeps the strip when no example was current before (nothing "changed"): empty it here.
  m_currentExample = -1;
  showCurrentExample();
  m_exampleLabel->setText(message);
}

// ---- Filters ----

void ExampleBrowser::setFailuresOnly(bool failuresOnly) {
  m_failuresCheck->setChecked(failuresOnly);
}

bool ExampleBrowser::failuresOnly() const {
  return m_failuresCheck->isChecked();
}

bool ExampleBrowser::setSliceFilter(const QString& key, int64_t value) {
  const int index = m_sliceCombo->findData(QStringList{key, QString::number(value)});
  if (index < 0) {
    return false;
  }
  m_sliceCombo->setCurrentIndex(index);
  return true;
}

void ExampleBrowser::clearSliceFilter() {
  m_sliceCombo->setCurrentIndex(0);
}

void ExampleBrowser::setExampleFilter(const std::vector<int64_t>& examples, const QString& title) {
  std::vector<int64_t> sorted = examples;
  std::sort(sorted.begin(), sorted.end());
  m_exampleFilter = std::move(sorted);
  m_exampleFilterTitle = title;
  // A link asks for these examples in particular: the other filters would hide some of them.
  m_rebuilding = true;
  m_failuresCheck->blockSignals(true);
  m_failuresCheck->setChecked(false);
  m_failuresCheck->blockSignals(false);
  m_sliceCombo->setCurrentIndex(0);
  m_rebuilding = false;
  updateFilterBanner();
  rebuildList(std::nullopt);
}

void ExampleBrowser::clearExampleFilter() {
  if (!m_exampleFilter) {
    return;
  }
  m_exampleFilter.reset();
  m_exampleFilterTitle.clear();
  updateFilterBanner();
  rebuildList(m_currentExample >= 0 ? std::optional<int64_t>(m_currentExample) : std::nullopt);
}

void ExampleBrowser::updateFilterBanner() {
  if (m_exampleFilter) {
    m_filterLabel->setText(
        tr("<b>%1</b>: %2").arg(m_exampleFilterTitle.toHtmlEscaped(), examplesText(m_exampleFilter->size())));
  }
  m_banner->setVisible(m_exampleFilter.has_value());
}

void ExampleBrowser::rebuildSliceCombo() {
  m_rebuilding = true;
  const QVariant previous = m_sliceCombo->currentData();
  m_sliceCombo->clear();
  m_sliceCombo->addItem(tr("All slices"));
  // Only keys whose value differs between segments narrow the list.
  std::map<std::string, std::set<int64_t>> values;
  if (m_records) {
    for (const RecordSegment& segment : m_records->segments) {
      for (const auto& [key, value] : segment.slices) {
        values[key].insert(value);
      }
    }
  }
  for (const auto& [key, set] : values) {
    if (set.size() < 2) {
      continue;
    }
    for (const int64_t value : set) {
      const QString name = QString::fromStdString(key);
      m_sliceCombo->addItem(QStringLiteral("%1 = %2").arg(name).arg(value),
                            QStringList{name, QString::number(value)});
    }
  }
  const int index = previous.isValid() ? m_sliceCombo->findData(previous) : 0;
  m_sliceCombo->setCurrentIndex(std::max(0, index));
  m_sliceCombo->setEnabled(m_sliceCombo->count() > 1);
  m_rebuilding = false;
}

void ExampleBrowser::rebuildList(std::optional<int64_t> keep) {
  const bool failures = m_failuresCheck->isChecked();
  const QStringList slice = m_sliceCombo->currentData().toStringList();
  const std::string sliceKey = slice.size() == 2 ? slice[0].toStdString() : std::string();
  const int64_t sliceValue = slice.size() == 2 ? slice[1].toLongLong() : 0;
  std::vector<ExampleOutcome> listed;
  for (const ExampleOutcome& outcome : m_outcomes) {
    if (failures && outcome.correct >= outcome.queries) {
      continue;
    }
    if (!sliceKey.empty()) {
      if (outcome.segment < 0 || outcome.segment >= static_cast<int64_t>(m_records->segments.size())) {
        continue;
      }
      const auto& slices = m_records->segments[static_cast<size_t>(outcome.segment)].slices;
      const auto it = slices.find(sliceKey);
      if (it == slices.end() || it->second != sliceValue) {
        continue;
      }
    }
    if (m_exampleFilter &&
        !std::binary_search(m_exampleFilter->begin(), m_exampleFilter->end(), outcome.example)) {
      continue;
    }
    listed.push_back(outcome);
  }
  const size_t count = listed.size();
  m_rebuilding = true;
  m_model->setOutcomes(std::move(listed), m_records ? m_records->segments : std::vector<RecordSegment>{});
  m_table->setColumnHidden(ExampleListModel::ColumnSlices, m_model->varyingSlices().empty());
  // The list keeps room for all its columns; the strip gets the rest.
  m_table->resizeColumnsToContents();
  m_listPanel->setMinimumWidth(std::max(m_filtersWidth, m_table->horizontalHeader()->length() +
                                                            m_table->verticalScrollBar()->sizeHint().width() +
                                                            2 * m_table->frameWidth() + 2));
  m_rebuilding = false;
  m_countLabel->setText(m_outcomes.empty() ? QString()
                                           : tr("%1 of %2").arg(count).arg(examplesText(m_outcomes.size())));

  int row = keep ? m_model->rowOfExample(*keep) : -1;
  if (row < 0 && m_model->rowCount() > 0) {
    row = 0;
  }
  if (row >= 0) {
    m_table->setCurrentIndex(m_model->index(row, 0));
    m_table->scrollTo(m_model->index(row, 0));
  }
  // Setting the same row again after a reset emits nothing: show it directly.
  onCurrentRowChanged(row);
}

// ---- Navigation ----

bool ExampleBrowser::showExample(int64_t example) {
  if (m_ranges.find(example) == m_ranges.end()) {
    return false;
  }
  if (m_model->rowOfExample(example) < 0) {
    // Hidden by a filter: leave the ones that hide it.
    if (m_exampleFilter && !std::binary_search(m_exampleFilter->begin(), m_exampleFilter->end(), example)) {
      m_exampleFilter.reset();
      m_exampleFilterTitle.clear();
      updateFilterBanner();
    }
    m_rebuilding = true;
    m_failuresCheck->blockSignals(true);
    if (const auto found = outcome(example); found && found->correct >= found->queries) {
      m_failuresCheck->setChecked(false);
    }
    m_failuresCheck->blockSignals(false);
    m_rebuilding = false;
    rebuildList(example);
    if (m_model->rowOfExample(example) < 0) {
      m_rebuilding = true;
      m_sliceCombo->setCurrentIndex(0);
      m_rebuilding = false;
      rebuildList(example);
    }
  }
  const int row = m_model->rowOfExample(example);
  if (row < 0) {
    return false;
  }
  m_table->setCurrentIndex(m_model->index(row, 0));
  m_table->scrollTo(m_model->index(row, 0));
  return m_currentExample == example;
}

int ExampleBrowser::currentQuery() const {
  return m_strip->currentQuery();
}

void ExampleBrowser::selectQuery(int index) {
  m_strip->setCurrentQuery(index);
}

std::vector<int64_t> ExampleBrowser::listedExamples() const {
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(m_model->rowCount()));
  for (int row = 0; row < m_model->rowCount(); ++row) {
    out.push_back(m_model->outcome(row).example);
  }
  return out;
}

std::optional<ExampleOutcome> ExampleBrowser::outcome(int64_t example) const {
  const auto it = std::lower_bound(m_outcomes.begin(), m_outcomes.end(), example,
                                   [](const ExampleOutcome& o, int64_t e) { return o.example < e; });
  if (it == m_outcomes.end() || it->example != example) {
    return std::nullopt;
  }
  return *it;
}

bool ExampleBrowser::eventFilter(QObject* watched, QEvent* event) {
  if (event->type() == QEvent::KeyPress) {
    auto* key = static_cast<QKeyEvent*>(event);
    // The slice combo keeps Up/Down for its own items.
    const bool combo = watched == m_sliceCombo;
    if (!(combo && (key->key() == Qt::Key_Up || key->key() == Qt::Key_Down)) && handleNavigationKey(key)) {
      return true;
    }
  }
  return QWidget::eventFilter(watched, event);
}

void ExampleBrowser::keyPressEvent(QKeyEvent* event) {
  if (!handleNavigationKey(event)) {
    QWidget::keyPressEvent(event);
  }
}

bool ExampleBrowser::handleNavigationKey(QKeyEvent* event) {
  if (!isNavigationKey(event->key()) || (event->modifiers() & ~Qt::KeypadModifier) != Qt::NoModifier) {
    return false;
  }
  const int page = std::max(
      1, m_table->viewport()->height() / std::max(1, m_table->verticalHeader()->defaultSectionSize()) - 1);
  switch (event->key()) {
    case Qt::Key_Up:
      moveExample(-1);
      break;
    case Qt::Key_Down:
      moveExample(1);
      break;
    case Qt::Key_PageUp:
      moveExample(-page);
      break;
    case Qt::Key_PageDown:
      moveExample(page);
      break;
    case Qt::Key_Left:
      m_strip->setCurrentQuery(m_strip->currentQuery() - 1);
      break;
    case Qt::Key_Right:
      m_strip->setCurrentQuery(m_strip->currentQuery() + 1);
      break;
    case Qt::Key_Home:
      m_strip->setCurrentQuery(0);
      break;
    case Qt::Key_End:
      m_strip->setCurrentQuery(static_cast<int>(m_strip->queries().size()) - 1);
      break;
    default:
      return false;
  }
  return true;
}

void ExampleBrowser::moveExample(int delta) {
  const int rows = m_model->rowCount();
  if (rows == 0) {
    return;
  }
  const int current = m_table->currentIndex().isValid() ? m_table->currentIndex().row() : 0;
  const int row = std::clamp(current + delta, 0, rows - 1);
  m_table->setCurrentIndex(m_model->index(row, 0));
  m_table->scrollTo(m_model->index(row, 0));
}

void ExampleBrowser::onCurrentRowChanged(int row) {
  if (m_rebuilding) {
    return;
  }
  const int64_t example = row >= 0 && row < m_model->rowCount() ? m_model->outcome(row).example : -1;
  if (example == m_currentExample && (example < 0 || m_strip->example() == example)) {
    return;
  }
  m_currentExample = example;
  showCurrentExample();
  Q_EMIT currentExampleChanged(m_currentExample);
}

void ExampleBrowser::showCurrentExample() {
  const auto range = m_ranges.find(m_currentExample);
  if (!m_records || range == m_ranges.end()) {
    m_strip->clear();
    m_exampleLabel->setText(m_records ? (m_outcomes.empty() ? tr("The record set has no queries.")
                                                            : tr("No example matches the filters."))
                                      : m_exampleLabel->text());
    m_queryLabel->clear();
    m_noteLabel->setText(m_splitNote);
    m_noteLabel->setVisible(!m_splitNote.isEmpty());
    fillQueryTable();
    return;
  }
  const auto& all = m_records->records;
  const QueryRecord& first = all[m_order[range->second.first]];
  std::vector<TokenStrip::Query> queries;
  for (size_t i = range->second.first; i < range->second.second; ++i) {
    const QueryRecord& record = all[m_order[i]];
    TokenStrip::Query query;
    query.position = record.position;
    query.key = record.key;
    query.target = record.target;
    query.prediction = record.prediction;
    query.p_target = record.p_target;
    query.loss = record.loss;
    query.correct = record.correct;
    query.gap = record.gap;
    query.kv_index = record.kv_index;
    queries.push_back(query);
  }

  std::map<std::string, int64_t> slices;
  std::string task = "mqar";
  QString segmentText;
  if (first.segment >= 0 && first.segment < static_cast<int>(m_records->segments.size())) {
    const RecordSegment& segment = m_records->segments[static_cast<size_t>(first.segment)];
    slices = segment.slices;
    task = segment.task;
    segmentText = slicesText(segment);
  }

  // The tokens, checked against the records: a configuration edited since (or another generator) would
  // show a sequence the model never saw.
  std::vector<int64_t> tokens;
  QString note = m_splitNote;
  if (m_split) {
    try {
      const TestExample example = test_example(*m_split, m_currentExample);
      bool matches = true;
      for (const auto& query : queries) {
        if (query.position >= static_cast<int>(example.inputs.size()) ||
            example.inputs[static_cast<size_t>(query.position)] != query.key ||
            example.labels[static_cast<size_t>(query.position)] != query.target) {
          matches = false;
          break;
        }
      }
      if (matches) {
        tokens = example.inputs;
        if (slices.empty() && example.segment < static_cast<int64_t>(m_split->size())) {
          slices = (*m_split)[static_cast<size_t>(example.segment)].slices;
        }
      } else {
        note = tr("The test split regenerated from the run's configuration does not match the records of "
                  "example %1: only what the records say is shown.")
                   .arg(m_currentExample);
      }
    } catch (const std::exception& error) {
      note = QString::fromUtf8(error.what());
    }
  }
  const auto found = outcome(m_currentExample);
  m_exampleLabel->setText(
      tr("Example %1%2 — %3 of %4 queries right")
          .arg(m_currentExample)
          .arg(segmentText.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(segmentText))
          .arg(found ? found->correct : 0)
          .arg(found ? found->queries : 0));
  m_noteLabel->setText(note);
  m_noteLabel->setVisible(!note.isEmpty());
  m_scroll->horizontalScrollBar()->setValue(0);
  m_strip->setSourceLabel(sourceLabel(task));
  m_strip->setExample(m_currentExample, std::move(tokens), contextLength(task, slices), std::move(queries));
  fillQueryTable();
  scrollToQuery(m_strip->currentQuery());
}

void ExampleBrowser::fillQueryTable() {
  const QSignalBlocker blocker(m_queryTable);
  const auto& queries = m_strip->queries();
  m_queryTable->setRowCount(static_cast<int>(queries.size()));
  const auto cell = [&](int row, int column, const QString& text) {
    auto* item = new QTableWidgetItem(text);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_queryTable->setItem(row, column, item);
    return item;
  };
  for (int row = 0; row < static_cast<int>(queries.size()); ++row) {
    const TokenStrip::Query& q = queries[static_cast<size_t>(row)];
    cell(row, 0, QString::number(q.position));
    cell(row, 1, QString::number(q.key));
    cell(row, 2, QString::number(q.target));
    cell(row, 3, QString::number(q.prediction));
    cell(row, 4, QString::number(q.p_target, 'f', 4));
    cell(row, 5, QString::number(q.loss, 'f', 4));
    cell(row, 6, q.keyPosition() >= 0 ? QString::number(q.gap) : QStringLiteral("–"));
    cell(row, 7, q.kv_index >= 0 ? QString::number(q.kv_index) : QStringLiteral("–"));
    QTableWidgetItem* right = cell(row, 8, q.correct ? tr("yes") : tr("no"));
    right->setTextAlignment(Qt::AlignCenter);
    right->setBackground(TokenStrip::roleColour(TokenStrip::Role::Query, q.correct));
    right->setForeground(QColor(Qt::black));
  }
  if (m_strip->currentQuery() >= 0) {
    m_queryTable->setCurrentCell(m_strip->currentQuery(), 0);
  }
}

void ExampleBrowser::scrollToQuery(int index) {
  if (index < 0 || index >= static_cast<int>(m_strip->queries().size())) {
    return;
  }
  // The query and, when both fit, its key; otherwise the query alone.
  const TokenStrip::Query& query = m_strip->queries()[static_cast<size_t>(index)];
  const QRect cell = m_strip->cellRect(query.position);
  const int key = query.keyPosition();
  QScrollBar* bar = m_scroll->horizontalScrollBar();
  const int view = m_scroll->viewport()->width();
  const int margin = cell.width() / 2;
  const int left = (key >= 0 ? std::min(m_strip->cellRect(key).left(), cell.left()) : cell.left()) - margin;
  const int right = cell.right() + margin;
  if (right - left <= view) {
    if (left < bar->value()) {
      bar->setValue(left);
    } else if (right > bar->value() + view) {
      bar->setValue(right - view);
    }
  } else {
    m_scroll->ensureVisible(cell.center().x(), cell.center().y(), cell.width(), 0);
  }
}

void ExampleBrowser::onStripQueryChanged(int index) {
  if (index < 0 || index >= static_cast<int>(m_strip->queries().size())) {
    m_queryLabel->clear();
    Q_EMIT currentQueryChanged(index);
    return;
  }
  const TokenStrip::Query& query = m_strip->queries()[static_cast<size_t>(index)];
  m_queryLabel->setText(m_strip->describe(query.position));
  if (m_queryTable->currentRow() != index) {
    const QSignalBlocker blocker(m_queryTable);
    m_queryTable->setCurrentCell(index, 0);
  }
  scrollToQuery(index);
  Q_EMIT currentQueryChanged(index);
}

}  // namespace zoolab
