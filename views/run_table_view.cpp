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
#include <QTableView>
#include <QVBoxLayout>

#include "views/run_filter_proxy_model.h"
#include "views/run_table_model.h"

namespace zoolab {

namespace {

// Header state is saved with the column count it was made for: QHeaderView::restoreState would
// apply widths and order of an older column set to the wrong columns after an upgrade.
constexpr quint32 kHeaderStateMagic = 0x7a52540a;  // "zRT\n"

}  // namespace

RunTableView::RunTableView(RunTableModel* model, QWidget* parent)
    : QWidget(parent),
      m_model(model),
      m_proxy(new RunFilterProxyModel(this)),
      m_filterEdit(new QLineEdit(this)),
      m_table(new QTableView(this)) {
  // Connected before the proxy and the view see the model, so this runs while the old rows and the
  // selection still exist.
  connect(m_model, &QAbstractItemModel::modelAboutToBeReset, this, &RunTableView::rememberSelection);
  m_proxy->setSourceModel(m_model);

  m_filterEdit->setPlaceholderText(tr("Filter by name, mixer, status or tag"));
  m_filterEdit->setClearButtonEnabled(true);
  m_filterEdit->setToolTip(
      tr("Every word must occur in the name, the mixer, the status or the tags (Ctrl+F)"));
  connect(m_filterEdit, &QLineEdit::textChanged, this, [this](const QString& text) {
    m_proxy->setFilterText(text);
    updateEmptyLabel();  // the text names the filter, and an empty result may stay empty
  });

  m_table->setModel(m_proxy);
  m_table->setSortingEnabled(true);
  // Newest first, as Store::list_runs orders them.
  m_table->sortByColumn(RunTableModel::ColumnId, Qt::DescendingOrder);
  m_table->setAlternatingRowColors(true);
  m_table->setShowGrid(false);
  m_table->setWordWrap(false);
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
  // The name takes the spare width; long names are elided rather than pushing the numbers off screen.
  header->setSectionResizeMode(RunTableModel::ColumnName, QHeaderView::Stretch);
  header->setSectionsMovable(true);
  header->setHighlightSections(false);

  // After the view's and the selection model's own reset handling, which clear the selection.
  connect(m_proxy, &QAbstractItemModel::modelReset, this, &RunTableView::restoreSelection);
  // activated = double click, or Return on the current row (or a single click where the platform
  // opens items that way), so the table follows the desktop's conventions.
  connect(m_table, &QAbstractItemView::activated, this, &RunTableView::activateIndex);
  connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
          [this] { Q_EMIT selectedRunsChanged(selectedRunIds()); });
  m_table->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(m_table, &QWidget::customContextMenuRequested, this, [this](const QPoint& position) {
    // A right click outside the selection selects the row under the pointer first, as file managers do.
    const QModelIndex index = m_table->indexAt(position);
    if (index.isValid() && !m_table->selectionModel()->isRowSelected(index.row(), index.parent())) {
      m_table->selectionModel()->select(index,
                                        QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    }
    const QList<qint64> ids = selectedRunIds();
    if (!ids.isEmpty()) {
      Q_EMIT contextMenuRequested(ids, m_table->viewport()->mapToGlobal(position));
    }
  });

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
  layout->addWidget(m_table, 1);
  setFocusProxy(m_table);
  updateEmptyLabel();
}

void RunTableView::setEmptyText(const QString& text) {
  m_emptyText = text;
  updateEmptyLabel();
}

bool RunTableView::eventFilter(QObject* watched, QEvent* event) {
  if (watched == m_table->viewport() && event->type() == QEvent::Resize) {
    m_emptyLabel->setGeometry(m_table->viewport()->rect());
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
  stream << kHeaderStateMagic << quint32(RunTableModel::ColumnCount)
         << m_table->horizontalHeader()->saveState();
  return state;
}

bool RunTableView::restoreHeaderState(const QByteArray& state) {
  QDataStream stream(state);
  quint32 magic = 0;
  quint32 columns = 0;
  QByteArray headerState;
  stream >> magic >> columns >> headerState;
  if (stream.status() != QDataStream::Ok || magic != kHeaderStateMagic ||
      columns != RunTableModel::ColumnCount) {
    return false;
  }
  QHeaderView* header = m_table->horizontalHeader();
  if (!header->restoreState(headerState)) {
    return false;
  }
  // restoreState moves the sort indicator without sorting.
  m_table->sortByColumn(header->sortIndicatorSection(), header->sortIndicatorOrder());
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
               : tr("No run matches “%1”.").arg(m_proxy->filterText().trimmed().toHtmlEscaped());
  }
  m_emptyLabel->setText(text);
  m_emptyLabel->setGeometry(m_table->viewport()->rect());
  m_emptyLabel->setVisible(!text.isEmpty());
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
