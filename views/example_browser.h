#pragma once

// The example browser: the test examples of one record set in a list (how many queries each
// has and how many the model got right, from example_outcomes()), filtered to the failures, to one slice
// (e.g. num_kv_pairs = 8) or to the examples a Compare link names; the chosen example as a TokenStrip with
// its keys, values and queries marked, and the chosen query spelled out under it.
//
// The tokens come from the run's test split regenerated from its configuration (records hold no tokens);
// where that is not possible the strip shows what the records know. Keys: Up/Down the previous/next listed
// example, PgUp/PgDn a page of them, Left/Right (Home/End) the previous/next query, wherever the focus is
// inside the browser.

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include <QString>
#include <QWidget>

#include "engine/data/tasks/mqar.h"
#include "engine/inspect/query_records.h"
#include "engine/inspect/recall_analysis.h"

class QCheckBox;
class QComboBox;
class QKeyEvent;
class QLabel;
class QPushButton;
class QScrollArea;
class QTableView;
class QTableWidget;

namespace zoolab {

class ExampleListModel;
class TokenStrip;

class ExampleBrowser : public QWidget {
  Q_OBJECT

 public:
  // Child widgets carry these object names: "exampleTable", "failuresCheck", "sliceCombo", "filterLabel",
  // "clearFilterButton", "countLabel", "exampleLabel", "tokenStrip", "queryLabel", "queryTable".
  explicit ExampleBrowser(QWidget* parent = nullptr);
  ~ExampleBrowser() override;

  // The records to browse and the test split they were recorded on. A null split (or one the records do
  // not match) leaves the tokens unknown; `splitNote` says why, under the strip.
  void setRecords(std::shared_ptr<const QueryRecordSet> records,
                  std::shared_ptr<const std::vector<TokenSegment>> split, const QString& splitNote = {});
  // Nothing to browse; `message` says why.
  void clear(const QString& message = {});
  const QueryRecordSet* records() const { return m_records.get(); }

  // ---- Filters (combined) ----
  void setFailuresOnly(bool failuresOnly);
  bool failuresOnly() const;
  // Examples whose segment has slice `key` == `value`; clearSliceFilter() lists every slice again.
  // False when no segment has that slice value.
  bool setSliceFilter(const QString& key, int64_t value);
  void clearSliceFilter();
  // Only `examples` (a Compare link), the banner saying `title`; cleared by its button or clearExampleFilter.
  void setExampleFilter(const std::vector<int64_t>& examples, const QString& title);
  void clearExampleFilter();
  bool hasExampleFilter() const { return m_exampleFilter.has_value(); }
  QString exampleFilterTitle() const { return m_exampleFilterTitle; }

  // ---- Navigation ----
  // Shows `example` (clearing the filters that hide it); false when the records have none of its queries.
  bool showExample(int64_t example);
  int64_t currentExample() const { return m_currentExample; }
  // Index of the current query among the current example's (by position), -1 when none.
  int currentQuery() const;
  void selectQuery(int index);
  // The examples listed now, in order.
  std::vector<int64_t> listedExamples() const;
  // What example_outcomes() says of an example; nullopt when it has no records.
  std::optional<ExampleOutcome> outcome(int64_t example) const;

  TokenStrip* tokenStrip() const { return m_strip; }
  QTableView* exampleTable() const { return m_table; }
  ExampleListModel* exampleModel() const { return m_model; }
  QCheckBox* failuresCheck() const { return m_failuresCheck; }
  QComboBox* sliceCombo() const { return m_sliceCombo; }
  QPushButton* clearFilterButton() const { return m_clearFilterButton; }
  QLabel* exampleLabel() const { return m_exampleLabel; }
  QLabel* queryLabel() const { return m_queryLabel; }
  // The current example's queries, one row each (position, key, target, prediction, p(target), loss,
  // gap, pair, right); its current row is the current query.
  QTableWidget* queryTable() const { return m_queryTable; }
  QLabel* countLabel() const { return m_countLabel; }

  Q_SIGNAL void currentExampleChanged(qint64 example);  // -1: none
  Q_SIGNAL void currentQueryChanged(int index);

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;

 private:
  bool handleNavigationKey(QKeyEvent* event);
  void moveExample(int delta);
  void rebuildList(std::optional<int64_t> keep);
  void rebuildSliceCombo();
  void onCurrentRowChanged(int row);
  void showCurrentExample();
  void onStripQueryChanged(int index);
  void updateFilterBanner();
  void fillQueryTable();
  void scrollToQuery(int index);

  std::shared_ptr<const QueryRecordSet> m_records;
  std::shared_ptr<const std::vector<TokenSegment>> m_split;
  QString m_splitNote;
  std::vector<ExampleOutcome> m_outcomes;                           // every example of the set, ascending
  std::vector<size_t> m_order;                                      // record indices by (example, position)
  std::unordered_map<int64_t, std::pair<size_t, size_t>> m_ranges;  // example -> [begin, end) in m_order
  std::optional<std::vector<int64_t>> m_exampleFilter;              // sorted
  QString m_exampleFilterTitle;
  int64_t m_currentExample = -1;
  bool m_rebuilding = false;

  ExampleListModel* m_model = nullptr;
  QWidget* m_listPanel = nullptr;  // the filters, the list and its count
  int m_filtersWidth = 0;
  QTableView* m_table = nullptr;
  QCheckBox* m_failuresCheck = nullptr;
  QComboBox* m_sliceCombo = nullptr;
  QWidget* m_banner = nullptr;  // the example filter's title and its button
  QLabel* m_filterLabel = nullptr;
  QPushButton* m_clearFilterButton = nullptr;
  QLabel* m_countLabel = nullptr;
  QLabel* m_exampleLabel = nullptr;
  QScrollArea* m_scroll = nullptr;
  TokenStrip* m_strip = nullptr;
  QLabel* m_queryLabel = nullptr;
  QTableWidget* m_queryTable = nullptr;
  QLabel* m_noteLabel = nullptr;
};

}  // namespace zoolab
