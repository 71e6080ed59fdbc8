#pragma once

// The run table widget: a filter line (a run query, engine/analysis/run_query.h) above a sortable QTableView
// over a RunTableModel. It shows runs and reports which one the user opens; it does not own the model (the
// main window shares it with other views). ID and Name stay in view when the table scrolls right: a second
// table over the first shows only them (Qt's "Frozen Column" example), sharing model and selection.

#include <QByteArray>
#include <QList>
#include <QString>
#include <QWidget>

class QHeaderView;
class QLabel;
class QResizeEvent;
class QLineEdit;
class QModelIndex;
class QPoint;
class QTableView;

namespace zoolab {

class RunFilterProxyModel;
class RunTableModel;

class RunTableView : public QWidget {
  Q_OBJECT

 public:
  explicit RunTableView(RunTableModel* model, QWidget* parent = nullptr);

  QTableView* tableView() const { return m_table; }
  // The overlay that keeps ID and Name in view.
  QTableView* frozenView() const { return m_frozen; }
  // Under the filter line: the query's error while it does not parse; hidden otherwise.
  QLabel* filterErrorLabel() const { return m_filterError; }
  QLineEdit* filterEdit() const { return m_filterEdit; }
  RunFilterProxyModel* proxyModel() const { return m_proxy; }

  // Ids of the selected runs, top to bottom as shown.
  QList<qint64> selectedRunIds() const;
  // Selects the run and scrolls to it; false when no visible row has that id.
  bool selectRun(qint64 runId);
  // Selects exactly these runs (one selection change) and scrolls to the first; returns how many have a
  // visible row (the others are hidden by the filter or not listed). Selects nothing when none has.
  int selectRuns(const QList<qint64>& runIds);

  // Rich text shown across the empty table when the model has no runs (how to start one, or why none could
  // be read).
  // When runs exist but the filter hides them all, the table says so instead.
  void setEmptyText(const QString& text);

  // Column widths, order and sorting, for Settings. Restoring a state saved with other columns does nothing.
  QByteArray saveHeaderState() const;
  bool restoreHeaderState(const QByteArray& state);

  // The user opened a run: double click, or Return on the current row.
  Q_SIGNAL void runActivated(qint64 runId);
  // The selection changed (also when a model reset restored it): the selected ids, as selectedRunIds().
  Q_SIGNAL void selectedRunsChanged(const QList<qint64>& runIds);
  // The user asked for the context menu over the selected runs (right click or the menu key); the window
  // builds it, since its actions write to the database.
  Q_SIGNAL void contextMenuRequested(const QList<qint64>& runIds, const QPoint& globalPosition);

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;

 private:
  void activateIndex(const QModelIndex& proxyIndex);
  void requestContextMenu(QTableView* view, const QPoint& position);
  void showHeaderMenu(QHeaderView* header, const QPoint& position);
  void showFilterError(const QString& error);
  // The overlay's columns, widths and place follow the table's.
  void setUpFrozenView();
  void updateFrozenColumns();
  void updateFrozenGeometry();
  // ID and Name first, whatever a restored header state or a drag did: the overlay covers the first two.
  void keepFrozenColumnsFirst();
  void rememberSelection();
  void restoreSelection();
  void updateEmptyLabel();

  RunTableModel* m_model = nullptr;
  RunFilterProxyModel* m_proxy = nullptr;
  QLineEdit* m_filterEdit = nullptr;
  QTableView* m_table = nullptr;
  QTableView* m_frozen = nullptr;
  QLabel* m_filterError = nullptr;
  QLabel* m_emptyLabel = nullptr;  // a child of the table's viewport, covering it while no row shows
  QString m_emptyText;
  // Selection carried across a model reset (a new run appeared), by run id.
  QList<qint64> m_selectedBeforeReset;
  qint64 m_currentBeforeReset = -1;
};

}  // namespace zoolab
