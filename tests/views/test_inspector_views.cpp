// The recall inspector's views against a real temporary database: query records written by hand
// (encode_query_records + put_query_records) over a test split regenerated from the run's configuration,
// so the tokens the browser shows are those the records describe. Which queries are right follows a
// pattern stated in each test, and the expected numbers are worked out from it here, not by the engine.

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <set>

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include "engine/config/run_config.h"
#include "engine/inspect/inspection.h"
#include "engine/inspect/query_records.h"
#include "engine/inspect/recall_analysis.h"
#include "engine/store/store.h"
#include "views/compare_view.h"
#include "views/example_browser.h"
#include "views/example_list_model.h"
#include "views/inspector_feed.h"
#include "views/inspector_view.h"
#include "views/qcustomplot_include.h"
#include "views/recall_analysis_view.h"
#include "views/token_strip.h"

namespace zoolab {
namespace {

// Two test segments that differ in num_kv_pairs (2 and 4 queries per example), 6 examples each:
// examples 0-5 have 2 queries, 6-11 have 4.
nlohmann::json fixtureConfig(uint64_t dataSeed = 3) {
  nlohmann::json config = nlohmann::json::parse(R"({
    "name": "inspect-fixture", "seed": 5,
    "data": {"vocab_size": 64, "batch_size": [8, 8], "seed": 3,
             "train": [{"input_seq_len": 16, "num_kv_pairs": 2, "num_examples": 16, "random_non_queries": false}],
             "test": [{"input_seq_len": 16, "num_kv_pairs": 2, "num_examples": 6, "random_non_queries": false},
                      {"input_seq_len": 16, "num_kv_pairs": 4, "num_examples": 6, "random_non_queries": false}]},
    "model": {"d_model": 16, "n_layers": 1, "max_position_embeddings": 16,
              "sequence_mixer": {"name": "attention", "kwargs": {"num_heads": 1}},
              "state_mixer": {"name": "identity", "kwargs": {}}},
    "train": {"max_epochs": 2, "slice_keys": ["num_kv_pairs"]}
  })");
  config["data"]["seed"] = dataSeed;
  return config;
}

// Whether query `j` (by position) of example `e` is right.
using Pattern = std::function<bool(int64_t example, int query)>;

// Run A's pattern: odd examples get their first query wrong.
bool patternA(int64_t e, int j) {
  return !(e % 2 == 1 && j == 0);
}
// Run B's: every third example gets its second query wrong.
bool patternB(int64_t e, int j) {
  return !(e % 3 == 0 && j == 1);
}

// The records a trainer would write for `split`, right where `pattern` says; only `examples` when given.
QueryRecordSet makeRecords(const std::vector<TokenSegment>& split, const Pattern& pattern, int64_t step,
                           int64_t epoch, const std::string& subset, const std::set<int64_t>& examples = {}) {
  QueryRecordSet set;
  set.step = step;
  set.epoch = epoch;
  set.subset = subset;
  int64_t first = 0;
  for (size_t s = 0; s < split.size(); ++s) {
    const TokenSegment& segment = split[s];
    set.segments.push_back({segment.seq_len, segment.num_examples, first, segment.slices});
    for (int64_t i = 0; i < segment.num_examples; ++i) {
      const int64_t e = first + i;
      if (!examples.empty() && !examples.count(e)) {
        continue;
      }
      const auto facts = mqar_query_facts(segment.inputs.data() + i * segment.seq_len,
                                          segment.labels.data() + i * segment.seq_len, segment.seq_len,
                                          segment.slices.at("num_kv_pairs"), 1);
      for (size_t j = 0; j < facts.size(); ++j) {
        const QueryFacts& f = facts[j];
        const bool right = pattern(e, static_cast<int>(j));
        QueryRecord r;
        r.example = static_cast<int32_t>(e);
        r.position = f.position;
        r.key = f.key;
        r.target = f.target;
        r.prediction = right ? f.target : (f.target + 1) % 64;
        r.p_target = right ? 0.9f : 0.1f;
        r.loss = -std::log(r.p_target);
        r.gap = f.gap;
        r.kv_index = f.kv_index;
        r.segment = static_cast<int16_t>(s);
        r.correct = right;
        set.records.push_back(r);
      }
    }
    first += segment.num_examples;
  }
  return set;
}

class InspectorViewsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(m_dir.isValid());
    m_path = m_dir.filePath("runs.sqlite");
    m_store = std::make_unique<Store>(m_path.toStdString());
    m_split = regenerate_test_split(parse_run_config(fixtureConfig()));
    ASSERT_EQ(m_split.size(), 2u);
    m_feedThread.start();
  }

  void TearDown() override {
    for (InspectorFeed* feed : m_feeds) {
      feed->deleteLater();
    }
    m_feedThread.quit();
    m_feedThread.wait();
  }

  // An inspector on the database whose feed reads on a thread of its own, wired as the window wires it.
  std::unique_ptr<InspectorView> makeInspector() {
    auto view = std::make_unique<InspectorView>();
    auto* feed = new InspectorFeed(m_path);
    feed->moveToThread(&m_feedThread);
    QObject::connect(view.get(), &InspectorView::loadRequested, feed, &InspectorFeed::load);
    QObject::connect(feed, &InspectorFeed::loaded, view.get(), &InspectorView::setData);
    m_feeds.push_back(feed);
    view->setDatabasePath(m_path);
    return view;
  }

  // Waits for the feed to answer what the view asked.
  static void settle(const InspectorView& view) {
    EXPECT_TRUE(QTest::qWaitFor([&] { return !view.isLoading(); }, 5000));
  }

  // A finished run with "tracked" records at steps 50 and 100 (examples 0, 1, 6, 7) and every record at
  // step 100, right where `pattern` says (at step 50 everything is wrong but the last query of an example).
  int64_t createRun(const std::string& name, const Pattern& pattern, uint64_t dataSeed = 3) {
    const RunConfig config = parse_run_config(fixtureConfig(dataSeed));
    NewRun run;
    run.name = name;
    run.task = "mqar";
    run.mixer = "attention";
    run.config_json = to_json(config).dump();
    run.status = RunStatus::Finished;
    const int64_t id = m_store->create_run(run);
    const auto split = regenerate_test_split(config);
    const std::set<int64_t> tracked{0, 1, 6, 7};
    const Pattern early = [](int64_t e, int j) { return j == (e < 6 ? 1 : 3); };
    put(id, makeRecords(split, early, 50, 1, "tracked", tracked));
    put(id, makeRecords(split, pattern, 100, 2, "tracked", tracked));
    put(id, makeRecords(split, pattern, 100, 2, "all"));
    return id;
  }

  void put(int64_t run, const QueryRecordSet& set) {
    m_store->put_query_records(
        {run, set.step, set.epoch, set.subset, static_cast<int64_t>(set.records.size()), 0},
        encode_query_records(set));
  }

  // An inspector on the database, shown, inspecting `run`.
  std::unique_ptr<InspectorView> openInspector(int64_t run) {
    auto view = makeInspector();
    view->setRuns(m_store->list_runs());
    view->resize(1200, 800);
    view->show();
    EXPECT_TRUE(view->setCurrentRun(run));
    settle(*view);
    return view;
  }

  QTemporaryDir m_dir;
  QString m_path;
  std::unique_ptr<Store> m_store;
  std::vector<TokenSegment> m_split;
  QThread m_feedThread;
  std::vector<InspectorFeed*> m_feeds;  // live on m_feedThread
};

std::vector<int64_t> range(int64_t from, int64_t to) {
  std::vector<int64_t> out;
  for (int64_t e = from; e < to; ++e) {
    out.push_back(e);
  }
  return out;
}

// ---- Example browser ----

TEST_F(InspectorViewsTest, TheBrowserListsEveryExampleWithItsCountsAndFiltersFailuresAndSlices) {
  const auto view = openInspector(createRun("a", patternA));
  ExampleBrowser* browser = view->exampleBrowser();
  ASSERT_NE(browser->records(), nullptr);
  EXPECT_EQ(browser->records()->subset, "all");
  EXPECT_EQ(browser->listedExamples(), range(0, 12));
  // Example 3 (2 queries, the first wrong) and example 9 (4 queries, the first wrong), as listed.
  ExampleListModel* model = browser->exampleModel();
  const int row3 = model->rowOfExample(3);
  EXPECT_EQ(model->index(row3, ExampleListModel::ColumnQueries).data().toLongLong(), 2);
  EXPECT_EQ(model->index(row3, ExampleListModel::ColumnCorrect).data().toLongLong(), 1);
  const int row9 = model->rowOfExample(9);
  EXPECT_EQ(model->index(row9, ExampleListModel::ColumnQueries).data().toLongLong(), 4);
  EXPECT_EQ(model->index(row9, ExampleListModel::ColumnCorrect).data().toLongLong(), 3);
  EXPECT_EQ(model->index(model->rowOfExample(8), ExampleListModel::ColumnCorrect).data().toLongLong(), 4);
  // Only the slice that tells the segments apart, short; in full on hover.
  EXPECT_EQ(model->index(row9, ExampleListModel::ColumnSlices).data().toString(), "kv 4");
  EXPECT_EQ(model->index(row9, ExampleListModel::ColumnSlices).data(Qt::ToolTipRole).toString(),
            "num_kv_pairs 4");
  EXPECT_FALSE(browser->exampleTable()->isColumnHidden(ExampleListModel::ColumnSlices));

  // Failures only: the odd examples.
  QTest::mouseClick(browser->failuresCheck(), Qt::LeftButton);
  ASSERT_TRUE(browser->failuresOnly());
  EXPECT_EQ(browser->listedExamples(), (std::vector<int64_t>{1, 3, 5, 7, 9, 11}));
  EXPECT_EQ(browser->countLabel()->text(), "6 of 12 examples");

  // The slice combo offers num_kv_pairs (the only slice that differs between segments).
  QComboBox* slices = browser->sliceCombo();
  ASSERT_EQ(slices->count(), 3);
  EXPECT_EQ(slices->itemText(1), "num_kv_pairs = 2");
  EXPECT_EQ(slices->itemText(2), "num_kv_pairs = 4");
  slices->setCurrentIndex(2);
  EXPECT_EQ(browser->listedExamples(), (std::vector<int64_t>{7, 9, 11}));
  QTest::mouseClick(browser->failuresCheck(), Qt::LeftButton);
  EXPECT_EQ(browser->listedExamples(), range(6, 12));
  ASSERT_TRUE(browser->setSliceFilter("num_kv_pairs", 2));
  EXPECT_EQ(browser->listedExamples(), range(0, 6));
  EXPECT_FALSE(browser->setSliceFilter("num_kv_pairs", 3));
  browser->clearSliceFilter();
  EXPECT_EQ(browser->listedExamples().size(), 12u);
}

TEST_F(InspectorViewsTest, TheStripShowsTheRegeneratedTokensWithKeysValuesAndQueries) {
  const auto view = openInspector(createRun("a", patternA));
  ExampleBrowser* browser = view->exampleBrowser();
  ASSERT_TRUE(browser->showExample(7));
  TokenStrip* strip = browser->tokenStrip();
  EXPECT_EQ(strip->example(), 7);
  const TestExample example = test_example(m_split, 7);
  ASSERT_EQ(strip->length(), 16);
  for (int p = 0; p < 16; ++p) {
    EXPECT_EQ(strip->token(p), example.inputs[static_cast<size_t>(p)]) << p;
  }
  // num_kv_pairs 4: the context is positions 0-7, k v k v ...; the queries are the labelled positions.
  EXPECT_EQ(strip->role(0), TokenStrip::Role::Key);
  EXPECT_EQ(strip->role(7), TokenStrip::Role::Value);
  const auto facts = mqar_query_facts(example.inputs.data(), example.labels.data(), 16, 4, 1);
  ASSERT_EQ(facts.size(), 4u);
  ASSERT_EQ(strip->queries().size(), 4u);
  for (size_t q = 0; q < facts.size(); ++q) {
    EXPECT_EQ(strip->role(facts[q].position), TokenStrip::Role::Query);
    EXPECT_EQ(strip->queries()[q].position, facts[q].position);
    EXPECT_EQ(strip->queries()[q].target, facts[q].target);
    EXPECT_EQ(strip->queries()[q].correct, patternA(7, static_cast<int>(q)));
  }
  // The first query is current and wrong: the label spells it out.
  EXPECT_EQ(strip->currentQuery(), 0);
  EXPECT_EQ(strip->queries()[0].prediction, (facts[0].target + 1) % 64);
  EXPECT_TRUE(browser->queryLabel()->text().contains("wrong")) << browser->queryLabel()->text().toStdString();
  EXPECT_TRUE(browser->exampleLabel()->text().contains("3 of 4 queries right"))
      << browser->exampleLabel()->text().toStdString();
}

TEST_F(InspectorViewsTest, KeysMoveBetweenExamplesAndQueries) {
  const auto view = openInspector(createRun("a", patternA));
  ExampleBrowser* browser = view->exampleBrowser();
  QSignalSpy examples(browser, &ExampleBrowser::currentExampleChanged);
  QSignalSpy inspectorExamples(view.get(), &InspectorView::currentExampleChanged);
  ASSERT_EQ(browser->currentExample(), 0);
  browser->exampleTable()->setFocus();

  QTest::keyClick(browser->exampleTable(), Qt::Key_Down);
  EXPECT_EQ(browser->currentExample(), 1);
  QTest::keyClick(browser->exampleTable(), Qt::Key_Down);
  EXPECT_EQ(browser->currentExample(), 2);
  QTest::keyClick(browser->exampleTable(), Qt::Key_Up);
  EXPECT_EQ(browser->currentExample(), 1);
  ASSERT_GE(examples.count(), 3);
  EXPECT_EQ(examples.last().at(0).toLongLong(), 1);
  EXPECT_EQ(inspectorExamples.count(), examples.count());

  // Left/Right move between queries, from the strip or the list alike.
  QTest::keyClick(browser->tokenStrip(), Qt::Key_Right);
  EXPECT_EQ(browser->currentQuery(), 1);
  QTest::keyClick(browser->tokenStrip(), Qt::Key_Right);  // example 1 has only 2 queries
  EXPECT_EQ(browser->currentQuery(), 1);
  QTest::keyClick(browser->exampleTable(), Qt::Key_Left);
  EXPECT_EQ(browser->currentQuery(), 0);
  // Up/Down from the strip change the example too.
  QTest::keyClick(browser->tokenStrip(), Qt::Key_Down);
  EXPECT_EQ(browser->currentExample(), 2);

  // PgDn jumps more than one example (to the last when the page is longer than the list); PgUp back.
  QTest::keyClick(browser->exampleTable(), Qt::Key_PageDown);
  EXPECT_GT(browser->currentExample(), 3);
  QTest::keyClick(browser->exampleTable(), Qt::Key_PageUp);
  EXPECT_LT(browser->currentExample(), 2);
  // With the failures only, Down goes to the next failing example.
  browser->setFailuresOnly(true);
  ASSERT_TRUE(browser->showExample(5));
  QTest::keyClick(browser->tokenStrip(), Qt::Key_Down);
  EXPECT_EQ(browser->currentExample(), 7);
  // On the last example of a segment with 4 queries, End is the last query.
  QTest::keyClick(browser->tokenStrip(), Qt::Key_End);
  EXPECT_EQ(browser->currentQuery(), 3);
  QTest::keyClick(browser->tokenStrip(), Qt::Key_Home);
  EXPECT_EQ(browser->currentQuery(), 0);
}

TEST_F(InspectorViewsTest, ClickingAQueryHighlightsItsKeyAndValue) {
  const auto view = openInspector(createRun("a", patternA));
  ExampleBrowser* browser = view->exampleBrowser();
  ASSERT_TRUE(browser->showExample(9));
  TokenStrip* strip = browser->tokenStrip();
  const TestExample example = test_example(m_split, 9);
  const auto facts = mqar_query_facts(example.inputs.data(), example.labels.data(), 16, 4, 1);
  ASSERT_EQ(facts.size(), 4u);
  QSignalSpy clicked(strip, &TokenStrip::queryClicked);

  for (const int q : {2, 0, 3}) {
    QTest::mouseClick(strip, Qt::LeftButton, Qt::NoModifier,
                      strip->cellRect(facts[static_cast<size_t>(q)].position).center());
    EXPECT_EQ(browser->currentQuery(), q);
    EXPECT_EQ(clicked.last().at(0).toInt(), q);
    ASSERT_GE(facts[static_cast<size_t>(q)].key_position, 0);
    EXPECT_EQ(strip->highlightedKey(), facts[static_cast<size_t>(q)].key_position);
    EXPECT_EQ(strip->highlightedValue(), facts[static_cast<size_t>(q)].key_position + 1);
    // The highlighted pair is the query's key and its target.
    EXPECT_EQ(strip->token(strip->highlightedKey()), facts[static_cast<size_t>(q)].key);
    EXPECT_EQ(strip->token(strip->highlightedValue()), facts[static_cast<size_t>(q)].target);
    EXPECT_TRUE(browser->queryLabel()->text().contains(
        QStringLiteral("its key at position %1").arg(facts[static_cast<size_t>(q)].key_position)));
  }
  // The query table lists the example's queries, its current row the current query; choosing a row
  // chooses the query.
  QTableWidget* table = browser->queryTable();
  ASSERT_EQ(table->rowCount(), 4);
  EXPECT_EQ(table->currentRow(), 3);
  EXPECT_EQ(table->item(3, 0)->text(), QString::number(facts[3].position));
  EXPECT_EQ(table->item(3, 6)->text(), QString::number(facts[3].gap));
  EXPECT_EQ(table->item(0, 8)->text(), "no");  // pattern A: example 9's first query is wrong
  EXPECT_EQ(table->item(1, 8)->text(), "yes");
  table->setCurrentCell(2, 0);
  EXPECT_EQ(browser->currentQuery(), 2);
  EXPECT_EQ(strip->highlightedKey(), facts[2].key_position);
  // Clicking a context key selects the query that asks for it.
  QTest::mouseClick(strip, Qt::LeftButton, Qt::NoModifier, strip->cellRect(facts[1].key_position).center());
  EXPECT_EQ(browser->currentQuery(), 1);
  // A cell that is neither changes nothing.
  QTest::mouseClick(strip, Qt::LeftButton, Qt::NoModifier,
                    strip->cellRect(facts[1].key_position + 1).center());
  EXPECT_EQ(browser->currentQuery(), 1);
}

TEST_F(InspectorViewsTest, WithoutTheSplitTheStripShowsWhatTheRecordsKnow) {
  const int64_t id = createRun("a", patternA);
  auto records = std::make_shared<const QueryRecordSet>(load_record_set(*m_store, id, 100, "all"));
  ExampleBrowser browser;
  browser.show();
  browser.setRecords(records, nullptr, "no configuration");
  ASSERT_TRUE(browser.showExample(8));
  TokenStrip* strip = browser.tokenStrip();
  const TestExample example = test_example(m_split, 8);
  const auto facts = mqar_query_facts(example.inputs.data(), example.labels.data(), 16, 4, 1);
  for (const QueryFacts& f : facts) {
    EXPECT_EQ(strip->token(f.position), f.key);
    EXPECT_EQ(strip->token(f.key_position), f.key);
    EXPECT_EQ(strip->token(f.key_position + 1), f.target);  // the value it asks for
    EXPECT_EQ(strip->role(f.key_position + 1), TokenStrip::Role::Value);
  }
  // Positions no record speaks of are unknown.
  std::set<int> known;
  for (const QueryFacts& f : facts) {
    known.insert({f.position, f.key_position, f.key_position + 1});
  }
  for (int p = 0; p < strip->length(); ++p) {
    if (!known.count(p)) {
      EXPECT_EQ(strip->token(p), TokenStrip::kUnknownToken) << p;
    }
  }
}

// ---- Recall analysis ----

TEST_F(InspectorViewsTest, TheRecallPageDrawsTheEnginesSummaryAndHeatmap) {
  const int64_t id = createRun("a", patternA);
  const auto view = openInspector(id);
  RecallAnalysisView* recall = view->recallView();
  ASSERT_EQ(recall->runs().size(), 1u);

  // Worked out from pattern A: even examples all right; odd ones 1/2 (2 queries) or 3/4 (4 queries).
  // Accuracy = (3·1 + 3·0.5 + 3·1 + 3·0.75) / 12; by num_kv_pairs: 2 → 0.75, 4 → 0.875.
  QStandardItemModel* summary = recall->summaryModel();
  ASSERT_EQ(summary->rowCount(), 1);
  EXPECT_DOUBLE_EQ(
      summary->index(0, RecallAnalysisView::SummaryAccuracy).data(RecallAnalysisView::RawRole).toDouble(),
      0.8125);
  EXPECT_EQ(
      summary->index(0, RecallAnalysisView::SummaryExamples).data(RecallAnalysisView::RawRole).toLongLong(),
      12);
  EXPECT_EQ(
      summary->index(0, RecallAnalysisView::SummaryQueries).data(RecallAnalysisView::RawRole).toLongLong(),
      36);
  EXPECT_DOUBLE_EQ(summary->index(0, RecallAnalysisView::SummaryQueryAccuracy)
                       .data(RecallAnalysisView::RawRole)
                       .toDouble(),
                   30.0 / 36.0);
  EXPECT_EQ(recall->sliceKey(), "num_kv_pairs");
  const QVector<QPointF> slice = recall->plottedPoints(RecallAnalysisView::Panel::Slice, id);
  ASSERT_EQ(slice.size(), 2);
  EXPECT_EQ(slice[0], QPointF(2, 0.75));
  EXPECT_EQ(slice[1], QPointF(4, 0.875));

  // By gap and kv index: the plotted points and the table are summarize_recall's bins.
  const RecallSummary expected = summarize_recall(load_record_set(*m_store, id, 100, "all"));
  ASSERT_FALSE(expected.by_gap.empty());
  const QVector<QPointF> gaps = recall->plottedPoints(RecallAnalysisView::Panel::Gap, id);
  ASSERT_EQ(gaps.size(), static_cast<int>(expected.by_gap.size()));
  int64_t queries = 0;
  for (size_t i = 0; i < expected.by_gap.size(); ++i) {
    EXPECT_EQ(gaps[static_cast<int>(i)].x(), expected.by_gap[i].value);
    EXPECT_DOUBLE_EQ(gaps[static_cast<int>(i)].y(), expected.by_gap[i].accuracy);
    queries += expected.by_gap[i].n;
  }
  EXPECT_EQ(queries, 36);
  const QVector<QPointF> kv = recall->plottedPoints(RecallAnalysisView::Panel::KvIndex, id);
  ASSERT_EQ(kv.size(), 4);  // pairs 0-3
  QStandardItemModel* numbers = recall->numbersModel();
  int gapRows = 0;
  for (int row = 0; row < numbers->rowCount(); ++row) {
    if (numbers->index(row, RecallAnalysisView::NumbersGroup).data().toString() != "gap") {
      continue;
    }
    const AccuracyBin& bin = expected.by_gap[static_cast<size_t>(gapRows++)];
    EXPECT_EQ(
        numbers->index(row, RecallAnalysisView::NumbersValue).data(RecallAnalysisView::RawRole).toLongLong(),
        bin.value);
    EXPECT_EQ(
        numbers->index(row, RecallAnalysisView::NumbersN).data(RecallAnalysisView::RawRole).toLongLong(),
        bin.n);
    EXPECT_DOUBLE_EQ(
        numbers->index(row, RecallAnalysisView::NumbersAccuracy).data(RecallAnalysisView::RawRole).toDouble(),
        bin.accuracy);
  }
  EXPECT_EQ(gapRows, static_cast<int>(expected.by_gap.size()));

  // The heatmap: one row per tracked evaluation (epochs 1 and 2), gap_history's cells.
  const GapHistory history = gap_history(load_tracked_history(*m_store, id));
  ASSERT_EQ(history.epochs, (std::vector<int64_t>{1, 2}));
  int cells = 0;
  for (size_t e = 0; e < history.epochs.size(); ++e) {
    for (size_t g = 0; g < history.gaps.size(); ++g) {
      const double drawn = recall->heatmapValue(history.epochs[e], history.gaps[g]);
      if (std::isnan(history.accuracy[e][g])) {
        EXPECT_TRUE(std::isnan(drawn));
      } else {
        EXPECT_DOUBLE_EQ(drawn, history.accuracy[e][g])
            << "epoch " << history.epochs[e] << " gap " << history.gaps[g];
        ++cells;
      }
    }
  }
  EXPECT_GT(cells, 2);
  // A gap between two recorded ones (the columns go in steps of the gaps' common divisor) has no cell.
  for (size_t g = 1; g < history.gaps.size(); ++g) {
    for (int64_t between = history.gaps[g - 1] + 1; between < history.gaps[g]; ++between) {
      EXPECT_TRUE(std::isnan(recall->heatmapValue(2, between))) << between;
    }
  }
  // Hovering a point of the gap plot names its run, gap, accuracy and number of queries.
  recall->customPlot()->replot();
  const AccuracyBin& first = expected.by_gap.front();
  QCPAxisRect* rect = recall->panelRect(RecallAnalysisView::Panel::Gap);
  const QPointF pixel(rect->axis(QCPAxis::atBottom)->coordToPixel(static_cast<double>(first.value)),
                      rect->axis(QCPAxis::atLeft)->coordToPixel(first.accuracy));
  const QString tip = recall->toolTipAt(pixel);
  EXPECT_TRUE(tip.contains(QStringLiteral("gap (tokens) %1: accuracy %2 (%3 queries)")
                               .arg(first.value)
                               .arg(QString::number(first.accuracy, 'f', 4))
                               .arg(first.n)))
      << tip.toStdString();
  EXPECT_NE(recall->colourScale(), nullptr);
  EXPECT_EQ(recall->heatmap()->colorScale(), recall->colourScale());
}

TEST_F(InspectorViewsTest, SelectedRunsAreOverlaid) {
  const int64_t a = createRun("a", patternA);
  const int64_t b = createRun("b", patternB);
  const auto view = openInspector(a);
  view->setSelectedRuns({a, b});
  settle(*view);
  RecallAnalysisView* recall = view->recallView();
  ASSERT_EQ(recall->runs().size(), 2u);
  EXPECT_EQ(recall->runs()[0].id, a);
  EXPECT_EQ(recall->runs()[1].id, b);
  // Run B: examples 0, 3, 6, 9 get one query wrong: (2·0.5 + 4·1)/6 = 5/6 for kv 2, (2·0.75 + 4·1)/6 for
  // kv 4.
  const QVector<QPointF> slice = recall->plottedPoints(RecallAnalysisView::Panel::Slice, b);
  ASSERT_EQ(slice.size(), 2);
  EXPECT_DOUBLE_EQ(slice[0].y(), 5.0 / 6.0);
  EXPECT_DOUBLE_EQ(slice[1].y(), 5.5 / 6.0);
  EXPECT_EQ(recall->plottedPoints(RecallAnalysisView::Panel::Slice, a)[0], QPointF(2, 0.75));
  EXPECT_EQ(recall->summaryModel()->rowCount(), 2);
  // The inspected run stays the one followed; a lone selection drops the overlay.
  EXPECT_EQ(view->currentRun(), a);
  view->setSelectedRuns({a});
  settle(*view);
  EXPECT_EQ(recall->runs().size(), 1u);
}

// ---- Compare ----

TEST_F(InspectorViewsTest, CompareCountsLinkIntoTheBrowser) {
  const int64_t a = createRun("a", patternA);
  const int64_t b = createRun("b", patternB);
  const auto view = openInspector(a);
  CompareView* compare = view->compareView();
  view->pages()->setCurrentWidget(compare);
  ASSERT_TRUE(compare->chooseRunB(b));
  settle(*view);
  ASSERT_TRUE(compare->comparison().has_value()) << compare->message().toStdString();

  // Worked out query by query from the two patterns.
  int64_t counts[4] = {0, 0, 0, 0};
  std::set<int64_t> onlyA;
  for (int64_t e = 0; e < 12; ++e) {
    for (int j = 0; j < (e < 6 ? 2 : 4); ++j) {
      const bool ra = patternA(e, j);
      const bool rb = patternB(e, j);
      ++counts[ra && rb ? 0 : ra ? 1 : rb ? 2 : 3];
      if (ra && !rb) {
        onlyA.insert(e);
      }
    }
  }
  EXPECT_EQ(compare->comparison()->both_right, counts[0]);
  EXPECT_EQ(compare->comparison()->only_a, counts[1]);
  EXPECT_EQ(compare->comparison()->only_b, counts[2]);
  EXPECT_EQ(compare->comparison()->both_wrong, counts[3]);
  EXPECT_EQ(counts[1], 4);  // example 0, 3, 6, 9's second query
  EXPECT_TRUE(compare->outcomeButton(CompareView::OnlyA)->text().contains("4 queries in 4 examples"))
      << compare->outcomeButton(CompareView::OnlyA)->text().toStdString();
  EXPECT_FALSE(compare->outcomeButton(CompareView::BothWrong)->isEnabled());  // none

  // The link: the browser, filtered to those examples.
  QTest::mouseClick(compare->outcomeButton(CompareView::OnlyA), Qt::LeftButton);
  EXPECT_EQ(view->pages()->currentWidget(), view->exampleBrowser());
  ExampleBrowser* browser = view->exampleBrowser();
  EXPECT_EQ(browser->listedExamples(), std::vector<int64_t>(onlyA.begin(), onlyA.end()));
  EXPECT_EQ(browser->listedExamples(), (std::vector<int64_t>{0, 3, 6, 9}));
  EXPECT_TRUE(browser->hasExampleFilter());
  EXPECT_TRUE(browser->exampleFilterTitle().startsWith("Only A right"));
  EXPECT_EQ(browser->currentExample(), 0);
  QTest::keyClick(browser->exampleTable(), Qt::Key_Down);
  EXPECT_EQ(browser->currentExample(), 3);
  // "Show all" leaves the filter, keeping the example.
  QTest::mouseClick(browser->clearFilterButton(), Qt::LeftButton);
  EXPECT_FALSE(browser->hasExampleFilter());
  EXPECT_EQ(browser->listedExamples().size(), 12u);
  EXPECT_EQ(browser->currentExample(), 3);

  // "Only B right": A's odd examples' first query.
  QTest::mouseClick(compare->outcomeButton(CompareView::OnlyB), Qt::LeftButton);
  EXPECT_EQ(browser->listedExamples(), (std::vector<int64_t>{1, 3, 5, 7, 9, 11}));
}

TEST_F(InspectorViewsTest, RunsOnAnotherTestSetCannotBeCompared) {
  const int64_t a = createRun("a", patternA);
  const int64_t other = createRun("other-data", patternA, /*dataSeed=*/11);
  const auto view = openInspector(a);
  CompareView* compare = view->compareView();
  ASSERT_TRUE(compare->chooseRunB(other));
  settle(*view);
  EXPECT_FALSE(compare->comparison().has_value());
  EXPECT_TRUE(compare->message().startsWith("These runs cannot be compared: compare recall"))
      << compare->message().toStdString();
  for (int o = 0; o < CompareView::OutcomeCount; ++o) {
    EXPECT_FALSE(compare->outcomeButton(static_cast<CompareView::Outcome>(o))->isEnabled());
  }
  // A run without records says so.
  NewRun empty;
  empty.name = "empty";
  empty.task = "mqar";
  empty.config_json = "{}";
  empty.status = RunStatus::Finished;
  const int64_t none = m_store->create_run(empty);
  view->setRuns(m_store->list_runs());
  settle(*view);
  ASSERT_TRUE(compare->chooseRunB(none));
  settle(*view);
  EXPECT_TRUE(compare->message().contains("no \"all\" query records")) << compare->message().toStdString();
}

// ---- The inspector ----

TEST_F(InspectorViewsTest, TheInspectorListsTheRecordedEvaluationsAndFollowsTheSelection) {
  const int64_t a = createRun("a", patternA);
  const int64_t b = createRun("b", patternB);
  auto view = makeInspector();
  QSignalSpy runs(view.get(), &InspectorView::currentRunChanged);
  QSignalSpy steps(view.get(), &InspectorView::currentStepChanged);
  view->setRuns(m_store->list_runs());
  view->show();
  EXPECT_EQ(view->currentRun(), 0);

  // Follows the run table's selection.
  view->setSelectedRuns({b});
  EXPECT_EQ(view->currentRun(), b);
  settle(*view);
  ASSERT_GE(runs.count(), 1);
  EXPECT_EQ(runs.last().at(0).toLongLong(), b);
  // The default set is what `zoolab-cli inspect` shows: the final "all" one.
  ASSERT_TRUE(view->currentSet().has_value());
  EXPECT_EQ(view->currentSet()->step, 100);
  EXPECT_EQ(view->currentSet()->subset, "all");
  ASSERT_GE(steps.count(), 1);
  EXPECT_EQ(steps.last().at(1).toLongLong(), 100);
  EXPECT_EQ(steps.last().at(2).toString(), "all");
  ASSERT_EQ(view->stepCombo()->count(), 3);  // tracked 50, tracked 100, all 100
  EXPECT_TRUE(view->stepCombo()->currentText().startsWith("step 100 · epoch 2 · all · 36 queries"))
      << view->stepCombo()->currentText().toStdString();

  // An earlier evaluation's tracked records.
  ASSERT_TRUE(view->setCurrentStep(50, "tracked"));
  settle(*view);
  EXPECT_EQ(view->currentRecords()->step, 50);
  EXPECT_EQ(view->exampleBrowser()->listedExamples(), (std::vector<int64_t>{0, 1, 6, 7}));
  EXPECT_EQ(steps.last().at(1).toLongLong(), 50);
  EXPECT_FALSE(view->setCurrentStep(75, "tracked"));

  // Not following: the selection no longer moves it.
  view->setFollowsSelection(false);
  view->setSelectedRuns({a});
  EXPECT_EQ(view->currentRun(), b);
  view->setFollowsSelection(true);
  EXPECT_EQ(view->currentRun(), a);

  // Pages added later (Patterns, Probe) come after Compare.
  auto* page = new QLabel("patterns");
  view->addPage(page, "Patterns");
  EXPECT_EQ(view->pages()->count(), 4);
  EXPECT_EQ(view->pages()->tabText(3), "Patterns");
}

TEST_F(InspectorViewsTest, ARunWithoutRecordsSaysSo) {
  NewRun run;
  run.name = "running";
  run.task = "mqar";
  run.config_json = to_json(parse_run_config(fixtureConfig())).dump();
  run.status = RunStatus::Running;
  const int64_t id = m_store->create_run(run);
  const auto view = openInspector(id);
  EXPECT_FALSE(view->currentSet().has_value());
  EXPECT_TRUE(view->statusLabel()->text().contains("no query records yet"))
      << view->statusLabel()->text().toStdString();
  EXPECT_TRUE(view->exampleBrowser()->listedExamples().empty());
  // Its records arrive (the trainer's first evaluation): the next poll shows them.
  const auto split = regenerate_test_split(parse_run_config(fixtureConfig()));
  put(id, makeRecords(split, patternA, 10, 1, "tracked", {0, 1}));
  view->setRuns(m_store->list_runs());
  settle(*view);
  ASSERT_TRUE(view->currentSet().has_value());
  EXPECT_EQ(view->currentSet()->subset, "tracked");
  EXPECT_EQ(view->exampleBrowser()->listedExamples(), (std::vector<int64_t>{0, 1}));
}

// A text run (task "text"): per-token losses, no query records.
int64_t createTextRun(Store& store, const std::string& name, RunStatus status) {
  NewRun run;
  run.name = name;
  run.task = "text";
  run.mixer = "attention";
  run.config_json = R"({"name": "text", "data": {"task": "text"}})";
  run.status = status;
  return store.create_run(run);
}

// Selecting a run without records after one with: the example shown before goes, the pages say why,
// and the tab keeps its width, so the window's splitter (the run table beside it) does not move.
TEST_F(InspectorViewsTest, ARunWithoutRecordsClearsTheExampleAndKeepsTheLayout) {
  const int64_t a = createRun("a", patternA);
  const int64_t text =
      createTextRun(*m_store, "text-tiny-attention-with-a-rather-long-name", RunStatus::Finished);
  NewRun empty;
  empty.name = "mqar-without-records";
  empty.task = "mqar";
  empty.config_json = to_json(parse_run_config(fixtureConfig())).dump();
  empty.status = RunStatus::Finished;
  const int64_t none = m_store->create_run(empty);

  QSplitter splitter(Qt::Horizontal);
  auto* table = new QTableView;
  splitter.addWidget(table);
  auto view = makeInspector();
  InspectorView* inspector = view.release();  // the splitter owns it
  splitter.addWidget(inspector);
  splitter.setChildrenCollapsible(false);
  splitter.resize(1400, 800);
  splitter.setSizes({500, 900});
  splitter.show();
  inspector->setRuns(m_store->list_runs());
  ASSERT_TRUE(inspector->setCurrentRun(a));
  settle(*inspector);
  ASSERT_TRUE(inspector->currentRecords());
  ExampleBrowser* browser = inspector->exampleBrowser();
  ASSERT_GE(browser->tokenStrip()->example(), 0);
  QCoreApplication::processEvents();
  const QList<int> sizes = splitter.sizes();

  for (const int64_t run : {text, none, a, none}) {
    ASSERT_TRUE(inspector->setCurrentRun(run));
    settle(*inspector);
    QCoreApplication::processEvents();
    EXPECT_EQ(splitter.sizes(), sizes) << "run " << run;
    if (run == a) {
      EXPECT_GE(browser->tokenStrip()->example(), 0);
      continue;
    }
    EXPECT_EQ(browser->tokenStrip()->example(), -1) << "run " << run;
    EXPECT_TRUE(browser->listedExamples().empty());
    EXPECT_EQ(browser->exampleLabel()->text(), inspector->statusLabel()->text());
  }
  EXPECT_TRUE(inspector->statusLabel()->text().contains("no query records (it was trained without"))
      << inspector->statusLabel()->text().toStdString();
}

// A text run is described as what it is, and Compare offers only runs of run A's task as run B.
TEST_F(InspectorViewsTest, ATextRunPointsToTheTextToolsAndIsNoRunB) {
  const int64_t a = createRun("a", patternA);
  const int64_t b = createRun("b", patternB);
  const int64_t text = createTextRun(*m_store, "text-run", RunStatus::Running);
  const int64_t text2 = createTextRun(*m_store, "text-run-2", RunStatus::Finished);
  const auto view = openInspector(a);
  CompareView* compare = view->compareView();
  EXPECT_TRUE(compare->chooseRunB(b));
  settle(*view);
  EXPECT_FALSE(compare->chooseRunB(text));
  EXPECT_FALSE(compare->chooseRunB(text2));

  ASSERT_TRUE(view->setCurrentRun(text));
  settle(*view);
  const QString status = view->statusLabel()->text();
  EXPECT_TRUE(status.contains("is a text run: per-query recall records are for MQAR-family runs"))
      << status.toStdString();
  EXPECT_TRUE(status.contains("Text tab")) << status.toStdString();
  EXPECT_TRUE(status.contains("zoolab-cli analyze " + QString::number(text))) << status.toStdString();
  EXPECT_FALSE(status.contains("train.inspect.records")) << status.toStdString();
  EXPECT_EQ(compare->message(), status);
  // Another text run is of its kind; no MQAR run is.
  EXPECT_FALSE(compare->chooseRunB(a));
  EXPECT_FALSE(compare->chooseRunB(b));
  EXPECT_EQ(compare->runBCombo()->findData(QVariant::fromValue<qint64>(text2)), 1);
}

// A run cancelled before its first evaluation stopped; it did not fail, nor was it trained without
// records: the status line says so in the ordinary colour.
TEST_F(InspectorViewsTest, ARunCancelledBeforeItsFirstEvaluationSaysItStopped) {
  NewRun run;
  run.name = "stopped-early";
  run.task = "mqar";
  run.config_json = to_json(parse_run_config(fixtureConfig())).dump();
  run.status = RunStatus::Cancelled;
  const int64_t id = m_store->create_run(run);
  const auto view = openInspector(id);
  const QString status = view->statusLabel()->text();
  EXPECT_TRUE(status.contains("was cancelled before an evaluation wrote query records; Resume continues it"))
      << status.toStdString();
  EXPECT_FALSE(status.contains("train.inspect.records")) << status.toStdString();
  EXPECT_NE(view->statusLabel()->palette().color(QPalette::WindowText), QColor(0xd3, 0x2f, 0x2f));
}

// ---- The feed ----

TEST_F(InspectorViewsTest, TheFeedReadsOnItsThreadAndTheViewDropsAnswersAboutAnotherDatabaseOrRun) {
  const int64_t a = createRun("a", patternA);
  auto view = makeInspector();
  QThread* readOn = nullptr;
  InspectorFeed* feed = m_feeds.back();
  QObject::connect(
      feed, &InspectorFeed::loaded, feed, [&readOn] { readOn = QThread::currentThread(); },
      Qt::DirectConnection);
  view->setRuns(m_store->list_runs());
  ASSERT_TRUE(view->setCurrentRun(a));
  // Hidden: nothing asked yet.
  QCoreApplication::processEvents();
  EXPECT_FALSE(view->isLoading());
  EXPECT_EQ(readOn, nullptr);
  view->show();
  EXPECT_TRUE(view->isLoading());
  settle(*view);
  EXPECT_EQ(readOn, &m_feedThread);
  ASSERT_NE(view->currentRecords(), nullptr);
  const auto shown = view->currentRecords();

  // An answer about another database (one the window showed before), or about another run, is dropped.
  auto other = std::make_shared<InspectorData>();
  other->databasePath = m_dir.filePath(QStringLiteral("other.sqlite"));
  other->request.runId = a;
  other->error = QStringLiteral("not this database");
  view->setData(other);
  auto stale = std::make_shared<InspectorData>();
  stale->databasePath = m_path;
  stale->request.runId = a + 100;
  stale->error = QStringLiteral("not this run");
  view->setData(stale);
  EXPECT_EQ(view->currentRecords(), shown);
  EXPECT_FALSE(view->statusLabel()->text().contains(QStringLiteral("not this")))
      << view->statusLabel()->text().toStdString();

  // A run the poller has not listed yet: the feed finds it, and names it.
  const int64_t b = createRun("b", patternB);
  ASSERT_TRUE(view->setCurrentRun(b));
  settle(*view);
  ASSERT_NE(view->currentRecords(), nullptr);
  EXPECT_EQ(view->runCombo()->currentText(), QStringLiteral("%1 · b").arg(b));
  // A run that is not in the database is dropped, and the status line says so.
  ASSERT_TRUE(view->setCurrentRun(b + 100));
  settle(*view);
  EXPECT_EQ(view->currentRun(), 0);
  EXPECT_TRUE(view->statusLabel()->text().contains(QStringLiteral("not in the database")))
      << view->statusLabel()->text().toStdString();
}

}  // namespace
}  // namespace zoolab
