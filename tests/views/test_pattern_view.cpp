// The pattern viewer draws exactly the record chosen: the colour map's cells are the record's values,
// switching layer, kind and head draws that record (and keeps the choice across new patterns), the axes
// and the hover text name the tokens with their roles, a filter is drawn as taps and their spectrum, and
// a run's stored patterns are read by PatternFeed on its own thread, by step and example with the
// example's regenerated tokens; the view drops an answer about another database.

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <QComboBox>
#include <QCoreApplication>
#include <QImage>
#include <QRegularExpression>
#include <QSet>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <nlohmann/json.hpp>

#include "engine/config/run_config.h"
#include "engine/inspect/inspection.h"
#include "engine/store/store.h"
#include "tests/views/fed_view.h"
#include "tests/views/run_fixtures.h"
#include "views/pattern_feed.h"
#include "views/pattern_view.h"
#include "views/qcustomplot_include.h"

namespace zoolab {
namespace {

PatternRecord makePattern(int64_t layer, const std::string& kind, int64_t head, int64_t rows, int64_t cols,
                          float offset) {
  PatternRecord record;
  record.layer = layer;
  record.kind = kind;
  record.head = head;
  record.rows = rows;
  record.cols = cols;
  // Distinct values everywhere, so a transposed or shifted drawing cannot pass.
  for (int64_t i = 0; i < rows * cols; ++i) {
    record.values.push_back(offset + 0.01f * static_cast<float>(i));
  }
  return record;
}

// Four tokens: key 5 with value 40, a filler, and the query of 5 at position 3.
const std::vector<int64_t> kTokens = {5, 40, 7, 5};

std::vector<QueryFacts> queries() {
  return {testing::makeQuery(/*position=*/3, /*key=*/5, /*target=*/40, /*keyPosition=*/0, /*kvIndex=*/0)};
}

// Two attention heads in layer 0, one in layer 1, layer 0's mixing matrix and layer 1's filters
// (3 channels of 8 taps: a delta, a constant and a ramp).
std::vector<PatternRecord> examplePatterns() {
  std::vector<PatternRecord> patterns = {
      makePattern(0, "attention", 0, 4, 4, 0.0f), makePattern(0, "attention", 1, 4, 4, 1.0f),
      makePattern(1, "attention", 0, 4, 4, 2.0f), makePattern(0, "mixing", -1, 4, 4, 3.0f),
      makePattern(1, "filter", -1, 3, 8, 0.0f)};
  PatternRecord& filter = patterns.back();
  for (int t = 0; t < 8; ++t) {
    filter.values[t] = t == 0 ? 1.0f : 0.0f;
    filter.values[8 + t] = 0.5f;
    filter.values[16 + t] = static_cast<float>(t);
  }
  return patterns;
}

QVector<double> asDoubles(const std::vector<float>& values) {
  QVector<double> out;
  for (const float v : values) {
    out.append(v);
  }
  return out;
}

void expectShows(const PatternView& view, const PatternRecord& record) {
  ASSERT_NE(view.shownPattern(), nullptr);
  EXPECT_EQ(view.shownPattern()->layer, record.layer);
  EXPECT_EQ(view.shownPattern()->kind, record.kind);
  EXPECT_EQ(view.shownPattern()->head, record.head);
  EXPECT_EQ(view.shownRows(), record.rows);
  EXPECT_EQ(view.shownCols(), record.cols);
  const QVector<double> shown = view.shownValues();
  const QVector<double> expected = asDoubles(record.values);
  ASSERT_EQ(shown.size(), expected.size());
  for (int i = 0; i < shown.size(); ++i) {
    EXPECT_NEAR(shown[i], expected[i], 1e-7) << "cell " << i;
  }
}

TEST(PatternView, TheColourMapHoldsTheRecordsValues) {
  const auto patterns = examplePatterns();
  PatternView view;
  view.setPatterns(patterns, kTokens, queries());
  // Layer 0's first attention head comes first.
  EXPECT_EQ(view.layers(), (QList<int>{0, 1}));
  EXPECT_EQ(view.kinds(), (QStringList{"attention", "mixing"}));
  EXPECT_EQ(view.heads(), (QList<int>{0, 1}));
  expectShows(view, patterns[0]);
  EXPECT_FALSE(view.showsFilter());
  // The colour scale spans the matrix: 0 .. 0.15.
  EXPECT_NEAR(view.colorMap()->dataRange().lower, 0.0, 1e-7);
  EXPECT_NEAR(view.colorMap()->dataRange().upper, 0.15, 1e-6);
  EXPECT_EQ(view.colorMap()->colorScale(), view.colorScale());
  EXPECT_TRUE(view.message().isEmpty()) << view.message().toStdString();
}

TEST(PatternView, SwitchingHeadLayerAndKindDrawsThatRecord) {
  const auto patterns = examplePatterns();
  PatternView view;
  view.setPatterns(patterns, kTokens, queries());
  const int draws = view.drawCount();

  ASSERT_TRUE(view.setHead(1));
  expectShows(view, patterns[1]);
  EXPECT_EQ(view.drawCount(), draws + 1);
  EXPECT_NEAR(view.colorMap()->dataRange().lower, 1.0, 1e-6);

  // Through the combo, as a user does.
  auto* kindCombo = view.findChild<QComboBox*>(QStringLiteral("kindCombo"));
  ASSERT_NE(kindCombo, nullptr);
  kindCombo->setCurrentIndex(kindCombo->findText(QStringLiteral("mixing")));
  EXPECT_EQ(view.kind(), QStringLiteral("mixing"));
  EXPECT_EQ(view.heads(), QList<int>{-1});
  expectShows(view, patterns[3]);

  auto* layerCombo = view.findChild<QComboBox*>(QStringLiteral("layerCombo"));
  ASSERT_NE(layerCombo, nullptr);
  layerCombo->setCurrentIndex(layerCombo->findData(1));
  // Layer 1 has no mixing matrix: its first kind, attention, is shown.
  EXPECT_EQ(view.layer(), 1);
  EXPECT_EQ(view.kinds(), (QStringList{"attention", "filter"}));
  expectShows(view, patterns[2]);

  EXPECT_FALSE(view.setHead(7));
  EXPECT_FALSE(view.setLayer(4));
  EXPECT_FALSE(view.setKind(QStringLiteral("decay")));
  expectShows(view, patterns[2]);
}

TEST(PatternView, NewPatternsKeepTheChoice) {
  auto patterns = examplePatterns();
  PatternView view;
  view.setPatterns(patterns, kTokens, queries());
  ASSERT_TRUE(view.setHead(1));
  // A re-run probe: the same matrices with other values.
  for (PatternRecord& record : patterns) {
    for (float& v : record.values) {
      v += 10.0f;
    }
  }
  view.setPatterns(patterns, kTokens, queries());
  EXPECT_EQ(view.head(), 1);
  expectShows(view, patterns[1]);
  // Patterns without that head fall back to the first.
  patterns.erase(patterns.begin() + 1);
  view.setPatterns(patterns, kTokens, queries());
  EXPECT_EQ(view.head(), 0);
  expectShows(view, patterns[0]);
}

TEST(PatternView, AxesAndHoverNameTokensWithTheirRoles) {
  const auto patterns = examplePatterns();
  PatternView view;
  view.setPatterns(patterns, kTokens, queries());
  EXPECT_EQ(view.tokenLabel(0), QStringLiteral("k 5"));
  EXPECT_EQ(view.tokenLabel(1), QStringLiteral("v 40"));
  EXPECT_EQ(view.tokenLabel(2), QStringLiteral("7"));
  EXPECT_EQ(view.tokenLabel(3), QStringLiteral("q 5"));

  view.resize(700, 500);
  view.show();
  QCoreApplication::processEvents();
  QCustomPlot* plot = view.heatmapPlot();
  plot->replot(QCustomPlot::rpImmediateRefresh);
  // The tick labels are the tokens.
  QCPAxis* xAxis = plot->axisRect()->axis(QCPAxis::atBottom);
  QCPAxis* yAxis = plot->axisRect()->axis(QCPAxis::atLeft);
  EXPECT_TRUE(xAxis->tickVectorLabels().contains(QStringLiteral("k 5")))
      << xAxis->tickVectorLabels().join(',').toStdString();
  EXPECT_TRUE(yAxis->tickVectorLabels().contains(QStringLiteral("q 5")));

  // The cell of row 3 (the query) and column 0 (its key), found from its pixel as the mouse would.
  const QPointF pixel(xAxis->coordToPixel(0.0), yAxis->coordToPixel(3.0));
  int row = -1;
  int col = -1;
  ASSERT_TRUE(view.cellAt(pixel, &row, &col));
  EXPECT_EQ(row, 3);
  EXPECT_EQ(col, 0);
  const QString text = view.hoverText(row, col);
  EXPECT_TRUE(text.contains(QStringLiteral("from position 3: q 5"))) << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("to position 0: k 5"))) << text.toStdString();
  // values[3 * 4 + 0] = 0.12.
  EXPECT_TRUE(text.contains(QStringLiteral("attention = 0.12"))) << text.toStdString();
  EXPECT_FALSE(view.cellAt(QPointF(1.0, 1.0), &row, &col));

  // Rows grow downwards: row 0 is above row 3.
  EXPECT_LT(yAxis->coordToPixel(0.0), yAxis->coordToPixel(3.0));
}

TEST(PatternView, FillerTokensDoNotCrowdTheAxis) {
  // An MQAR example: 4 key-value pairs, then a query region padded with 0 between its 4 queries.
  std::vector<int64_t> tokens = {11, 31, 12, 32, 13, 33, 14, 34};
  std::vector<QueryFacts> facts;
  for (int i = 0; i < 24; ++i) {
    tokens.push_back(0);
  }
  for (int q = 0; q < 4; ++q) {
    const int position = 9 + 6 * q;
    tokens[static_cast<size_t>(position)] = 11 + q;
    facts.push_back(testing::makeQuery(position, 11 + q, 31 + q, 2 * q, q));
  }
  const int length = static_cast<int>(tokens.size());
  PatternView view;
  view.setPatterns({makePattern(0, "attention", 0, length, length, 0.0f)}, tokens, facts);
  view.resize(900, 700);
  view.show();
  QCoreApplication::processEvents();
  QCustomPlot* plot = view.heatmapPlot();
  plot->replot(QCustomPlot::rpImmediateRefresh);
  QCPAxis* xAxis = plot->axisRect()->axis(QCPAxis::atBottom);
  const QStringList labels = xAxis->tickVectorLabels();
  const QString shown = labels.join(QLatin1Char(','));
  ASSERT_GE(labels.size(), 8) << shown.toStdString();
  // No tick repeats the filler token; a filler position says where it is, the others keep their token.
  EXPECT_EQ(labels.count(QStringLiteral("0")), 0) << shown.toStdString();
  EXPECT_TRUE(labels.contains(QStringLiteral("k 11"))) << shown.toStdString();
  // Ticks that fell on filler moved to the queries beside them, so every query is labelled.
  for (const char* query : {"q 11", "q 12", "q 13", "q 14"}) {
    EXPECT_TRUE(labels.contains(QString::fromLatin1(query))) << query << " in " << shown.toStdString();
  }
  EXPECT_TRUE(labels.filter(QRegularExpression(QStringLiteral("^#\\d+$"))).size() >= 2)
      << shown.toStdString();
  EXPECT_EQ(QSet<QString>(labels.begin(), labels.end()).size(), labels.size()) << shown.toStdString();
  EXPECT_TRUE(xAxis->label().contains(QStringLiteral("filler 0"))) << xAxis->label().toStdString();
  // The hover still names the token itself.
  EXPECT_TRUE(view.hoverText(10, 10).contains(QStringLiteral("position 10: 0")))
      << view.hoverText(10, 10).toStdString();

  // A sequence without a repeated filler keeps a token on every tick.
  PatternView plain;
  plain.setPatterns(examplePatterns(), kTokens, queries());
  plain.resize(700, 500);
  plain.show();
  QCoreApplication::processEvents();
  plain.heatmapPlot()->replot(QCustomPlot::rpImmediateRefresh);
  EXPECT_EQ(plain.heatmapPlot()->axisRect()->axis(QCPAxis::atBottom)->tickVectorLabels(),
            QStringList({"k 5", "v 40", "7", "q 5"}));
}

TEST(PatternView, TheColourScaleLabelFitsInThePlot) {
  const auto patterns = examplePatterns();
  PatternView view;
  view.setPatterns(patterns, kTokens, queries());
  ASSERT_TRUE(view.setKind(QStringLiteral("mixing")));
  view.resize(700, 500);
  view.show();
  QCoreApplication::processEvents();
  QCustomPlot* plot = view.heatmapPlot();
  ASSERT_FALSE(view.colorScale()->axis()->label().isEmpty());
  const QImage image = plot->toPixmap(plot->width(), plot->height()).toImage();
  const QRect bar = view.colorScale()->rect();
  // Ink right of the colour bar's tick labels is the label; none of it may touch the plot's right edge,
  // where it would be cut (the mixing label's glyphs used to be clipped there).
  const auto inkIn = [&](int x0, int x1) {
    int ink = 0;
    for (int x = x0; x < x1; ++x) {
      for (int y = bar.top(); y <= bar.bottom(); ++y) {
        ink += qGray(image.pixel(x, y)) < 160 ? 1 : 0;
      }
    }
    return ink;
  };
  EXPECT_GT(inkIn(image.width() * 9 / 10, image.width()), 0) << "no label drawn";
  EXPECT_EQ(inkIn(image.width() - 3, image.width()), 0) << "the label reaches the plot's edge";
}

TEST(PatternView, AFilterIsDrawnAsTapsAndSpectrumPerChannel) {
  const auto patterns = examplePatterns();
  PatternView view;
  view.setPatterns(patterns, kTokens, queries());
  ASSERT_TRUE(view.setLayer(1));
  ASSERT_TRUE(view.setKind(QStringLiteral("filter")));
  EXPECT_TRUE(view.showsFilter());
  EXPECT_TRUE(view.shownValues().isEmpty());
  auto* channel = view.findChild<QSpinBox*>(QStringLiteral("channelSpin"));
  ASSERT_NE(channel, nullptr);
  EXPECT_EQ(channel->maximum(), 2);

  // Channel 0 is a delta: flat magnitude 1.
  EXPECT_EQ(view.shownTaps(), (QVector<double>{1, 0, 0, 0, 0, 0, 0, 0}));
  ASSERT_EQ(view.shownSpectrum().size(), 5);
  for (const double m : view.shownSpectrum()) {
    EXPECT_NEAR(m, 1.0, 1e-9);
  }
  EXPECT_EQ(view.filterPlot()->graph(0)->dataCount(), 8);
  EXPECT_EQ(view.filterPlot()->graph(1)->dataCount(), 5);

  // Channel 1 is a constant 0.5: all of it at frequency 0.
  channel->setValue(1);
  EXPECT_EQ(view.channel(), 1);
  ASSERT_EQ(view.shownSpectrum().size(), 5);
  EXPECT_NEAR(view.shownSpectrum()[0], 4.0, 1e-9);
  for (int k = 1; k < 5; ++k) {
    EXPECT_NEAR(view.shownSpectrum()[k], 0.0, 1e-9);
  }
  view.setChannel(9);  // clamped
  EXPECT_EQ(view.channel(), 2);
  EXPECT_EQ(view.shownTaps(), (QVector<double>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(PatternView, ASingleRowIsDrawnWithItsValues) {
  PatternView view;
  view.setPatterns({makePattern(0, "decay", -1, 1, 6, 0.5f)}, kTokens, {});
  EXPECT_EQ(view.kind(), QStringLiteral("decay"));
  expectShows(view, makePattern(0, "decay", -1, 1, 6, 0.5f));
}

TEST(PatternView, AMalformedRecordIsReportedNotDrawn) {
  PatternView view;
  PatternRecord bad = makePattern(0, "attention", 0, 4, 4, 0.0f);
  bad.values.resize(5);
  view.setPatterns({bad}, kTokens, {});
  EXPECT_EQ(view.shownPattern(), nullptr);
  EXPECT_TRUE(view.message().contains(QStringLiteral("malformed"))) << view.message().toStdString();
}

// A run in a real database with patterns at two evaluations: the latest step is shown, steps and
// examples are picked from what the store holds, and the axes carry the example's regenerated tokens.
TEST(PatternView, ReadsARunsStoredPatternsByStepAndExample) {
  QTemporaryDir dir;
  ASSERT_TRUE(dir.isValid());
  const std::string path = dir.filePath(QStringLiteral("runs.sqlite")).toStdString();
  std::ifstream file(std::string(ZOOLAB_SOURCE_DIR) + "/tests/app/tiny.json");
  const nlohmann::json config = nlohmann::json::parse(file);
  const int64_t length = config["data"]["test"][0]["input_seq_len"].get<int64_t>();
  int64_t run = 0;
  {
    Store store(path);
    NewRun newRun;
    newRun.name = "patterns";
    newRun.task = "mqar";
    newRun.mixer = "attention";
    newRun.config_json = config.dump();
    run = store.create_run(newRun);
    for (const int64_t step : {10, 20}) {
      std::vector<PatternRecord> patterns;
      for (const int64_t example : {0, 1}) {
        for (const int64_t layer : {0, 1}) {
          PatternRecord record =
              makePattern(layer, "attention", 0, length, length, static_cast<float>(step + example + layer));
          record.run_id = run;
          record.step = step;
          record.example = example;
          patterns.push_back(record);
        }
      }
      store.put_patterns(patterns);
    }
  }

  testing::FedView<PatternView, PatternFeed> fed(QString::fromStdString(path), &PatternView::loadRequested);
  PatternView& view = fed.view;
  view.setRun(run);
  // Hidden: nothing read yet.
  QCoreApplication::processEvents();
  EXPECT_EQ(fed.readOn, nullptr);
  EXPECT_TRUE(view.steps().isEmpty());
  view.show();
  ASSERT_TRUE(QTest::qWaitFor([&] { return !view.steps().isEmpty(); }, 5000)) << view.message().toStdString();
  EXPECT_EQ(fed.readOn, &fed.thread);
  EXPECT_EQ(view.steps(), (QList<qint64>{10, 20}));
  EXPECT_EQ(view.step(), 20);
  EXPECT_EQ(view.examples(), (QList<qint64>{0, 1}));
  EXPECT_EQ(view.example(), 0);
  expectShows(view, makePattern(0, "attention", 0, length, length, 20.0f));

  const auto split = regenerate_test_split(parse_run_config(config));
  const TestExample example = test_example(split, 1);
  ASSERT_TRUE(view.setExample(1));
  EXPECT_EQ(view.tokens(), example.inputs);
  expectShows(view, makePattern(0, "attention", 0, length, length, 21.0f));
  // The first query is marked, and its key.
  const auto facts = mqar_query_facts(example.inputs.data(), example.labels.data(), length, 2, 1);
  ASSERT_FALSE(facts.empty());
  EXPECT_EQ(view.tokenLabel(facts[0].position), QStringLiteral("q %1").arg(facts[0].key));
  EXPECT_EQ(view.tokenLabel(facts[0].key_position), QStringLiteral("k %1").arg(facts[0].key));

  // Layer 1 stays chosen across steps.
  ASSERT_TRUE(view.setLayer(1));
  auto* stepCombo = view.findChild<QComboBox*>(QStringLiteral("stepCombo"));
  ASSERT_NE(stepCombo, nullptr);
  stepCombo->setCurrentIndex(0);
  ASSERT_TRUE(QTest::qWaitFor([&] { return view.step() == 10; }, 5000));
  EXPECT_EQ(view.example(), 1);
  expectShows(view, makePattern(1, "attention", 0, length, length, 12.0f));
  EXPECT_FALSE(view.setStep(30));

  // An answer about another database (one the window showed before) is dropped.
  auto other = std::make_shared<PatternData>();
  other->databasePath = dir.filePath(QStringLiteral("other.sqlite"));
  other->runId = run;
  other->error = QStringLiteral("not this one");
  view.setData(other);
  EXPECT_EQ(view.step(), 10);
  expectShows(view, makePattern(1, "attention", 0, length, length, 12.0f));
}

TEST(PatternView, ARunWithoutPatternsSaysSo) {
  QTemporaryDir dir;
  ASSERT_TRUE(dir.isValid());
  const std::string path = dir.filePath(QStringLiteral("runs.sqlite")).toStdString();
  int64_t run = 0;
  {
    Store store(path);
    NewRun newRun;
    newRun.name = "empty";
    newRun.task = "mqar";
    newRun.mixer = "attention";
    newRun.config_json = "{}";
    run = store.create_run(newRun);
  }
  testing::FedView<PatternView, PatternFeed> fed(QString::fromStdString(path), &PatternView::loadRequested);
  PatternView& view = fed.view;
  view.show();
  view.setRun(run);
  EXPECT_TRUE(
      QTest::qWaitFor([&] { return view.message().contains(QStringLiteral("no stored patterns")); }, 5000))
      << view.message().toStdString();
  EXPECT_TRUE(view.steps().isEmpty());
  EXPECT_EQ(view.shownPattern(), nullptr);
}

}  // namespace
}  // namespace zoolab
