#include "views/run_table_view.h"

#include <algorithm>

#include <QAction>
#include <QDataStream>
#include <QEvent>
#include <QHeaderView>
#include <QIODevice>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QScrollBar>
#include <QSignalBlocker>
#include <QTableView>
#include <QVBoxLayout>

#include "views/run_column_menu.h"
#include "views/run_filter_proxy_model.h"
#include "views/run_table_model.h"

namespace zoolab {

namespace {

// Header state is saved with the column count it was made for: QHeaderView::restoreState would
// apply widths and order of an older column set to the wrong columns after an upgrade.
constexpr quint32 kHeaderStateMagic = 0x7a52540a;  // "zRT\n"

// Width of the Name column until the user drags it: the overlay keeps it on screen, so it must not
// take half the window; longer names are elided in the middle, whole in the tooltip.
constexpr int kDefaultNameWidth = 240;

QString filterToolTip() {
  return RunTableView::tr(
      "<p>Words keep the runs whose name, mixer, status or tags contain each of them. Or a query:</p>"
      "<p><code>mixer:based d_model&gt;=64</code> (terms side by side must all hold)<br>"
      "<code>best(valid/accuracy)&gt;=0.99 or tag:baseline</code><br>"
      "<code>not status:failed</code>, <code>(a or b) c</code>, <code>name~^fig2-.*</code> (regular "
      "expression)</p>"
      "<p>Fields: any configuration path (<code>model.sequence_mixer.kwargs.num_heads</code>), lr, d_model, "
      "n_layers, seq_len, kv, vocab, epochs, steps, seed, id, params, state_size, mixer, status, tag, name, "
      "sweep, task; metrics by key with last/best/min/max (<code>min(train/loss)&lt;1</code>). "
      "<code>and</code> binds tighter than <code>or</code>. The same language as "
      "<code>zoolab-cli runs --where</code>. (Ctrl+F)</p>");
}
}  // namespace

RunTableView::RunTableView(RunTableModel* model, QWidget* parent)
    : QWidget(parent),
      m_model(model),
      m_proxy(new RunFilterProxyModel(this)),
      m_filterEdit(new QLineEdit(this)),
      m_table(new QTableView(this)),
      m_frozen(new QTableView(m_table)),
      m_filterError(new QLabel(this)) {
  // Connected before the proxy and the view see the model, so this runs while the old rows and the
  // selection still exist.
  connect(m_model, &QAbstractItemModel::modelAboutToBeReset, this, &RunTableView::rememberSelection);
  m_proxy->setSourceModel(m_model);

  m_filterEdit->setPlaceholderText(tr("Filter: words, or a query such as mixer:based d_model>=64"));
  m_filterEdit->setClearButtonEnabled(true);
  m_filterEdit->setToolTip(filterToolTip());
  connect(m_filterEdit, &QLineEdit::textChanged, this, [this](const QString& text) {
    m_proxy->setFilterText(text);
    updateEmptyLabel();  // the text names the filter, and an empty result may stay empty
  });
  connect(m_proxy, &RunFilterProxyModel::filterErrorChanged, this, &RunTableView::showFilterError);
  m_filterError->setObjectName(QStringLiteral("filterError"));
  m_filterError->setWordWrap(true);
  m_filterError->setTextFormat(Qt::PlainText);
  m_filterError->setStyleSheet(QStringLiteral("color: #d32f2f"));
  m_filterError->hide();

  m_table->setModel(m_proxy);
  m_table->setSortingEnabled(true);
  // Newest first, as Store::list_runs orders them.
  m_table->sortByColumn(RunTableModel::ColumnId, Qt::DescendingOrder);
  m_table->setAlternatingRowColors(true);
  m_table->setShowGrid(false);
  m_table->setWordWrap(false);
  m_table->setTextElideMode(Qt::ElideMiddle);  // a long run name keeps its start and its end
  // By pixels, so the columns slide under the overlay instead of jumping a column at a time.
  m_table->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_table->verticalHeader()->hide();
  m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
  m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 8);

  QHeaderView* header = m_table->horizontalHeader();
  header->setSectionResizeMode(QHeaderView::ResizeToContents);
  // Widths from the first rows only: measuring all of 10,000 runs on every update would stall the window.
  header->setResizeContentsPrecision(100);
  // The name has a set width (elided in the middle); the last column takes the spare width.
  header->setSectionResizeMode(RunTableModel::ColumnName, QHeaderView::Interactive);
  header->resizeSection(RunTableModel::ColumnName, kDefaultNameWidth);
  header->setStretchLastSection(true);
  header->setSectionsMovable(true);
  header->setHighlightSections(false);
  header->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(header, &QWidget::customContextMenuRequested, this,
          [this, header](const QPoint& position) { showHeaderMenu(header, position); });
  // Added columns size to their contents like the others; the overlay never shows them.
  connect(m_model, &QAbstractItemModel::columnsInserted, this, [this] { updateFrozenColumns(); });
  connect(m_proxy, &QAbstractItemModel::modelReset, this, [this] { updateFrozenColumns(); });

  // activated = double click, or Return on the current row (or a single click where the platform
  // opens items that way), so the table follows the desktop's conventions.
  connect(m_table, &QAbstractItemView::activated, this, &RunTableView::activateIndex);
  connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
          [this] { Q_EMIT selectedRunsChanged(selectedRunIds()); });
  m_table->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(m_table, &QWidget::customContextMenuRequested, this,
          [this](const QPoint& position) { requestContextMenu(m_table, position); });

  // On the viewport, so the empty-table text covers the rows' area but never the header.
  m_emptyLabel = new QLabel(m_table->viewport());
  m_emptyLabel->setAlignment(Qt::AlignCenter);
  m_emptyLabel->setWordWrap(true);
  m_emptyLabel->setTextFormat(Qt::RichText);
  m_emptyLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);  // commands in it can be copied
  m_emptyLabel->setForegroundRole(QPalette::PlaceholderText);
  m_emptyLabel->setContentsMargins(24, 24, 24, 24);
  m_table->viewport()->installEventFilter(this);
  connect(m_proxy, &QAbstractItemModel::modelReset, this, &RunTableView::updateEmptyLabel);
  connect(m_proxy, &QAbstractItemModel::rowsInserted, this, &RunTableView::updateEmptyLabel);
  connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &RunTableView::updateEmptyLabel);
  connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &RunTableView::updateEmptyLabel);

  auto* findAction = new QAction(tr("Find"), this);
  findAction->setShortcut(QKeySequence::Find);
  findAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
  connect(findAction, &QAction::triggered, this, [this] {
    m_filterEdit->setFocus(Qt::ShortcutFocusReason);
    m_filterEdit->selectAll();
  });
  addAction(findAction);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(4);
  layout->addWidget(m_filterEdit);
  layout->addWidget(m_filterError);
  layout->addWidget(m_table, 1);
  setFocusProxy(m_table);
  setUpFrozenView();
  // After both views' and the selection model's own reset handling, which clear the selection.
  connect(m_proxy, &QAbstractItemModel::modelReset, this, &RunTableView::restoreSelection);
  updateEmptyLabel();
}

void RunTableView::setUpFrozenView() {
  m_frozen->setObjectName(QStringLiteral("frozenColumns"));
  m_frozen->setModel(m_proxy);
  m_frozen->setSelectionModel(m_table->selectionModel());  // one selection, whichever table is clicked
  m_frozen->setFocusPolicy(Qt::NoFocus);
  m_frozen->setFrameShape(QFrame::NoFrame);
  m_frozen->setSortingEnabled(true);
  m_frozen->setAlternatingRowColors(true);
  m_frozen->setShowGrid(false);
  m_frozen->setWordWrap(false);
  m_frozen->setTextElideMode(Qt::ElideMiddle);
  m_frozen->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_frozen->setSelectionMode(QAbstractItemView::ExtendedSelection);
  m_frozen->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_frozen->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  m_frozen->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  m_frozen->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
  m_frozen->setVerticalScrollMode(m_table->verticalScrollMode());
  m_frozen->verticalHeader()->hide();
  m_frozen->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
  m_frozen->verticalHeader()->setDefaultSectionSize(m_table->verticalHeader()->defaultSectionSize());
  QHeaderView* frozenHeader = m_frozen->horizontalHeader();
  frozenHeader->setSectionsMovable(false);
  frozenHeader->setHighlightSections(false);
  frozenHeader->setSortIndicator(m_table->horizontalHeader()->sortIndicatorSection(),
                                 m_table->horizontalHeader()->sortIndicatorOrder());
  frozenHeader->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(frozenHeader, &QWidget::customContextMenuRequested, this,
          [this, frozenHeader](const QPoint& position) { showHeaderMenu(frozenHeader, position); });
  m_table->viewport()->stackUnder(m_frozen);

  // Both headers show the one sort: a click on either sorts the shared proxy.
  QHeaderView* header = m_table->horizontalHeader();
  connect(frozenHeader, &QHeaderView::sortIndicatorChanged, this,
          [this](int section, Qt::SortOrder order) { m_table->sortByColumn(section, order); });
  connect(header, &QHeaderView::sortIndicatorChanged, this, [frozenHeader](int section, Qt::SortOrder order) {
    const QSignalBlocker blocker(frozenHeader);
    frozenHeader->setSortIndicator(section, order);
  });
  // Widths: the table's ID sizes itself to its contents; a drag of Name on either header resizes both.
  connect(header, &QHeaderView::sectionResized, this, [this](int section, int, int size) {
    if (section == RunTableModel::ColumnId || section == RunTableModel::ColumnName) {
      m_frozen->setColumnWidth(section, size);
      updateFrozenGeometry();
    }
  });
  connect(frozenHeader, &QHeaderView::sectionResized, this, [this](int section, int, int size) {
    if (section == RunTableModel::ColumnName && m_table->columnWidth(section) != size) {
      m_table->setColumnWidth(section, size);
    }
  });
  connect(header, &QHeaderView::sectionMoved, this, [this] { keepFrozenColumnsFirst(); });
  connect(header, &QHeaderView::geometriesChanged, this, [this] { updateFrozenGeometry(); });
  // One vertical position: wheel over the overlay scrolls the table, and the table moves the overlay.
  connect(m_frozen->verticalScrollBar(), &QAbstractSlider::valueChanged, m_table->verticalScrollBar(),
          &QAbstractSlider::setValue);
  connect(m_table->verticalScrollBar(), &QAbstractSlider::valueChanged, m_frozen->verticalScrollBar(),
          &QAbstractSlider::setValue);
  connect(m_frozen, &QAbstractItemView::activated, this, &RunTableView::activateIndex);
  m_frozen->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(m_frozen, &QWidget::customContextMenuRequested, this,
          [this](const QPoint& position) { requestContextMenu(m_frozen, position); });
  updateFrozenColumns();
}

void RunTableView::updateFrozenColumns() {
  for (int column = 0; column < m_model->columnCount(); ++column) {
    const bool frozen = column == RunTableModel::ColumnId || column == RunTableModel::ColumnName;
    m_frozen->setColumnHidden(column, !frozen);
    if (frozen) {
      m_frozen->setColumnWidth(column, m_table->columnWidth(column));
    }
  }
  updateFrozenGeometry();
}

void RunTableView::keepFrozenColumnsFirst() {
  // Each move emits sectionMoved, which comes back here and finds the columns in place: no loop.
  QHeaderView* header = m_table->horizontalHeader();
  for (int logical : {RunTableModel::ColumnId, RunTableModel::ColumnName}) {
    const int target = logical == RunTableModel::ColumnId ? 0 : 1;
    if (header->visualIndex(logical) != target) {
      header->moveSection(header->visualIndex(logical), target);
    }
  }
  updateFrozenGeometry();
}

void RunTableView::updateFrozenGeometry() {
  const int width =
      m_table->columnWidth(RunTableModel::ColumnId) + m_table->columnWidth(RunTableModel::ColumnName);
  const int frame = m_table->frameWidth();
  m_frozen->setGeometry(frame, frame, width,
                        m_table->viewport()->height() + m_table->horizontalHeader()->height());
  m_frozen->horizontalHeader()->setFixedHeight(m_table->horizontalHeader()->height());
}

void RunTableView::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  updateFrozenGeometry();
}

void RunTableView::requestContextMenu(QTableView* view, const QPoint& position) {
  // A right click outside the selection selects the row under the pointer first, as file managers do.
  const QModelIndex index = view->indexAt(position);
  if (index.isValid() && !m_table->selectionModel()->isRowSelected(index.row(), index.parent())) {
    m_table->selectionModel()->select(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
  }
  const QList<qint64> ids = selectedRunIds();
  if (!ids.isEmpty()) {
    Q_EMIT contextMenuRequested(ids, view->viewport()->mapToGlobal(position));
  }
}

void RunTableView::showHeaderMenu(QHeaderView* header, const QPoint& position) {
  QMenu menu(this);
  addRunColumnActions(&menu, m_model, header->logicalIndexAt(position), this);
  menu.exec(header->viewport()->mapToGlobal(position));
}

void RunTableView::showFilterError(const QString& error) {
  // The table keeps the last valid filter (RunFilterProxyModel); the box says why the new text is not it.
  if (error.isEmpty()) {
    m_filterEdit->setStyleSheet(QString());
    m_filterEdit->setToolTip(filterToolTip());
    m_filterError->hide();
    return;
  }
  m_filterEdit->setStyleSheet(QStringLiteral("QLineEdit { border: 1px solid #d32f2f; border-radius: 2px; }"));
  m_filterEdit->setToolTip(error.toHtmlEscaped() + QStringLiteral("<hr>") + filterToolTip());
  m_filterError->setText(tr("%1 — the table shows the last valid filter").arg(error));
  m_filterError->show();
}

void RunTableView::setEmptyText(const QString& text) {
  m_emptyText = text;
  updateEmptyLabel();
}

bool RunTableView::eventFilter(QObject* watched, QEvent* event) {
  if (watched == m_table->viewport() && event->type() == QEvent::Resize) {
    m_emptyLabel->setGeometry(m_table->viewport()->rect());
    updateFrozenGeometry();
  }
  return QWidget::eventFilter(watched, event);
}

QList<qint64> RunTableView::selectedRunIds() const {
  QModelIndexList rows = m_table->selectionModel()->selectedRows(RunTableModel::ColumnId);
  std::sort(rows.begin(), rows.end(),
            [](const QModelIndex& a, const QModelIndex& b) { return a.row() < b.row(); });
  QList<qint64> ids;
  ids.reserve(rows.size());
  for (const QModelIndex& index : rows) {
    ids.append(index.data(RunTableModel::RunIdRole).toLongLong());
  }
  return ids;
}

bool RunTableView::selectRun(qint64 runId) {
  const int sourceRow = m_model->rowOfRun(runId);
  const QModelIndex proxyIndex = m_proxy->mapFromSource(m_model->index(sourceRow, RunTableModel::ColumnId));
  if (!proxyIndex.isValid()) {
    return false;
  }
  m_table->selectionModel()->setCurrentIndex(proxyIndex,
                                             QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
  m_table->scrollTo(proxyIndex);
  return true;
}

int RunTableView::selectRuns(const QList<qint64>& runIds) {
  QItemSelection selection;
  QModelIndex first;
  int count = 0;
  for (const qint64 id : runIds) {
    const int sourceRow = m_model->rowOfRun(id);
    const QModelIndex proxyIndex = m_proxy->mapFromSource(m_model->index(sourceRow, RunTableModel::ColumnId));
    if (!proxyIndex.isValid()) {
      continue;
    }
    selection.select(proxyIndex, proxyIndex);
    if (!first.isValid()) {
      first = proxyIndex;
    }
    ++count;
  }
  if (count == 0) {
    return 0;
  }
  m_table->selectionModel()->select(selection,
                                    QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
  m_table->selectionModel()->setCurrentIndex(first, QItemSelectionModel::NoUpdate);
  m_table->scrollTo(first);
  return count;
}

QByteArray RunTableView::saveHeaderState() const {
  QByteArray state;
  QDataStream stream(&state, QIODevice::WriteOnly);
  stream << kHeaderStateMagic << quint32(m_model->columnCount()) << m_table->horizontalHeader()->saveState();
  return state;
}

bool RunTableView::restoreHeaderState(const QByteArray& state) {
  QDataStream stream(state);
  quint32 magic = 0;
  quint32 columns = 0;
  QByteArray headerState;
  stream >> magic >> columns >> headerState;
  if (stream.status() != QDataStream::Ok || magic != kHeaderStateMagic ||
      columns != quint32(m_model->columnCount())) {
    return false;
  }
  QHeaderView* header = m_table->horizontalHeader();
  if (!header->restoreState(headerState)) {
    return false;
  }
  // A state saved before the overlay existed stretched Name; the overlay needs it at a set width.
  if (header->sectionResizeMode(RunTableModel::ColumnName) != QHeaderView::Interactive) {
    header->setSectionResizeMode(RunTableModel::ColumnName, QHeaderView::Interactive);
    header->resizeSection(RunTableModel::ColumnName, kDefaultNameWidth);
  }
  header->setStretchLastSection(true);
  keepFrozenColumnsFirst();
  // restoreState moves the sort indicator without sorting.
  m_table->sortByColumn(header->sortIndicatorSection(), header->sortIndicatorOrder());
  updateFrozenColumns();
  return true;
}

void RunTableView::activateIndex(const QModelIndex& proxyIndex) {
  if (proxyIndex.isValid()) {
    Q_EMIT runActivated(proxyIndex.data(RunTableModel::RunIdRole).toLongLong());
  }
}

void RunTableView::updateEmptyLabel() {
  QString text;
  if (m_proxy->rowCount() == 0) {
    text = m_model->rowCount() == 0
               ? m_emptyText
               : tr("No run matches “%1”.").arg(m_proxy->appliedFilterText().trimmed().toHtmlEscaped());
  }
  m_emptyLabel->setText(text);
  m_emptyLabel->setGeometry(m_table->viewport()->rect());
  m_emptyLabel->setVisible(!text.isEmpty());
  // The overlay would cut the message: with no row it has nothing to keep in view.
  m_frozen->setVisible(text.isEmpty());
}

void RunTableView::rememberSelection() {
  m_selectedBeforeReset = selectedRunIds();
  const QModelIndex current = m_table->currentIndex();
  m_currentBeforeReset = current.isValid() ? current.data(RunTableModel::RunIdRole).toLongLong() : -1;
}

void RunTableView::restoreSelection() {
  QItemSelectionModel* selection = m_table->selectionModel();
  QItemSelection rows;
  for (qint64 id : m_selectedBeforeReset) {
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(m_model->rowOfRun(id), 0));
    if (index.isValid()) {
      rows.select(index, index);
    }
  }
  selection->select(rows, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
  if (m_currentBeforeReset >= 0) {
    const QModelIndex current =
        m_proxy->mapFromSource(m_model->index(m_model->rowOfRun(m_currentBeforeReset), 0));
    if (current.isValid()) {
      selection->setCurrentIndex(current, QItemSelectionModel::NoUpdate);
    }
  }
  m_selectedBeforeReset.clear();
  m_currentBeforeReset = -1;
}

}  // namespace zoolab
