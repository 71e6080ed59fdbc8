// The Inspector tab on real runs trained by zoolab-cli from this build: every number it shows
// (accuracy, by gap, by kv index, by slice, the gap heatmap, each example's queries, the comparison of
// two runs) equals what `zoolab-cli inspect --json` prints for the same run, and its browser and compare
// page are driven through their widgets.

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <memory>

#include <QDir>
#include <QLabel>
#include <QPushButton>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include "app/gui/main_window.h"
#include "engine/store/store.h"
#include "tests/support/gui_window.h"
#include "views/compare_view.h"
#include "views/example_browser.h"
#include "views/inspector_view.h"
#include "views/recall_analysis_view.h"
#include "views/run_table_model.h"
#include "views/token_strip.h"

namespace zoolab {
namespace {

class InspectorGuiTest : public GuiWindowTest {
 protected:
  // Trains tests/app/tiny.json (its test split fixed by data.seed) with model seed `seed` for `epochs`
  // epochs; returns the run id.
  qint64 train(const QString& name, int seed, int epochs) {
    std::ifstream file(std::string(ZOOLAB_SOURCE_DIR) + "/tests/app/tiny.json");
    nlohmann::json config = nlohmann::json::parse(file);
    config["seed"] = seed;
    config["train"]["max_epochs"] = epochs;
    const QString path = m_dir.filePath(name + QStringLiteral(".json"));
    std::ofstream(path.toStdString()) << config.dump();
    const QByteArray out =
        cli({QStringLiteral("train"), QStringLiteral("--config"), path, QStringLiteral("--name"), name,
             QStringLiteral("--threads"), QStringLiteral("1")});
    const auto run = Store(m_db.toStdString()).find_run(name.toStdString());
    EXPECT_TRUE(run.has_value()) << out.toStdString();
    return run ? run->id : 0;
  }

  nlohmann::json inspect(qint64 run, QStringList args = {}) {
    const QByteArray out =
        cli(QStringList{QStringLiteral("inspect"), QString::number(run), QStringLiteral("--json")} + args);
    return nlohmann::json::parse(out.toStdString());
  }

  // Saves `widget` as NAME.png in $ZOOLAB_TEST_SCREENSHOTS, when set (to look at the tab by eye).
  static void screenshot(QWidget* widget, const QString& name) {
    const QString dir = qEnvironmentVariable("ZOOLAB_TEST_SCREENSHOTS");
    if (!dir.isEmpty()) {
      QTest::qWait(300);  // the plots replot queued
      widget->grab().save(QDir(dir).filePath(name + QStringLiteral(".png")));
    }
  }
};

double raw(const QStandardItemModel* model, int row, int column) {
  return model->index(row, column).data(RecallAnalysisView::RawRole).toDouble();
}

// The numbers table's rows of one grouping ("gap", "kv_index", "num_kv_pairs") as (value, n, accuracy).
std::vector<std::tuple<int64_t, int64_t, double>> tableRows(const QStandardItemModel* model,
                                                            const QString& group) {
  std::vector<std::tuple<int64_t, int64_t, double>> rows;
  for (int row = 0; row < model->rowCount(); ++row) {
    if (model->index(row, RecallAnalysisView::NumbersGroup).data().toString() == group) {
      rows.emplace_back(static_cast<int64_t>(raw(model, row, RecallAnalysisView::NumbersValue)),
                        static_cast<int64_t>(raw(model, row, RecallAnalysisView::NumbersN)),
                        raw(model, row, RecallAnalysisView::NumbersAccuracy));
    }
  }
  return rows;
}

std::vector<std::tuple<int64_t, int64_t, double>> jsonRows(const nlohmann::json& bins,
                                                           const char* valueName) {
  std::vector<std::tuple<int64_t, int64_t, double>> rows;
  for (const auto& bin : bins) {
    rows.emplace_back(bin.at(valueName).get<int64_t>(), bin.at("n").get<int64_t>(),
                      bin.at("accuracy").get<double>());
  }
  return rows;
}

TEST_F(InspectorGuiTest, ShowsTheNumbersOfZoolabCliInspectAndDrivesTheBrowserAndCompare) {
  const qint64 a = train(QStringLiteral("inspected-a"), 5, 3);
  const qint64 b = train(QStringLiteral("inspected-b"), 6, 3);
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  auto window = openWindow(2);
  ASSERT_TRUE(window->selectRun(QString::number(a)));
  InspectorView* inspector = window->inspectorView();
  window->tabs()->setCurrentWidget(inspector);
  ASSERT_EQ(inspector->currentRun(), a);
  // The records are read on the window's feed thread.
  ASSERT_TRUE(QTest::qWaitFor([&] { return !inspector->isLoading(); }, 10000));
  ASSERT_TRUE(inspector->currentSet().has_value()) << inspector->statusLabel()->text().toStdString();

  // ---- Recall: the summary, by gap, by kv index, by slice and the heatmap ----
  const nlohmann::json json = inspect(a, {QStringLiteral("--history")});
  EXPECT_EQ(inspector->currentSet()->step, json.at("step").get<int64_t>());
  EXPECT_EQ(inspector->currentSet()->subset, json.at("subset").get<std::string>());
  RecallAnalysisView* recall = inspector->recallView();
  inspector->pages()->setCurrentWidget(recall);
  const QStandardItemModel* summary = recall->summaryModel();
  ASSERT_EQ(summary->rowCount(), 1);
  EXPECT_EQ(raw(summary, 0, RecallAnalysisView::SummaryExamples), json.at("examples").get<double>());
  EXPECT_EQ(raw(summary, 0, RecallAnalysisView::SummaryQueries), json.at("queries").get<double>());
  EXPECT_DOUBLE_EQ(raw(summary, 0, RecallAnalysisView::SummaryAccuracy), json.at("accuracy").get<double>());
  EXPECT_DOUBLE_EQ(raw(summary, 0, RecallAnalysisView::SummaryQueryAccuracy),
                   json.at("query_accuracy").get<double>());
  EXPECT_DOUBLE_EQ(raw(summary, 0, RecallAnalysisView::SummaryMeanLoss), json.at("mean_loss").get<double>());
  // tiny.json: 256 test examples of 2 queries, and not yet perfect after 3 epochs.
  EXPECT_EQ(json.at("examples").get<int>(), 256);
  EXPECT_LT(json.at("accuracy").get<double>(), 1.0);

  const QStandardItemModel* numbers = recall->numbersModel();
  const auto byGap = jsonRows(json.at("by_gap"), "gap");
  ASSERT_GT(byGap.size(), 2u);
  EXPECT_EQ(tableRows(numbers, QStringLiteral("gap")), byGap);
  EXPECT_EQ(tableRows(numbers, QStringLiteral("kv_index")), jsonRows(json.at("by_kv_index"), "kv_index"));
  ASSERT_TRUE(json.at("by_slice").contains("num_kv_pairs"));
  for (const auto& [key, bins] : json.at("by_slice").items()) {
    EXPECT_EQ(tableRows(numbers, QString::fromStdString(key)), jsonRows(bins, "value")) << key;
  }
  // What is drawn is what the tables say.
  const QVector<QPointF> gapPoints = recall->plottedPoints(RecallAnalysisView::Panel::Gap, a);
  ASSERT_EQ(gapPoints.size(), static_cast<int>(byGap.size()));
  for (size_t i = 0; i < byGap.size(); ++i) {
    EXPECT_EQ(gapPoints[static_cast<int>(i)].x(), std::get<0>(byGap[i]));
    EXPECT_DOUBLE_EQ(gapPoints[static_cast<int>(i)].y(), std::get<2>(byGap[i]));
  }
  ASSERT_EQ(recall->sliceKey(), "num_kv_pairs");
  const QVector<QPointF> slicePoints = recall->plottedPoints(RecallAnalysisView::Panel::Slice, a);
  const auto bySlice = jsonRows(json.at("by_slice").at("num_kv_pairs"), "value");
  ASSERT_EQ(slicePoints.size(), static_cast<int>(bySlice.size()));
  EXPECT_DOUBLE_EQ(slicePoints[0].y(), std::get<2>(bySlice[0]));

  const nlohmann::json& history = json.at("gap_history");
  ASSERT_EQ(history.at("epochs").size(), 3u);  // a tracked set per epoch
  int cells = 0;
  for (size_t e = 0; e < history.at("epochs").size(); ++e) {
    const int64_t epoch = history.at("epochs")[e].get<int64_t>();
    for (size_t g = 0; g < history.at("gaps").size(); ++g) {
      const int64_t gap = history.at("gaps")[g].get<int64_t>();
      const nlohmann::json& cell = history.at("accuracy")[e][g];
      const double drawn = recall->heatmapValue(epoch, gap);
      if (cell.is_null()) {
        EXPECT_TRUE(std::isnan(drawn)) << "epoch " << epoch << " gap " << gap;
      } else {
        EXPECT_DOUBLE_EQ(drawn, cell.get<double>()) << "epoch " << epoch << " gap " << gap;
        ++cells;
      }
    }
  }
  EXPECT_GT(cells, 3);
  screenshot(window.get(), QStringLiteral("inspector-recall"));

  // ---- Examples: each example's queries as `inspect --example` lists them ----
  ExampleBrowser* browser = inspector->exampleBrowser();
  inspector->pages()->setCurrentWidget(browser);
  EXPECT_EQ(browser->listedExamples().size(), 256u);
  browser->setFailuresOnly(true);
  ASSERT_FALSE(browser->listedExamples().empty());
  const int64_t failing = browser->listedExamples().front();
  EXPECT_LT(browser->listedExamples().size(), 256u);
  browser->setFailuresOnly(false);
  for (const int64_t example : {int64_t{0}, failing, int64_t{255}}) {
    const nlohmann::json one =
        inspect(a, {QStringLiteral("--example"), QString::number(example)}).at("example");
    ASSERT_TRUE(browser->showExample(example));
    const auto outcome = browser->outcome(example);
    ASSERT_TRUE(outcome.has_value());
    int64_t right = 0;
    for (const auto& q : one.at("queries")) {
      right += q.at("correct").get<bool>() ? 1 : 0;
    }
    EXPECT_EQ(outcome->queries, static_cast<int64_t>(one.at("queries").size())) << example;
    EXPECT_EQ(outcome->correct, right) << example;
    TokenStrip* strip = browser->tokenStrip();
    ASSERT_EQ(strip->length(), static_cast<int>(one.at("tokens").size()));
    for (int p = 0; p < strip->length(); ++p) {
      EXPECT_EQ(strip->token(p), one.at("tokens")[static_cast<size_t>(p)].get<int64_t>()) << p;
    }
    ASSERT_EQ(strip->queries().size(), one.at("queries").size());
    for (size_t q = 0; q < strip->queries().size(); ++q) {
      const auto& expected = one.at("queries")[q];
      EXPECT_EQ(strip->queries()[q].position, expected.at("position").get<int>());
      EXPECT_EQ(strip->queries()[q].prediction, expected.at("prediction").get<int64_t>());
      EXPECT_FLOAT_EQ(strip->queries()[q].p_target, expected.at("p_target").get<float>());
    }
  }
  EXPECT_EQ(browser->currentExample(), 255);
  // Keys: the second query, then the example before.
  QTest::keyClick(browser->tokenStrip(), Qt::Key_Right);
  EXPECT_EQ(browser->currentQuery(), 1);
  QTest::keyClick(browser->tokenStrip(), Qt::Key_Up);
  EXPECT_EQ(browser->currentExample(), 254);
  // Clicking a query highlights its key.
  TokenStrip* strip = browser->tokenStrip();
  const TokenStrip::Query last = strip->queries().back();
  QTest::mouseClick(strip, Qt::LeftButton, Qt::NoModifier, strip->cellRect(last.position).center());
  EXPECT_EQ(browser->currentQuery(), static_cast<int>(strip->queries().size()) - 1);
  EXPECT_EQ(strip->highlightedKey(), last.position - last.gap);
  EXPECT_EQ(strip->token(strip->highlightedKey()), last.key);
  screenshot(window.get(), QStringLiteral("inspector-examples"));

  // ---- Compare with run B: the counts of `inspect --vs`, each a link into the browser ----
  const nlohmann::json versus = inspect(a, {QStringLiteral("--vs"), QString::number(b)}).at("comparison");
  CompareView* compare = inspector->compareView();
  inspector->pages()->setCurrentWidget(compare);
  ASSERT_TRUE(compare->chooseRunB(b));
  ASSERT_TRUE(QTest::qWaitFor([&] { return !inspector->isLoading(); }, 10000));
  ASSERT_TRUE(compare->comparison().has_value()) << compare->message().toStdString();
  EXPECT_EQ(compare->comparison()->both_right, versus.at("both_right").get<int64_t>());
  EXPECT_EQ(compare->comparison()->only_a, versus.at("only_a").get<int64_t>());
  EXPECT_EQ(compare->comparison()->only_b, versus.at("only_b").get<int64_t>());
  EXPECT_EQ(compare->comparison()->both_wrong, versus.at("both_wrong").get<int64_t>());
  EXPECT_EQ(versus.at("both_right").get<int64_t>() + versus.at("only_a").get<int64_t>() +
                versus.at("only_b").get<int64_t>() + versus.at("both_wrong").get<int64_t>(),
            json.at("queries").get<int64_t>());
  screenshot(window.get(), QStringLiteral("inspector-compare"));
  const auto onlyA = versus.at("only_a_examples").get<std::vector<int64_t>>();
  ASSERT_FALSE(onlyA.empty()) << "two seeds that recall the same queries";
  QTest::mouseClick(compare->outcomeButton(CompareView::OnlyA), Qt::LeftButton);
  EXPECT_EQ(inspector->pages()->currentWidget(), browser);
  EXPECT_EQ(browser->listedExamples(), onlyA);
  EXPECT_EQ(browser->currentExample(), onlyA.front());
  QTest::mouseClick(compare->outcomeButton(CompareView::BothWrong), Qt::LeftButton);
  EXPECT_EQ(browser->listedExamples(), versus.at("both_wrong_examples").get<std::vector<int64_t>>());
}

}  // namespace
}  // namespace zoolab
