// The text views on hand-made per-token losses (tests/views/text_fixtures.h, whose AR hits
// and losses are known by construction): the slice table and bars show what analyze_token_losses and
// to_json compute, and those equal the fixture's own sums; the gap text shows compare_token_losses'
// share; the token view colours, marks and describes tokens as their losses and AR hits say, read back
// from its pixels.

#include <gtest/gtest.h>

#include <cmath>

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QHelpEvent>
#include <QImage>
#include <QLabel>
#include <QScrollArea>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTest>
#include <QToolTip>

#include "engine/text/ar_hits.h"
#include "tests/views/text_fixtures.h"
#include "views/text_slices_view.h"
#include "views/text_token_canvas.h"
#include "views/text_token_view.h"
#include "views/text_view.h"

namespace zoolab {
namespace {

namespace fx = text_fixture;

std::shared_ptr<const TokenLossSet> setOf(bool runB) {
  return std::make_shared<const TokenLossSet>(fx::makeSet(runB));
}

std::shared_ptr<const std::vector<std::string>> vocabulary() {
  return std::make_shared<const std::vector<std::string>>(fx::vocabulary());
}

QString percent(double fraction) {
  return QString::number(100.0 * fraction, 'f', 1) + QStringLiteral(" %");
}

// ---- Display of token bytes ----

TEST(TextTokenText, WhitespaceIsVisibleAndBrokenCharactersShowTheirBytes) {
  bool endsLine = false;
  EXPECT_EQ(displayTokenText("\n", &endsLine), QString(QChar(0x21B5)));
  EXPECT_TRUE(endsLine);
  EXPECT_EQ(displayTokenText(" cat", &endsLine), QStringLiteral(" cat"));
  EXPECT_FALSE(endsLine);
  EXPECT_EQ(displayTokenText("  "), QStringLiteral("··"));
  EXPECT_EQ(displayTokenText("a\tb"), QStringLiteral("a⇥b"));
  EXPECT_EQ(displayTokenText("\xe2\x80"), QStringLiteral("\\xe2\\x80"));
  EXPECT_EQ(displayTokenText("caf\xc3\xa9"), QStringLiteral("café"));
}

TEST(TextColourScaleTest, HigherLossIsDarkerAndTheDifferenceDiverges) {
  const TextColourScale loss{TextColourScale::Kind::Loss, 4.0};
  EXPECT_GT(loss.colour(0.5).lightness(), loss.colour(2.0).lightness());
  EXPECT_GT(loss.colour(2.0).lightness(), loss.colour(3.9).lightness());
  EXPECT_EQ(loss.colour(10.0), loss.colour(4.0));  // clamped
  EXPECT_FALSE(loss.colour(std::nan("")).isValid());
  const TextColourScale difference{TextColourScale::Kind::Difference, 1.0};
  EXPECT_GT(difference.colour(0.8).red(), difference.colour(0.8).blue());
  EXPECT_GT(difference.colour(-0.8).blue(), difference.colour(-0.8).red());
  const QColor zero = difference.colour(0.0);
  EXPECT_GT(zero.lightness(), 240);
  // The 98th percentile, rounded up to half a nat: one outlier (50 nats) does not set the scale.
  std::vector<double> losses;
  for (int i = 0; i <= 100; ++i) {
    losses.push_back(0.04 * i);  // 0 .. 4 nats
  }
  losses.push_back(50.0);
  EXPECT_DOUBLE_EQ(TextColourScale::limitFor(losses, TextColourScale::Kind::Loss), 4.0);
  EXPECT_DOUBLE_EQ(TextColourScale::limitFor({-0.3, 0.1}, TextColourScale::Kind::Difference), 0.25);
}

// ---- Slices ----

class TextSlicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_a = setOf(false);
    m_b = setOf(true);
    m_analysisA = analyze_token_losses(*m_a);
    m_analysisB = analyze_token_losses(*m_b);
    m_view.resize(1100, 600);
    m_view.setRuns({{1, QStringLiteral("attention"), Qt::blue, m_analysisA},
                    {2, QStringLiteral("baseconv"), Qt::red, m_analysisB}});
  }

  QString cell(int row, int column) const { return m_view.model()->index(row, column).data().toString(); }
  double raw(int row, int column) const {
    return m_view.model()->index(row, column).data(TextSlicesView::RawRole).toDouble();
  }

  std::shared_ptr<const TokenLossSet> m_a, m_b;
  TextAnalysis m_analysisA, m_analysisB;
  TextSlicesView m_view;
};

TEST_F(TextSlicesTest, TheAnalysisCountsTheFixturesHitsAndLosses) {
  // The fixture's own numbers, independent of the engine: the view can only be right if these are.
  EXPECT_EQ(m_analysisA.overall.tokens, 22);
  EXPECT_EQ(m_analysisA.ar_hits.tokens, 6);
  EXPECT_EQ(m_analysisA.other.tokens, 16);
  EXPECT_NEAR(m_analysisA.ar_hits.perplexity, std::exp(0.5), 1e-6);
  EXPECT_NEAR(m_analysisA.other.mean_loss, fx::meanLoss(false, false), 1e-6);
  EXPECT_NEAR(m_analysisB.ar_hits.perplexity, std::exp(2.5), 1e-6);
}

TEST_F(TextSlicesTest, TheTableShowsWhatToJsonSaysForEverySliceAndRun) {
  const nlohmann::json jsons[] = {to_json(m_analysisA), to_json(m_analysisB)};
  std::vector<nlohmann::json> slicesA{jsons[0]["overall"], jsons[0]["ar_hits"], jsons[0]["other"]};
  for (const auto& s : jsons[0]["ar_hits_by_frequency"]) {
    slicesA.push_back(s);
  }
  for (const auto& s : jsons[0]["ar_hits_by_distance"]) {
    slicesA.push_back(s);
  }
  ASSERT_EQ(m_view.model()->rowCount(), static_cast<int>(slicesA.size()));
  EXPECT_EQ(m_view.model()->columnCount(), 1 + 2 * TextSlicesView::RunColumnCount);
  int checked = 0;
  for (int run = 0; run < 2; ++run) {
    for (const char* group : {"overall", "ar_hits", "other"}) {
      const nlohmann::json& s = jsons[run][group];
      const int row = m_view.row(s["name"].get<std::string>());
      ASSERT_GE(row, 0) << s["name"];
      EXPECT_EQ(cell(row, 0), TextSlicesView::sliceLabel(s["name"].get<std::string>()));
      EXPECT_EQ(cell(row, TextSlicesView::column(run, TextSlicesView::Tokens)),
                QString::number(s["tokens"].get<int64_t>()));
      EXPECT_EQ(cell(row, TextSlicesView::column(run, TextSlicesView::Share)),
                percent(s["share"].get<double>()));
      EXPECT_EQ(cell(row, TextSlicesView::column(run, TextSlicesView::MeanLoss)),
                QString::number(s["mean_loss"].get<double>(), 'f', 4));
      EXPECT_EQ(cell(row, TextSlicesView::column(run, TextSlicesView::Perplexity)),
                QString::number(s["perplexity"].get<double>(), 'f', 2));
      EXPECT_DOUBLE_EQ(raw(row, TextSlicesView::column(run, TextSlicesView::Perplexity)),
                       s["perplexity"].get<double>());
      ++checked;
    }
    for (const char* group : {"ar_hits_by_frequency", "ar_hits_by_distance"}) {
      for (const auto& s : jsons[run][group]) {
        const int row = m_view.row(s["name"].get<std::string>());
        ASSERT_GE(row, 0) << s["name"];
        EXPECT_EQ(cell(row, TextSlicesView::column(run, TextSlicesView::Tokens)),
                  QString::number(s["tokens"].get<int64_t>()));
        if (s["tokens"].get<int64_t>() > 0) {
          EXPECT_EQ(cell(row, TextSlicesView::column(run, TextSlicesView::MeanLoss)),
                    QString::number(s["mean_loss"].get<double>(), 'f', 4));
        } else {
          EXPECT_EQ(cell(row, TextSlicesView::column(run, TextSlicesView::MeanLoss)), QStringLiteral("—"));
        }
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 2 * static_cast<int>(slicesA.size()));
  // The hand-made numbers in the cells: 6 AR hits of 22 tokens (27.3 %), one of them rare (count 900).
  const int hitsRow = m_view.row("ar_hits");
  EXPECT_EQ(cell(hitsRow, TextSlicesView::column(0, TextSlicesView::Tokens)), QStringLiteral("6"));
  EXPECT_EQ(cell(hitsRow, TextSlicesView::column(0, TextSlicesView::Share)), QStringLiteral("27.3 %"));
  EXPECT_EQ(cell(hitsRow, TextSlicesView::column(1, TextSlicesView::MeanLoss)), QStringLiteral("2.5000"));
  EXPECT_EQ(cell(m_view.row("ar_hits/train_count<1000"), TextSlicesView::column(0, TextSlicesView::Tokens)),
            QStringLiteral("1"));
  EXPECT_EQ(cell(m_view.row("ar_hits/distance 1-15"), TextSlicesView::column(0, TextSlicesView::Tokens)),
            QStringLiteral("6"));
}

TEST_F(TextSlicesTest, TheBarsArePerplexityOverallArHitsAndOtherPerRun) {
  EXPECT_NEAR(m_view.barValue(1, TextSlicesView::Overall), std::exp(fx::meanLoss(false, false, true)), 1e-6);
  EXPECT_NEAR(m_view.barValue(1, TextSlicesView::ArHits), std::exp(0.5), 1e-6);
  EXPECT_NEAR(m_view.barValue(1, TextSlicesView::Other), std::exp(fx::meanLoss(false, false)), 1e-6);
  EXPECT_NEAR(m_view.barValue(2, TextSlicesView::ArHits), std::exp(2.5), 1e-6);
  EXPECT_NEAR(m_view.barValue(2, TextSlicesView::Other), std::exp(fx::meanLoss(true, false)), 1e-6);
  EXPECT_TRUE(std::isnan(m_view.barValue(3, TextSlicesView::Overall)));  // no such run
}

TEST_F(TextSlicesTest, TheGapTextGivesTheShareOfTheLossDifferenceOnArHits) {
  const GapDecomposition gap = compare_token_losses(*m_a, *m_b);
  // By hand: A − B is −2 on each of the 6 hits and −0.1 on each of the 16 others.
  const double expectedShare = 12.0 / 13.6;
  EXPECT_NEAR(gap.gap_share_ar_hits, expectedShare, 1e-5);
  m_view.setGap(gap, QStringLiteral("attention"), QStringLiteral("baseconv"));
  const QString text = m_view.gapLabel()->text();
  EXPECT_TRUE(text.contains(QStringLiteral("AR hits carry %1").arg(percent(expectedShare))))
      << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("88.2 %"))) << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("27.3 % of the tokens"))) << text.toStdString();
  EXPECT_TRUE(text.contains(QString::number(gap.perplexity_gap, 'f', 2))) << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("−13.6")) || text.contains(QStringLiteral("-13.6")))
      << text.toStdString();
  // The one rare AR hit (training count 900): 2 of the 13.6 nats, 1 of 22 tokens.
  EXPECT_TRUE(
      text.contains(QStringLiteral("Rare AR hits (bigram seen fewer than 1000 times in training) carry "
                                   "%1 while being %2")
                        .arg(percent(2.0 / 13.6), percent(1.0 / 22))))
      << text.toStdString();
  m_view.clearGap(QStringLiteral("no B"));
  EXPECT_FALSE(m_view.gap().has_value());
  EXPECT_EQ(m_view.gapLabel()->text(), QStringLiteral("no B"));
}

// ---- Tokens ----

class TextTokenViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_view.resize(1000, 600);
    m_view.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&m_view));
  }

  void showA() { m_view.setRuns({1, QStringLiteral("attention"), setOf(false), vocabulary()}); }
  void showAB() {
    m_view.setRuns({1, QStringLiteral("attention"), setOf(false), vocabulary()},
                   TextTokenView::Run{2, QStringLiteral("baseconv"), setOf(true), vocabulary()});
  }

  // The pixel at cell `position`'s top left corner (inside its box, off the text) and on its bottom line
  // (where AR hits are underlined, below the box).
  static QColor fillPixel(TextTokenCanvas* canvas, int position) {
    const QImage image = canvas->grab().toImage();
    const QRect rect = canvas->cellRect(position);
    return image.pixelColor(rect.left() + 1, rect.top() + 1);
  }
  static QColor bottomPixel(TextTokenCanvas* canvas, int position) {
    const QImage image = canvas->grab().toImage();
    const QRect rect = canvas->cellRect(position);
    return image.pixelColor(rect.left() + 1, rect.bottom());
  }

  TextTokenView m_view;
};

TEST_F(TextTokenViewTest, TokensAreSpelledColouredByLossAndArHitsAreUnderlined) {
  showA();
  TextTokenCanvas* canvas = m_view.canvasA();
  ASSERT_EQ(canvas->cells().size(), static_cast<size_t>(fx::kLength));
  EXPECT_EQ(canvas->cells()[1].text, QStringLiteral(" cat"));
  EXPECT_EQ(canvas->cells()[10].text, QStringLiteral("··"));
  EXPECT_EQ(canvas->cells()[11].text, QStringLiteral("\\xe2\\x80"));
  for (int p = 0; p < fx::kLength; ++p) {
    EXPECT_EQ(canvas->cells()[static_cast<size_t>(p)].arHit, fx::isHit(0, p)) << p;
    EXPECT_EQ(m_view.arHits()[static_cast<size_t>(p)].hit, fx::isHit(0, p)) << p;
  }
  EXPECT_EQ(m_view.arHits()[8].distance, 6);
  // Position 4 (AR hit, loss 0.5) is paler than position 5 (loss 3.5), as drawn.
  const QColor hit = fillPixel(canvas, 4);
  const QColor other = fillPixel(canvas, 5);
  EXPECT_EQ(hit, canvas->scale().colour(0.5));
  EXPECT_EQ(other, canvas->scale().colour(fx::lossA(0, 5)));
  EXPECT_GT(hit.lightness(), other.lightness() + 20);
  // Later non-hits lose more (3.0 + 0.1 · position): darker still.
  EXPECT_GT(fillPixel(canvas, 5).lightness(), fillPixel(canvas, 11).lightness());
  // The underline: on the AR hits' bottom line only.
  EXPECT_EQ(bottomPixel(canvas, 4), TextTokenCanvas::arHitColour());
  EXPECT_EQ(bottomPixel(canvas, 8), TextTokenCanvas::arHitColour());
  EXPECT_EQ(bottomPixel(canvas, 5), QColor(Qt::white));
  // Position 0 has no prediction: no colour.
  EXPECT_FALSE(canvas->fillColour(0).isValid());
  EXPECT_EQ(fillPixel(canvas, 0), QColor(Qt::white));
}

TEST_F(TextTokenViewTest, TheTooltipTellsEveryNumberOfAToken) {
  showA();
  // The tooltip is formatted when asked (on hover), from the sequence shown.
  const QString hit = m_view.canvasA()->toolTipAt(8);
  EXPECT_TRUE(hit.contains(QStringLiteral("token 3 · position 8"))) << hit.toStdString();
  EXPECT_TRUE(hit.contains(QStringLiteral("“ sat”"))) << hit.toStdString();
  EXPECT_TRUE(hit.contains(QStringLiteral("loss 0.500 nats"))) << hit.toStdString();
  EXPECT_TRUE(hit.contains(QStringLiteral("e^loss %1").arg(std::exp(0.5), 0, 'f', 2))) << hit.toStdString();
  // One token's factor of the perplexity over the 22 predicted tokens.
  EXPECT_TRUE(hit.contains(QStringLiteral("×%1").arg(std::exp(0.5 / 22), 0, 'f', 6))) << hit.toStdString();
  EXPECT_TRUE(hit.contains(QStringLiteral("AR hit: yes · distance 6"))) << hit.toStdString();
  EXPECT_TRUE(hit.contains(QStringLiteral("training count 2400"))) << hit.toStdString();
  const QString other = m_view.describe(5);
  EXPECT_TRUE(other.contains(QStringLiteral("AR hit: no"))) << other.toStdString();
  EXPECT_TRUE(other.contains(QStringLiteral("loss 3.500 nats"))) << other.toStdString();
  EXPECT_TRUE(other.contains(QStringLiteral("training count 1500"))) << other.toStdString();
  // Clicking a token puts the same sentence under the text and frames the bigram it repeats.
  QTest::mouseClick(m_view.canvasA(), Qt::LeftButton, {}, m_view.canvasA()->cellRect(8).center());
  EXPECT_EQ(m_view.canvasA()->current(), 8);
  EXPECT_EQ(m_view.infoLabel()->text(), hit);
  EXPECT_EQ(m_view.canvasA()->linked(), (std::vector<int>{1, 2}));
}

// A hover asks for the hovered token's tooltip then, and only then: a rebuild (a new sequence, mode or
// filter) formats none, and what the hover shows is the view's sentence for the sequence shown now.
TEST_F(TextTokenViewTest, TooltipsAreFormattedOnHoverOnly) {
  TextTokenCanvas canvas;
  std::vector<TextTokenCanvas::Cell> cells(3);
  for (int i = 0; i < 3; ++i) {
    cells[static_cast<size_t>(i)].text = QStringLiteral("token%1").arg(i);
  }
  canvas.setCells(std::move(cells), TextColourScale{});
  canvas.resize(400, 100);
  canvas.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&canvas));
  std::vector<int> asked;
  canvas.setToolTipSource([&](int index) {
    asked.push_back(index);
    return index == 1 ? QStringLiteral("the second") : QString();
  });
  EXPECT_TRUE(asked.empty());
  const QPoint at = canvas.cellRect(1).center();
  QHelpEvent help(QEvent::ToolTip, at, canvas.mapToGlobal(at));
  QApplication::sendEvent(&canvas, &help);
  EXPECT_EQ(asked, (std::vector<int>{1}));
  EXPECT_EQ(QToolTip::text(), QStringLiteral("the second"));
  EXPECT_EQ(canvas.toolTipAt(7), QString());  // no such cell: the source is not asked
  EXPECT_EQ(asked.size(), 1u);
  QToolTip::hideText();

  // The token view's canvases ask the view: the hovered token of the sequence now shown.
  showA();
  m_view.setSequence(1);
  TextTokenCanvas* shown = m_view.canvasA();
  const QPoint token = shown->cellRect(6).center();
  QHelpEvent hover(QEvent::ToolTip, token, shown->mapToGlobal(token));
  QApplication::sendEvent(shown, &hover);
  EXPECT_EQ(QToolTip::text(), m_view.describe(6));
  EXPECT_TRUE(QToolTip::text().contains(QStringLiteral("position 6 of sequence 2")))
      << QToolTip::text().toStdString();
  QToolTip::hideText();
}

TEST_F(TextTokenViewTest, DifferenceModeColoursByLossAMinusLossB) {
  showAB();
  ASSERT_TRUE(m_view.hasRunB());
  EXPECT_EQ(m_view.mode(), TextTokenView::Mode::Difference);  // a second run: the difference first
  EXPECT_EQ(m_view.canvasA()->scale().kind, TextColourScale::Kind::Difference);
  for (int p = 1; p < fx::kLength; ++p) {
    EXPECT_NEAR(m_view.valueAt(p), static_cast<double>(fx::lossA(0, p)) - fx::lossB(0, p), 1e-6) << p;
  }
  // A is 2 nats better on the AR hits (blue), 0.1 better elsewhere (almost white).
  const QColor hit = fillPixel(m_view.canvasA(), 4);
  const QColor other = fillPixel(m_view.canvasA(), 5);
  EXPECT_GT(hit.blue(), hit.red() + 60);
  EXPECT_GT(other.lightness(), hit.lightness());
  EXPECT_TRUE(m_view.describe(4).contains(QStringLiteral("A − B -2.000")))
      << m_view.describe(4).toStdString();
  EXPECT_FALSE(m_view.canvasB()->isVisible());

  // Side by side: B's own losses on the same scale as A's.
  m_view.setMode(TextTokenView::Mode::SideBySide);
  EXPECT_TRUE(m_view.canvasB()->isVisible());
  EXPECT_EQ(m_view.canvasA()->scale().kind, TextColourScale::Kind::Loss);
  EXPECT_NEAR(m_view.canvasB()->cells()[4].value, 2.5, 1e-6);
  EXPECT_EQ(m_view.canvasB()->scale().limit, m_view.canvasA()->scale().limit);
  EXPECT_LT(fillPixel(m_view.canvasB(), 4).lightness(), fillPixel(m_view.canvasA(), 4).lightness());
  // The current token follows in both.
  m_view.canvasA()->setCurrent(7);
  EXPECT_EQ(m_view.canvasB()->current(), 7);
}

TEST_F(TextTokenViewTest, RunBOnOtherTokensIsRefused) {
  auto other = fx::makeSet(true);
  other.tokens[3] = 7;
  m_view.setRuns(
      {1, QStringLiteral("attention"), setOf(false), vocabulary()},
      TextTokenView::Run{2, QStringLiteral("other"), std::make_shared<const TokenLossSet>(other), {}});
  EXPECT_FALSE(m_view.hasRunB());
  EXPECT_EQ(m_view.mode(), TextTokenView::Mode::Loss);
  EXPECT_TRUE(m_view.message().contains(QStringLiteral("other tokens"))) << m_view.message().toStdString();
}

TEST_F(TextTokenViewTest, SequencesAreBrowsedByKeysAndArHitsOnlyDimsTheRest) {
  showA();
  EXPECT_EQ(m_view.sequenceCount(), 2);
  m_view.canvasA()->setFocus();
  QTest::keyClick(m_view.canvasA(), Qt::Key_PageDown);
  EXPECT_EQ(m_view.sequence(), 1);
  EXPECT_EQ(m_view.sequenceSpin()->value(), 2);
  EXPECT_EQ(m_view.canvasA()->cells()[6].text, QString(QChar(0x21B5)));  // token 0 is a newline
  EXPECT_TRUE(m_view.canvasA()->cells()[6].lineBreak);
  // The token after the newline starts a line.
  EXPECT_GT(m_view.canvasA()->cellRect(7).top(), m_view.canvasA()->cellRect(6).top());
  EXPECT_TRUE(m_view.sequenceLabel()->text().contains(QStringLiteral("3 AR hits")))
      << m_view.sequenceLabel()->text().toStdString();
  QTest::keyClick(m_view.canvasA(), Qt::Key_PageUp);
  EXPECT_EQ(m_view.sequence(), 0);
  EXPECT_FALSE(m_view.setSequence(2));

  m_view.setArHitsOnly(true);
  for (int p = 0; p < fx::kLength; ++p) {
    EXPECT_EQ(m_view.canvasA()->cells()[static_cast<size_t>(p)].dimmed, !fx::isHit(0, p)) << p;
  }
  EXPECT_FALSE(m_view.canvasA()->fillColour(5).isValid());
  EXPECT_EQ(fillPixel(m_view.canvasA(), 5), QColor(Qt::white));
  // Right steps from hit to hit: 4, 7, 8.
  QTest::keyClick(m_view.canvasA(), Qt::Key_Right);
  EXPECT_EQ(m_view.canvasA()->current(), 4);
  QTest::keyClick(m_view.canvasA(), Qt::Key_Right);
  EXPECT_EQ(m_view.canvasA()->current(), 7);
  QTest::keyClick(m_view.canvasA(), Qt::Key_Right);
  EXPECT_EQ(m_view.canvasA()->current(), 8);
  QTest::keyClick(m_view.canvasA(), Qt::Key_Right);
  EXPECT_EQ(m_view.canvasA()->current(), 8);
}

TEST(TextViewPage, ListsTextRunsAndShowsAAgainstB) {
  TextView view;
  view.resize(1200, 700);
  view.setCandidates(
      {{1, QStringLiteral("1 · attention"), Qt::blue}, {2, QStringLiteral("2 · baseconv"), Qt::red}});
  EXPECT_EQ(view.runCombo()->count(), 3);  // (none) and both
  view.setChosenRuns(1, 2);
  EXPECT_EQ(view.vsCombo()->count(), 2);  // (none) and run 2: A is not its own B
  const auto a = setOf(false);
  const auto b = setOf(true);
  view.setRuns({{1, QStringLiteral("1 · attention"), Qt::blue, a, vocabulary(), analyze_token_losses(*a), {}},
                {2, QStringLiteral("2 · baseconv"), Qt::red, b, vocabulary(), analyze_token_losses(*b), {}}});
  EXPECT_EQ(view.slicesView()->runs().size(), 2u);
  ASSERT_TRUE(view.slicesView()->gap().has_value());
  EXPECT_NEAR(view.slicesView()->gap()->gap_share_ar_hits, 12.0 / 13.6, 1e-5);
  EXPECT_TRUE(view.tokenView()->hasRunB());
  EXPECT_EQ(view.tokenView()->runA().id, 1);

  // The user picks B = none: no gap, A alone.
  int chosen = -1;
  QObject::connect(&view, &TextView::runsChosen,
                   [&](qint64, qint64 runB) { chosen = static_cast<int>(runB); });
  view.vsCombo()->setCurrentIndex(0);
  Q_EMIT view.vsCombo()->activated(0);
  EXPECT_EQ(chosen, 0);
  EXPECT_EQ(view.runB(), 0);
  view.setRuns(std::vector<TextView::Run>(view.runs()));  // the feed's answer: the same data
  EXPECT_FALSE(view.slicesView()->gap().has_value());
  EXPECT_FALSE(view.tokenView()->hasRunB());
}

// A run without losses is drawn as its note: a new note alone (B ends before its first validation, A's
// losses and every pointer unchanged) is redrawn.
TEST(TextViewPage, ANewNoteAloneIsShown) {
  TextView view;
  view.resize(1200, 700);
  view.setCandidates(
      {{1, QStringLiteral("1 · attention"), Qt::blue}, {2, QStringLiteral("2 · baseconv"), Qt::red}});
  view.setChosenRuns(1, 2);
  const auto a = setOf(false);
  const auto vocab = vocabulary();
  const TextAnalysis analysis = analyze_token_losses(*a);
  auto runs = [&](const QString& noteB) {
    return std::vector<TextView::Run>{
        {1, QStringLiteral("1 · attention"), Qt::blue, a, vocab, analysis, {}},
        {2, QStringLiteral("2 · baseconv"), Qt::red, nullptr, nullptr, {}, noteB}};
  };
  view.setRuns(runs(QStringLiteral("Run 2 has no per-token losses yet.")));
  EXPECT_EQ(view.slicesView()->gapLabel()->text(), QStringLiteral("Run 2 has no per-token losses yet."));
  view.setRuns(runs(QStringLiteral("Run 2 ended before its first validation.")));
  EXPECT_EQ(view.slicesView()->gapLabel()->text(),
            QStringLiteral("Run 2 ended before its first validation."));
  EXPECT_EQ(view.slicesView()->runs().size(), 1u);

  // The same for A: its note is what the slices and the tokens say.
  view.setChosenRuns(2, 0);
  view.setRuns({{2, QStringLiteral("2 · baseconv"), Qt::red, nullptr, nullptr, {}, QStringLiteral("first")}});
  EXPECT_EQ(view.tokenView()->message(), QStringLiteral("first"));
  view.setRuns(
      {{2, QStringLiteral("2 · baseconv"), Qt::red, nullptr, nullptr, {}, QStringLiteral("second")}});
  EXPECT_EQ(view.tokenView()->message(), QStringLiteral("second"));
  EXPECT_EQ(view.slicesView()->messageLabel()->text(), QStringLiteral("second"));
}

}  // namespace
}  // namespace zoolab
