// The Probe page without an engine: its sequence syntax, when it asks for a checkpoint, an example and a
// run (debounced while typing), how it shows a result, and that errors are shown inline without losing
// the text or the last result.

#include <gtest/gtest.h>

#include <vector>

#include <QCheckBox>
#include <QCoreApplication>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QTest>

#include "tests/views/run_fixtures.h"
#include "views/pattern_view.h"
#include "views/probe_view.h"
#include "views/token_strip.h"

namespace zoolab {
namespace {

constexpr int64_t kNo = -100;

TEST(ProbeSequence, ParsesTokensAndQueries) {
  // Key 3 with value 40, key 9 with value 50, fillers, then both queried.
  const auto parsed = ProbeView::parseSequence(QStringLiteral("3 40 9 50 0 9? 0 3:41"));
  ASSERT_TRUE(parsed.error.isEmpty()) << parsed.error.toStdString();
  EXPECT_EQ(parsed.tokens, (std::vector<int64_t>{3, 40, 9, 50, 0, 9, 0, 3}));
  EXPECT_EQ(parsed.labels, (std::vector<int64_t>{kNo, kNo, kNo, kNo, kNo, 50, kNo, 41}));
  // Commas and extra spaces are separators too.
  EXPECT_EQ(ProbeView::parseSequence(QStringLiteral("  1,2   3 ")).tokens, (std::vector<int64_t>{1, 2, 3}));
}

TEST(ProbeSequence, RejectsWhatIsNotASequenceNamingTheWord) {
  auto parsed = ProbeView::parseSequence(QStringLiteral("3 40 x7 3?"));
  EXPECT_TRUE(parsed.tokens.empty());
  EXPECT_TRUE(parsed.error.contains(QStringLiteral("Token 2 (\"x7\")"))) << parsed.error.toStdString();
  parsed = ProbeView::parseSequence(QStringLiteral("3 -40"));
  EXPECT_TRUE(parsed.error.contains(QStringLiteral("Token 1"))) << parsed.error.toStdString();
  parsed = ProbeView::parseSequence(QStringLiteral("3 40 5?"));
  EXPECT_TRUE(parsed.error.contains(QStringLiteral("key 5 does not occur earlier")))
      << parsed.error.toStdString();
  parsed = ProbeView::parseSequence(QStringLiteral("3 40 3:x"));
  EXPECT_TRUE(parsed.error.contains(QStringLiteral("Token 2"))) << parsed.error.toStdString();
}

TEST(ProbeSequence, FormatsWhatItParses) {
  const std::vector<int64_t> tokens = {3, 40, 9, 50, 0, 9, 0, 3};
  const std::vector<int64_t> labels = {kNo, kNo, kNo, kNo, kNo, 50, kNo, 41};
  const QString text = ProbeView::formatSequence(tokens, labels);
  EXPECT_EQ(text, QStringLiteral("3 40 9 50 0 9? 0 3:41"));
  const auto parsed = ProbeView::parseSequence(text);
  EXPECT_EQ(parsed.tokens, tokens);
  EXPECT_EQ(parsed.labels, labels);
}

ProbeModelInfo model(qint64 run) {
  ProbeModelInfo info;
  info.runId = run;
  info.epoch = 4;
  info.segments = {QStringLiteral("L=8, 2 kv pairs")};
  info.vocabSize = 64;
  info.maxLength = 8;
  return info;
}

struct Requests {
  QList<qint64> loads;
  QList<QPair<qint64, quint64>> generates;
  std::vector<std::vector<int64_t>> tokens;
  std::vector<std::vector<int64_t>> labels;
  QList<bool> mixing;

  explicit Requests(ProbeView& view) {
    QObject::connect(&view, &ProbeView::loadRequested, [this](qint64 run) { loads.append(run); });
    QObject::connect(&view, &ProbeView::generateRequested, [this](qint64 segment, quint64 seed) {
      generates.append({segment, seed});
    });
    QObject::connect(&view, &ProbeView::probeRequested,
                     [this](const std::vector<int64_t>& t, const std::vector<int64_t>& l, bool m) {
                       tokens.push_back(t);
                       labels.push_back(l);
                       mixing.append(m);
                     });
  }
};

TEST(ProbeView, AsksForTheCheckpointWhenShownThenAnExample) {
  ProbeView view;
  Requests requests(view);
  view.setRun(7);
  EXPECT_TRUE(requests.loads.isEmpty());  // hidden: nothing loaded yet
  view.show();
  QCoreApplication::processEvents();
  EXPECT_EQ(requests.loads, QList<qint64>{7});
  EXPECT_FALSE(view.generateButton()->isEnabled());

  // Loaded with an empty editor: an example of segment 0 is asked for.
  view.setModel(model(7));
  EXPECT_TRUE(view.generateButton()->isEnabled());
  EXPECT_TRUE(view.runLabelText().contains(QStringLiteral("epoch 4"))) << view.runLabelText().toStdString();
  ASSERT_EQ(requests.generates.size(), 1);
  EXPECT_EQ(requests.generates[0].first, 0);

  // The example is written and run at once.
  view.setExample({3, 40, 9, 50, 9, 0, 3, 0}, {kNo, kNo, kNo, kNo, 50, kNo, 40, kNo});
  EXPECT_EQ(view.sequenceText(), QStringLiteral("3 40 9 50 9? 0 3? 0"));
  ASSERT_EQ(requests.tokens.size(), 1u);
  EXPECT_EQ(requests.tokens[0], (std::vector<int64_t>{3, 40, 9, 50, 9, 0, 3, 0}));
  EXPECT_EQ(requests.labels[0], (std::vector<int64_t>{kNo, kNo, kNo, kNo, 50, kNo, 40, kNo}));
  EXPECT_FALSE(requests.mixing[0]);

  // An answer for another run is ignored.
  view.setModel(model(8));
  EXPECT_EQ(view.model().runId, 7);
}

TEST(ProbeView, TypingRunsOnceAfterTheDebounceAndBadTokensSaySo) {
  ProbeView view;
  Requests requests(view);
  view.show();
  view.setRun(7);
  view.setSequenceText(QStringLiteral("3 40 3?"));  // typed before the checkpoint arrives
  view.setModel(model(7));
  ASSERT_EQ(requests.tokens.size(), 1u);  // the text shown is run as soon as the model is there
  EXPECT_TRUE(requests.generates.isEmpty());

  // Three edits in quick succession: one request, after the pause.
  view.setSequenceText(QStringLiteral("3 41"));
  view.setSequenceText(QStringLiteral("3 41 3"));
  view.setSequenceText(QStringLiteral("3 41 3?"));
  EXPECT_EQ(requests.tokens.size(), 1u);
  QTRY_COMPARE(requests.tokens.size(), size_t{2});
  EXPECT_EQ(requests.labels[1], (std::vector<int64_t>{kNo, kNo, 41}));
  QTest::qWait(2 * ProbeView::kDebounceMs);
  EXPECT_EQ(requests.tokens.size(), 2u);

  // A bad token: the message under the editor, no request, the text kept.
  view.setSequenceText(QStringLiteral("3 41 zz"));
  QTRY_VERIFY(!view.errorText().isEmpty());
  EXPECT_TRUE(view.errorText().contains(QStringLiteral("\"zz\""))) << view.errorText().toStdString();
  EXPECT_TRUE(view.findChild<QLabel*>(QStringLiteral("errorLabel"))->isVisible());
  EXPECT_EQ(view.sequenceText(), QStringLiteral("3 41 zz"));
  EXPECT_EQ(requests.tokens.size(), 2u);

  // Fixed: the message goes and the sequence runs; the mixing matrix box runs it again with it.
  view.setSequenceText(QStringLiteral("3 41 3"));
  QTRY_COMPARE(requests.tokens.size(), size_t{3});
  EXPECT_TRUE(view.errorText().isEmpty());
  view.findChild<QCheckBox*>(QStringLiteral("mixingCheck"))->setChecked(true);
  ASSERT_EQ(requests.tokens.size(), 4u);
  EXPECT_TRUE(requests.mixing.back());
}

ProbeResult exampleResult() {
  ProbeResult result;
  result.tokens = {3, 40, 9, 50, 9, 0, 3, 0};
  result.labels = {kNo, kNo, kNo, kNo, 50, kNo, 40, kNo};
  result.predictions = {1, 2, 3, 4, 50, 6, 41, 8};
  result.p_prediction = {0.1f, 0.2f, 0.3f, 0.4f, 0.9f, 0.6f, 0.5f, 0.8f};
  result.queries = {
      testing::makeQuery(/*position=*/4, /*key=*/9, /*target=*/50, /*keyPosition=*/2, /*kvIndex=*/1),
      testing::makeQuery(/*position=*/6, /*key=*/3, /*target=*/40, /*keyPosition=*/0, /*kvIndex=*/0)};
  result.p_target = {0.9f, 0.25f};
  PatternRecord attention;
  attention.kind = "attention";
  attention.head = 0;
  attention.rows = 8;
  attention.cols = 8;
  attention.values.assign(64, 0.125f);
  result.patterns = {attention};
  return result;
}

TEST(ProbeView, ShowsPredictionsPerPositionAndThePatterns) {
  ProbeView view;
  view.setRun(7);
  view.setModel(model(7));
  view.setResult(exampleResult());
  ASSERT_TRUE(view.hasResult());

  // The strip: both queries, the first right, the second wrong.
  const auto& queries = view.tokenStrip()->queries();
  ASSERT_EQ(queries.size(), 2u);
  EXPECT_EQ(queries[0].prediction, 50);
  EXPECT_TRUE(queries[0].correct);
  EXPECT_EQ(queries[1].prediction, 41);
  EXPECT_FALSE(queries[1].correct);
  EXPECT_FLOAT_EQ(queries[1].p_target, 0.25f);
  EXPECT_EQ(view.summaryText(), QStringLiteral("1 of 2 queries right · mean p(target) 0.575"));

  // The table: a row per position.
  QTableWidget* table = view.predictionTable();
  ASSERT_EQ(table->rowCount(), 8);
  EXPECT_EQ(table->item(6, 1)->text(), QStringLiteral("q 3"));
  EXPECT_EQ(table->item(6, 2)->text(), QStringLiteral("40"));
  EXPECT_EQ(table->item(6, 3)->text(), QStringLiteral("41"));
  EXPECT_EQ(table->item(6, 5)->text(), QStringLiteral("0.250"));
  EXPECT_EQ(table->item(6, 6)->text(), QStringLiteral("wrong"));
  EXPECT_EQ(table->item(4, 6)->text(), QStringLiteral("right"));
  EXPECT_EQ(table->item(1, 3)->text(), QStringLiteral("2"));  // a prediction at every position
  EXPECT_EQ(table->item(1, 4)->text(), QStringLiteral("0.200"));
  EXPECT_TRUE(table->item(1, 6)->text().isEmpty());

  // The patterns.
  ASSERT_NE(view.patternView()->shownPattern(), nullptr);
  EXPECT_EQ(view.patternView()->shownValues().size(), 64);
  EXPECT_EQ(view.patternView()->tokenLabel(0), QStringLiteral("k 3"));

  // An engine error keeps the result.
  view.setRunError(QStringLiteral("token 99 at position 2 is outside the vocabulary [0, 64)"));
  EXPECT_TRUE(view.errorText().contains(QStringLiteral("outside the vocabulary")));
  EXPECT_TRUE(view.hasResult());
  EXPECT_EQ(view.predictionTable()->rowCount(), 8);
}

TEST(ProbeView, ARunWithoutACheckpointSaysSo) {
  ProbeView view;
  view.show();
  view.setRun(3);
  view.setLoadError(3, QStringLiteral("run 3 has no checkpoint"));
  EXPECT_TRUE(view.runLabelText().contains(QStringLiteral("no checkpoint")))
      << view.runLabelText().toStdString();
  EXPECT_FALSE(view.generateButton()->isEnabled());
  EXPECT_FALSE(view.hasModel());
}

}  // namespace
}  // namespace zoolab
