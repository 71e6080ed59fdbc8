// The window's Text tab on a database holding two text runs with hand-made per-token losses
// (tests/views/text_fixtures.h, stored with Store::put_token_losses as a trainer would) and a shards
// folder whose tokenizer.json spells the fixture's tokens: the tab lists the text runs only, follows the
// run table's selection (A and B), shows their slices, the gap share that `zoolab-cli analyze --vs
// --json` prints, the decoded tokens, and rereads a run when it validates again.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <memory>

#include <QComboBox>
#include <QDir>
#include <QItemSelectionModel>
#include <QLabel>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include "app/gui/main_window.h"
#include "engine/store/store.h"
#include "engine/text/ar_hits.h"
#include "engine/text/byte_level_bpe.h"
#include "tests/support/gui_window.h"
#include "tests/views/text_fixtures.h"
#include "views/run_table_model.h"
#include "views/run_table_view.h"
#include "views/text_feed.h"
#include "views/text_slices_view.h"
#include "views/text_token_view.h"
#include "views/text_view.h"

namespace zoolab {
namespace {

namespace fx = text_fixture;

class TextTabTest : public GuiWindowTest {
 protected:
  void SetUp() override {
    GuiWindowTest::SetUp();
    m_shards = m_dir.filePath(QStringLiteral("shards")).toStdString();
    writeTokenizer();
  }

  // A byte-level vocabulary (the 256 bytes, then the fixture's longer tokens) in <shards>/tokenizer.json,
  // and the fixture's token ids mapped onto it.
  void writeTokenizer() {
    std::vector<std::string> vocab;
    for (int b = 0; b < 256; ++b) {
      vocab.push_back(bytes_to_gpt2_alphabet(std::string(1, static_cast<char>(b))));
    }
    for (const std::string& token : fx::vocabulary()) {
      if (token.size() == 1) {
        m_ids.push_back(static_cast<unsigned char>(token[0]));
      } else {
        m_ids.push_back(static_cast<int32_t>(vocab.size()));
        vocab.push_back(bytes_to_gpt2_alphabet(token));
      }
    }
    std::filesystem::create_directories(m_shards);
    BpeTokenizer(vocab, {}).save_json(m_shards + "/tokenizer.json");
  }

  TokenLossSet set(bool runB, int64_t step = 100) const {
    TokenLossSet losses = fx::makeSet(runB, step, m_shards);
    for (int32_t& token : losses.tokens) {
      token = m_ids[static_cast<size_t>(token)];
    }
    return losses;
  }

  int64_t createRun(Store& store, const std::string& name, const std::string& task) {
    NewRun run;
    run.name = name;
    run.task = task;
    run.mixer = "attention";
    run.config_json = nlohmann::json{{"name", name}, {"data", {{"task", task}}}}.dump();
    run.status = RunStatus::Finished;
    return store.create_run(run);
  }

  // Selects exactly `ids` in the run table (as a ctrl-click would).
  static void selectRuns(MainWindow* window, const QList<qint64>& ids) {
    QTableView* table = window->runView()->tableView();
    QAbstractItemModel* model = table->model();
    QItemSelection selection;
    for (int row = 0; row < model->rowCount(); ++row) {
      const QModelIndex index = model->index(row, RunTableModel::ColumnId);
      if (ids.contains(index.data(Qt::DisplayRole).toLongLong())) {
        selection.select(index, index);
      }
    }
    table->selectionModel()->select(selection,
                                    QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
  }

  // Saves `widget` as NAME.png in $ZOOLAB_TEST_SCREENSHOTS, when set (to look at the tab by eye).
  static void screenshot(QWidget* widget, const QString& name) {
    const QString dir = qEnvironmentVariable("ZOOLAB_TEST_SCREENSHOTS");
    if (!dir.isEmpty()) {
      QTest::qWait(300);  // the plots replot queued
      widget->grab().save(QDir(dir).filePath(name + QStringLiteral(".png")));
    }
  }

  std::string m_shards;
  std::vector<int32_t> m_ids;  // fixture token id → tokenizer id
};

TEST_F(TextTabTest, ShowsTheSelectedTextRunsSlicesGapAndTokensAndFollowsNewValidations) {
  int64_t a = 0;
  int64_t b = 0;
  {
    Store store(m_db.toStdString());
    createRun(store, "mqar-run", "mqar");
    a = createRun(store, "attention", "text");
    b = createRun(store, "baseconv", "text");
    store.put_token_losses(a, 100, 1, encode_token_losses(set(false)));
    store.put_token_losses(b, 100, 1, encode_token_losses(set(true)));
  }
  auto window = openWindow(3);
  TextView* text = window->textView();
  ASSERT_NE(text, nullptr);
  window->tabs()->setCurrentWidget(text);
  EXPECT_EQ(window->tabs()->tabText(MainWindow::TextTab), QStringLiteral("&Text"));
  // The pickers offer the text runs only.
  ASSERT_EQ(text->runCombo()->count(), 3);
  EXPECT_GE(text->runCombo()->findData(QVariant::fromValue<qint64>(a)), 0);
  EXPECT_GE(text->runCombo()->findData(QVariant::fromValue<qint64>(b)), 0);

  selectRuns(window.get(), {a, b});
  const QList<qint64> selected = window->runView()->selectedRunIds();
  ASSERT_EQ(selected.size(), 2);
  const qint64 runA = selected[0];
  const qint64 runB = selected[1];
  EXPECT_EQ(text->runA(), runA);
  EXPECT_EQ(text->runB(), runB);
  EXPECT_EQ(text->runCombo()->currentData().toLongLong(), runA);
  EXPECT_EQ(text->vsCombo()->currentData().toLongLong(), runB);

  // ---- Slices: both runs, the numbers of analyze_token_losses on the stored sets ----
  TextSlicesView* slices = text->slicesView();
  // The feed answers from its thread.
  ASSERT_TRUE(QTest::qWaitFor([&] { return slices->runs().size() == 2u; }, 5000))
      << text->statusLabel()->text().toStdString();
  EXPECT_EQ(slices->runs()[0].id, runA);
  const bool aIsAttention = runA == a;
  const QStandardItemModel* model = slices->model();
  const int hits = slices->row("ar_hits");
  ASSERT_GE(hits, 0);
  EXPECT_EQ(model->index(hits, TextSlicesView::column(0, TextSlicesView::Tokens)).data().toString(), "6");
  EXPECT_EQ(model->index(hits, TextSlicesView::column(0, TextSlicesView::Share)).data().toString(), "27.3 %");
  EXPECT_EQ(model->index(hits, TextSlicesView::column(0, TextSlicesView::MeanLoss)).data().toString(),
            aIsAttention ? "0.5000" : "2.5000");
  EXPECT_NEAR(slices->barValue(runB, TextSlicesView::ArHits), std::exp(aIsAttention ? 2.5 : 0.5), 1e-6);

  // ---- The gap: what `zoolab-cli analyze A --vs B --json` prints ----
  const nlohmann::json json =
      nlohmann::json::parse(cli({QStringLiteral("analyze"), QString::number(runA), QStringLiteral("--vs"),
                                 QString::number(runB), QStringLiteral("--json")})
                                .toStdString());
  const double share = json.at("gap_share_ar_hits").get<double>();
  EXPECT_NEAR(share, 12.0 / 13.6, 1e-5);  // by hand: −2 on each of 6 hits, −0.1 on 16 others (or +)
  ASSERT_TRUE(slices->gap().has_value());
  EXPECT_NEAR(slices->gap()->gap_share_ar_hits, share, 1e-9);
  EXPECT_EQ(json.at("ar_hits").at("tokens").get<int64_t>(), 6);
  const QString gapText = slices->gapLabel()->text();
  EXPECT_TRUE(gapText.contains(QStringLiteral("AR hits carry %1 %").arg(100.0 * share, 0, 'f', 1)))
      << gapText.toStdString();

  // ---- Tokens: decoded by the shards' tokenizer.json, B beside A ----
  TextTokenView* tokens = text->tokenView();
  text->pages()->setCurrentWidget(tokens);
  ASSERT_EQ(tokens->canvasA()->cells().size(), static_cast<size_t>(fx::kLength));
  EXPECT_EQ(tokens->canvasA()->cells()[0].text, QStringLiteral("The"));
  EXPECT_EQ(tokens->canvasA()->cells()[1].text, QStringLiteral(" cat"));
  EXPECT_EQ(tokens->canvasA()->cells()[11].text, QStringLiteral("\\xe2\\x80"));
  EXPECT_TRUE(tokens->canvasA()->cells()[4].arHit);
  EXPECT_TRUE(tokens->hasRunB());
  EXPECT_NEAR(tokens->valueAt(4), aIsAttention ? -2.0 : 2.0, 1e-6);
  screenshot(window.get(), QStringLiteral("text-tab-tokens"));
  tokens->setMode(TextTokenView::Mode::SideBySide);
  EXPECT_TRUE(tokens->canvasB()->isVisible());
  EXPECT_NEAR(tokens->canvasB()->cells()[4].value, aIsAttention ? 2.5 : 0.5, 1e-6);
  screenshot(window.get(), QStringLiteral("text-tab-side-by-side"));
  text->pages()->setCurrentWidget(slices);
  screenshot(window.get(), QStringLiteral("text-tab-slices"));

  // ---- A new validation of run A replaces its losses: the tab follows ----
  {
    Store store(m_db.toStdString());
    TokenLossSet later = set(runA == a, 200);  // A now has the other run's losses
    store.put_token_losses(runA, 200, 2, encode_token_losses(later));
    MetricPoint point;
    point.run_id = runA;
    point.key = "valid/loss";
    point.step = 200;
    point.value = 1.0;
    point.epoch = 2;
    store.append_metrics({point});
    store.set_progress(runA, 2, 200);  // as a trainer does: the poller sees the run change
  }
  for (int i = 0; i < 50 && slices->runs()[0].analysis.step != 200; ++i) {
    window->pollNow();
    QTest::qWait(100);
  }
  ASSERT_EQ(slices->runs()[0].analysis.step, 200);
  EXPECT_EQ(model->index(slices->row("ar_hits"), TextSlicesView::column(0, TextSlicesView::MeanLoss))
                .data()
                .toString(),
            aIsAttention ? "2.5000" : "0.5000");
  EXPECT_TRUE(text->statusLabel()->text().contains(QStringLiteral("step 200")))
      << text->statusLabel()->text().toStdString();
  // Both runs now hold the same losses: no gap to share out.
  ASSERT_TRUE(slices->gap().has_value());
  EXPECT_TRUE(std::isnan(slices->gap()->gap_share_ar_hits));
}

TEST_F(TextTabTest, WithoutTokenizerTheTokensAreIds) {
  QString note;
  EXPECT_EQ(TextFeed::loadVocabulary(m_dir.filePath(QStringLiteral("nowhere")).toStdString(), &note),
            nullptr);
  EXPECT_TRUE(note.contains(QStringLiteral("tokenizer.json"))) << note.toStdString();
  const auto vocabulary = TextFeed::loadVocabulary(m_shards, &note);
  ASSERT_NE(vocabulary, nullptr) << note.toStdString();
  EXPECT_EQ(vocabulary->size(), 256u + 7u);
  EXPECT_EQ((*vocabulary)[static_cast<size_t>(m_ids[2])], " cat");
  EXPECT_EQ((*vocabulary)[10], "\n");
}

TEST_F(TextTabTest, ARunWithoutLossesSaysSo) {
  int64_t run = 0;
  {
    Store store(m_db.toStdString());
    run = createRun(store, "fresh", "text");
    store.set_status(run, RunStatus::Running);
  }
  auto window = openWindow(1);
  window->tabs()->setCurrentWidget(window->textView());
  ASSERT_TRUE(window->selectRun(QString::number(run)));
  TextView* text = window->textView();
  EXPECT_EQ(text->runA(), run);
  EXPECT_TRUE(QTest::qWaitFor(
      [&] { return text->statusLabel()->text().contains(QStringLiteral("no per-token losses yet")); }, 5000))
      << text->statusLabel()->text().toStdString();
  EXPECT_TRUE(text->slicesView()->runs().empty());
}

// While a run trains the window polls about once a second; the tab reads a run's loss blob only when its
// row's step or size changed (Store::token_losses_version), so a blob replaced in place by one of the same
// step and size is not read (Refresh reads it), while another run's new validation is.
TEST_F(TextTabTest, ABlobIsReadOnlyWhenItsStepOrSizeChanges) {
  int64_t a = 0;
  int64_t b = 0;
  const std::string first = encode_token_losses(set(false));
  const std::string other = encode_token_losses(set(true));
  ASSERT_EQ(first.size(), other.size());  // same tokens, other losses
  ASSERT_NE(first, other);
  {
    Store store(m_db.toStdString());
    a = createRun(store, "attention", "text");
    b = createRun(store, "baseconv", "text");
    EXPECT_FALSE(store.token_losses_version(a).has_value());
    store.put_token_losses(a, 100, 1, first);
    store.put_token_losses(b, 100, 1, first);
    EXPECT_EQ(store.token_losses_version(a),
              std::make_pair(int64_t{100}, static_cast<int64_t>(first.size())));
  }
  auto window = openWindow(2);
  TextView* text = window->textView();
  window->tabs()->setCurrentWidget(text);
  selectRuns(window.get(), {a, b});
  TextSlicesView* slices = text->slicesView();
  ASSERT_TRUE(QTest::qWaitFor([&] { return slices->runs().size() == 2u; }, 5000))
      << text->statusLabel()->text().toStdString();
  const qint64 runA = text->runA();
  const qint64 runB = text->runB();
  const auto meanArLoss = [&](qint64 run) {
    for (const TextView::Run& shown : text->runs()) {
      if (shown.id == run && shown.losses) {
        return shown.analysis.ar_hits.mean_loss;
      }
    }
    return std::nan("");
  };
  EXPECT_NEAR(meanArLoss(runA), 0.5, 1e-6);
  const std::shared_ptr<const TokenLossSet> setA = text->tokenView()->runA().losses;

  {
    Store store(m_db.toStdString());
    store.put_token_losses(runA, 100, 1, other);  // same step, same size: the version A was read at
    store.put_token_losses(runB, 200, 2, encode_token_losses(set(true, 200)));  // a new validation
    store.set_progress(runB, 2, 200);
  }
  for (int i = 0; i < 50 && slices->runs()[1].analysis.step != 200; ++i) {
    window->pollNow();
    QTest::qWait(100);
  }
  ASSERT_EQ(slices->runs()[1].analysis.step, 200);  // the tab reread: B's new version was read
  EXPECT_NEAR(meanArLoss(runB), 2.5, 1e-6);
  EXPECT_NEAR(meanArLoss(runA), 0.5, 1e-6);           // A's blob was not read again
  EXPECT_EQ(text->tokenView()->runA().losses, setA);  // nor decoded: the same set, the same drawing

  // Refresh reads every blob.
  text->refresh();
  EXPECT_TRUE(QTest::qWaitFor([&] { return std::abs(meanArLoss(runA) - 2.5) < 1e-6; }, 5000))
      << meanArLoss(runA);
}

// A run without losses is shown by its note; when only the note changes (B, still without losses, stops
// running), the tab says the new one.
TEST_F(TextTabTest, ANoteChangeAloneIsShown) {
  int64_t a = 0;
  int64_t b = 0;
  {
    Store store(m_db.toStdString());
    a = createRun(store, "attention", "text");
    b = createRun(store, "baseconv", "text");
    store.put_token_losses(a, 100, 1, encode_token_losses(set(false)));
    store.set_status(b, RunStatus::Running);
  }
  auto window = openWindow(2);
  TextView* text = window->textView();
  window->tabs()->setCurrentWidget(text);
  text->setChosenRuns(a, b);
  Q_EMIT text->runsChosen(a, b);
  QLabel* gap = text->slicesView()->gapLabel();
  EXPECT_TRUE(
      QTest::qWaitFor([&] { return gap->text().contains(QStringLiteral("no per-token losses yet")); }, 5000))
      << gap->text().toStdString();
  {
    Store store(m_db.toStdString());
    store.set_status(b, RunStatus::Failed);
  }
  for (int i = 0; i < 50 && !gap->text().contains(QStringLiteral("ended before")); ++i) {
    window->pollNow();
    QTest::qWait(100);
  }
  EXPECT_TRUE(gap->text().contains(QStringLiteral("ended before its first validation")))
      << gap->text().toStdString();
}

}  // namespace
}  // namespace zoolab
