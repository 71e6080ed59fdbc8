// The inspector's Probe and Patterns pages against a real run trained by zoolab-cli from this build: the
// probe loads the run's checkpoint on its worker thread, a generated example's predictions and patterns
// are shown and equal the engine's own Probe on the same sequence, an edited token re-runs it, bad tokens
// are reported under the editor, a run without a checkpoint says so, stale requests are dropped, and the
// Patterns page draws the patterns stored at the run's evaluations.
//
// With ZOOLAB_SCREENSHOT_DIR set, the Probe and Patterns pages are also saved there as PNG files.

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include "app/gui/main_window.h"
#include "app/gui/probe_runner.h"
#include "app/gui/settings.h"
#include "engine/store/store.h"
#include "engine/train/probe.h"
#include "views/inspector_view.h"
#include "views/pattern_view.h"
#include "views/probe_view.h"
#include "views/token_strip.h"

namespace zoolab {
namespace {

constexpr int kTimeoutMs = 60000;

// tests/app/tiny.json trained for a few epochs, once for the whole suite.
class ProbeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_dir = new QTemporaryDir;
    ASSERT_TRUE(s_dir->isValid());
    s_db = s_dir->filePath(QStringLiteral("runs.sqlite"));
    std::ifstream file(std::string(ZOOLAB_SOURCE_DIR) + "/tests/app/tiny.json");
    nlohmann::json config = nlohmann::json::parse(file);
    config["train"]["max_epochs"] = 6;
    const QString configPath = s_dir->filePath(QStringLiteral("tiny.json"));
    {
      std::ofstream out(configPath.toStdString());
      out << config.dump();
    }
    QProcess train;
    train.start(QStringLiteral(ZOOLAB_CLI_PATH),
                {QStringLiteral("train"), QStringLiteral("--config"), configPath, QStringLiteral("--db"),
                 s_db, QStringLiteral("--threads"), QStringLiteral("1"), QStringLiteral("--name"),
                 QStringLiteral("probed")});
    ASSERT_TRUE(train.waitForFinished(180000));
    ASSERT_EQ(train.exitCode(), 0) << train.readAllStandardError().toStdString();
    Store store(s_db.toStdString());
    const auto run = store.find_run(std::string("probed"));
    ASSERT_TRUE(run.has_value());
    s_run = run->id;
  }

  static void TearDownTestSuite() {
    delete s_dir;
    s_dir = nullptr;
  }

  void SetUp() override {
    ASSERT_GT(s_run, 0) << "the suite's run did not train";
    ASSERT_TRUE(m_dir.isValid());
    m_settings = std::make_unique<Settings>(m_dir.filePath(QStringLiteral("zoolab.ini")));
  }

  // The window on the trained database, the run selected, the inspector showing `page`.
  enum class Page { Probe, Patterns };
  std::unique_ptr<MainWindow> openWindow(Page page) {
    auto window = std::make_unique<MainWindow>(*m_settings);
    window->setWorkerAutostart(false);
    window->resize(1400, 860);
    window->openDatabase(s_db);
    window->show();
    window->pollNow();
    EXPECT_TRUE(QTest::qWaitFor([&] { return window->selectRun(QString::number(s_run)); }, 5000));
    window->tabs()->setCurrentWidget(window->inspectorView());
    QWidget* widget =
        page == Page::Probe ? static_cast<QWidget*>(window->probeView()) : window->patternView();
    window->inspectorView()->pages()->setCurrentWidget(widget);
    return window;
  }

  static void screenshot(QWidget* widget, const QString& name) {
    const QString dir = qEnvironmentVariable("ZOOLAB_SCREENSHOT_DIR");
    if (!dir.isEmpty()) {
      QTest::qWait(400);  // the plots' queued replots and the layout
      QDir().mkpath(dir);
      widget->grab().save(QDir(dir).filePath(name));
    }
  }

  static QTemporaryDir* s_dir;
  static QString s_db;
  static qint64 s_run;
  QTemporaryDir m_dir;
  std::unique_ptr<Settings> m_settings;
};

QTemporaryDir* ProbeTest::s_dir = nullptr;
QString ProbeTest::s_db;
qint64 ProbeTest::s_run = 0;

// The result shown equals the engine's for the sequence in the editor.
void expectEngineResult(const ProbeView& view, Probe& probe) {
  const auto parsed = ProbeView::parseSequence(view.sequenceText());
  ASSERT_TRUE(parsed.error.isEmpty()) << parsed.error.toStdString();
  const ProbeResult expected = probe.run(parsed.tokens, parsed.labels, view.mixingMatrix());
  const ProbeResult& shown = view.result();
  EXPECT_EQ(shown.tokens, expected.tokens);
  EXPECT_EQ(shown.labels, expected.labels);
  EXPECT_EQ(shown.predictions, expected.predictions);
  ASSERT_EQ(shown.p_target.size(), expected.p_target.size());
  for (size_t q = 0; q < expected.p_target.size(); ++q) {
    EXPECT_NEAR(shown.p_target[q], expected.p_target[q], 1e-6);
  }
  // Shown: the strip's queries and the table's rows are the result's.
  const auto& queries = view.tokenStrip()->queries();
  ASSERT_EQ(queries.size(), expected.queries.size());
  for (size_t q = 0; q < queries.size(); ++q) {
    EXPECT_EQ(queries[q].position, expected.queries[q].position);
    EXPECT_EQ(queries[q].target, expected.queries[q].target);
    EXPECT_EQ(queries[q].prediction, expected.predictions[static_cast<size_t>(expected.queries[q].position)]);
  }
  QTableWidget* table = view.predictionTable();
  ASSERT_EQ(table->rowCount(), static_cast<int>(expected.tokens.size()));
  for (int p = 0; p < table->rowCount(); ++p) {
    EXPECT_EQ(table->item(p, 3)->text(), QString::number(expected.predictions[static_cast<size_t>(p)]));
  }
}

TEST_F(ProbeTest, PredictionsAndPatternsOfAGeneratedAndEditedSequence) {
  auto window = openWindow(Page::Probe);
  ProbeView* view = window->probeView();
  // The checkpoint loads on the runner's thread; an example of segment 0 is generated and run.
  QTRY_VERIFY_WITH_TIMEOUT(view->hasResult(), kTimeoutMs);
  EXPECT_TRUE(view->runLabelText().contains(QStringLiteral("epoch 6"))) << view->runLabelText().toStdString();

  Store store(s_db.toStdString());
  Probe probe(store, s_run);

  // Generate: the example of seed 11, as the engine draws it.
  view->findChild<QSpinBox*>(QStringLiteral("seedSpin"))->setValue(11);
  const auto example = probe.generate(0, 11);
  QTest::mouseClick(view->generateButton(), Qt::LeftButton);
  QTRY_VERIFY_WITH_TIMEOUT(view->result().tokens == example.first, kTimeoutMs);
  EXPECT_EQ(view->result().labels, example.second);
  expectEngineResult(*view, probe);
  EXPECT_EQ(view->tokenStrip()->queries().size(), 2u);  // tiny.json: 2 kv pairs
  EXPECT_TRUE(view->summaryText().contains(QStringLiteral("of 2 queries right")))
      << view->summaryText().toStdString();
  // A trained tiny attention model recalls: its queries are right.
  int right = 0;
  for (const auto& query : view->tokenStrip()->queries()) {
    right += query.correct ? 1 : 0;
  }
  EXPECT_GE(right, 1);

  // The patterns: both layers' attention over the 16 tokens, equal to the result's records.
  PatternView* patterns = view->patternView();
  ASSERT_NE(patterns->shownPattern(), nullptr);
  EXPECT_EQ(patterns->layers(), (QList<int>{0, 1}));
  EXPECT_EQ(patterns->kind(), QStringLiteral("attention"));
  EXPECT_EQ(patterns->shownRows(), 16);
  EXPECT_EQ(patterns->shownCols(), 16);
  const PatternRecord* record = patterns->shownPattern();
  const QVector<double> shown = patterns->shownValues();
  ASSERT_EQ(shown.size(), static_cast<int>(record->values.size()));
  for (int i = 0; i < shown.size(); ++i) {
    ASSERT_NEAR(shown[i], record->values[static_cast<size_t>(i)], 1e-7);
  }
  EXPECT_EQ(patterns->tokenLabel(0), QStringLiteral("k %1").arg(example.first[0]));
  // The last layer, where the query looks up its key's value.
  ASSERT_TRUE(patterns->setLayer(1));
  screenshot(window.get(), QStringLiteral("probe.png"));

  // Edit a context value as a user types: the query asking for it now wants the new value, and the
  // result follows without pressing anything.
  const std::vector<int64_t> before = view->result().tokens;
  QString text = view->sequenceText();
  QStringList words = text.split(QLatin1Char(' '));
  words[1] = QString::number(example.first[1] == 63 ? 62 : 63);
  QLineEdit* edit = view->sequenceEdit();
  edit->selectAll();
  QTest::keyClicks(edit, words.join(QLatin1Char(' ')));
  QTRY_VERIFY_WITH_TIMEOUT(view->result().tokens != before, kTimeoutMs);
  EXPECT_EQ(view->result().tokens[1], words[1].toLongLong());
  expectEngineResult(*view, probe);
  EXPECT_TRUE(view->errorText().isEmpty()) << view->errorText().toStdString();

  // A word that is not a token: the message, the text and the result stay.
  const std::vector<int64_t> shownTokens = view->result().tokens;
  edit->end(false);
  QTest::keyClicks(edit, QStringLiteral(" 4x"));
  QTRY_VERIFY_WITH_TIMEOUT(view->errorText().contains(QStringLiteral("\"4x\"")), 5000);
  EXPECT_TRUE(view->sequenceText().endsWith(QStringLiteral(" 4x")));
  EXPECT_EQ(view->result().tokens, shownTokens);

  // A token outside the vocabulary: the engine's message.
  edit->setText(QStringLiteral("3 40 99 3?"));
  Q_EMIT edit->textEdited(edit->text());
  QTRY_VERIFY_WITH_TIMEOUT(view->errorText().contains(QStringLiteral("outside the vocabulary")), kTimeoutMs);
  EXPECT_EQ(view->result().tokens, shownTokens);

  // The mixing matrix, on request.
  edit->setText(ProbeView::formatSequence(example.first, example.second));
  view->findChild<QCheckBox*>(QStringLiteral("mixingCheck"))->setChecked(true);
  QTRY_VERIFY_WITH_TIMEOUT(view->result().tokens == example.first && patterns->kinds().contains("mixing"),
                           kTimeoutMs);
  EXPECT_TRUE(view->errorText().isEmpty()) << view->errorText().toStdString();
  ASSERT_TRUE(patterns->setKind(QStringLiteral("mixing")));
  EXPECT_EQ(patterns->shownRows(), 16);
}

TEST_F(ProbeTest, ARunWithoutACheckpointSaysSo) {
  qint64 fresh = 0;
  {
    Store store(s_db.toStdString());
    const auto trained = store.find_run(s_run);
    NewRun run;
    run.name = "never-trained";
    run.task = "mqar";
    run.mixer = "attention";
    run.config_json = trained->config_json;
    fresh = store.create_run(run);
  }
  auto window = openWindow(Page::Probe);
  ASSERT_TRUE(window->selectRun(QString::number(fresh)));
  ProbeView* view = window->probeView();
  QTRY_VERIFY_WITH_TIMEOUT(view->runLabelText().contains(QStringLiteral("no checkpoint")), kTimeoutMs);
  EXPECT_FALSE(view->generateButton()->isEnabled());
  EXPECT_FALSE(view->hasModel());
  {
    Store store(s_db.toStdString());
    store.delete_run(fresh);
  }
}

TEST_F(ProbeTest, TheRunnerAnswersOnlyTheNewestRequest) {
  ProbeRunner runner;
  runner.setDatabasePath(s_db);
  std::vector<ProbeResult> results;
  QStringList failures;
  bool loaded = false;
  QObject::connect(&runner, &ProbeRunner::loaded, [&](const ProbeModelInfo& info) {
    loaded = true;
    EXPECT_EQ(info.runId, s_run);
    EXPECT_EQ(info.vocabSize, 64);
    EXPECT_EQ(info.segments.size(), 1);
  });
  QObject::connect(&runner, &ProbeRunner::resultReady, [&](const ProbeResult& r) { results.push_back(r); });
  QObject::connect(&runner, &ProbeRunner::runFailed, [&](const QString& m) { failures.append(m); });
  runner.load(s_run);
  QTRY_VERIFY_WITH_TIMEOUT(loaded, kTimeoutMs);

  // Five sequences in a burst, as fast typing sends them: only the last is answered.
  for (int64_t t = 1; t <= 5; ++t) {
    runner.run({3, 40, 7, t, 3}, {}, false);
  }
  QTRY_COMPARE_WITH_TIMEOUT(runner.pending(), 0, kTimeoutMs);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].tokens, (std::vector<int64_t>{3, 40, 7, 5, 3}));
  EXPECT_EQ(runner.computedRuns() + runner.skippedRuns(), 5);
  EXPECT_GE(runner.skippedRuns(), 3);
  EXPECT_TRUE(failures.isEmpty()) << failures.join('\n').toStdString();

  // A model replaced meanwhile: the old model's answer is dropped.
  runner.run({3, 40, 7}, {}, false);
  runner.load(0);
  QTRY_COMPARE_WITH_TIMEOUT(runner.pending(), 0, kTimeoutMs);
  EXPECT_EQ(results.size(), 1u);
  runner.run({3, 40, 7}, {}, false);
  QTRY_COMPARE_WITH_TIMEOUT(runner.pending(), 0, kTimeoutMs);
  ASSERT_EQ(failures.size(), 1);
  EXPECT_TRUE(failures[0].contains(QStringLiteral("no checkpoint is loaded")));
}

TEST_F(ProbeTest, ThePatternsPageDrawsTheStoredPatterns) {
  auto window = openWindow(Page::Patterns);
  PatternView* view = window->patternView();
  Store store(s_db.toStdString());
  const auto steps = store.pattern_steps(s_run);
  ASSERT_FALSE(steps.empty()) << "the trainer stored no patterns";
  QTRY_VERIFY_WITH_TIMEOUT(view->shownPattern() != nullptr, 10000);
  EXPECT_EQ(view->runId(), s_run);
  EXPECT_EQ(view->steps().size(), static_cast<int>(steps.size()));
  EXPECT_EQ(view->step(), steps.back());
  const auto stored = store.patterns(s_run, view->step(), view->example());
  const PatternRecord* shown = view->shownPattern();
  const PatternRecord* expected = nullptr;
  for (const PatternRecord& record : stored) {
    if (record.layer == shown->layer && record.kind == shown->kind && record.head == shown->head) {
      expected = &record;
    }
  }
  ASSERT_NE(expected, nullptr);
  const QVector<double> values = view->shownValues();
  ASSERT_EQ(values.size(), static_cast<int>(expected->values.size()));
  for (int i = 0; i < values.size(); ++i) {
    ASSERT_NEAR(values[i], expected->values[static_cast<size_t>(i)], 1e-7);
  }
  // Its tokens are the test example's: a query is marked on the axes.
  bool marked = false;
  for (int p = 0; p < static_cast<int>(view->tokens().size()); ++p) {
    marked = marked || view->tokenLabel(p).startsWith(QStringLiteral("q "));
  }
  EXPECT_TRUE(marked);
  if (view->kinds().contains(QStringLiteral("mixing"))) {
    screenshot(window.get(), QStringLiteral("patterns-attention.png"));
    view->setKind(QStringLiteral("mixing"));
    screenshot(window.get(), QStringLiteral("patterns-mixing.png"));
  } else {
    screenshot(window.get(), QStringLiteral("patterns-attention.png"));
  }
}

}  // namespace
}  // namespace zoolab
