// The Dashboards tab's data path: DashboardFeed reads and parses on its own thread, the view draws the
// answer, drops an answer about another database and shows a database that cannot be read.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <QComboBox>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <nlohmann/json.hpp>

#include "engine/store/store.h"
#include "tests/views/fed_view.h"
#include "tests/views/run_fixtures.h"
#include "views/dashboard_feed.h"
#include "views/dashboard_view.h"

namespace zoolab {
namespace {

void addRun(Store& store, const std::string& name, int64_t dModel, double accuracy) {
  NewRun run;
  run.name = name;
  run.task = "mqar";
  run.mixer = "attention";
  run.config_json = nlohmann::json{{"name", name}, {"model", {{"d_model", dModel}}}}.dump();
  run.status = RunStatus::Running;
  const int64_t id = store.create_run(run);
  store.append_metrics({testing::makePoint(/*id=*/0, id, "valid/accuracy", /*step=*/10, accuracy)});
  store.set_status(id, RunStatus::Finished);
}

TEST(DashboardFeed, ReadsOnItsThreadAndTheViewDrawsTheAnswer) {
  QTemporaryDir dir;
  ASSERT_TRUE(dir.isValid());
  const QString path = dir.filePath(QStringLiteral("runs.sqlite"));
  {
    Store store(path.toStdString());
    addRun(store, "narrow", 32, 0.5);
    addRun(store, "wide", 64, 0.9);
  }
  testing::FedView<DashboardView, DashboardFeed> fed(path, &DashboardView::reloadRequested);
  fed.show(900, 600);
  ASSERT_TRUE(QTest::qWaitFor([&] { return fed.view.runs().size() == 2; }, 5000));
  EXPECT_EQ(fed.readOn, &fed.thread);
  EXPECT_EQ(fed.view.reloadCount(), 1);
  EXPECT_EQ(fed.view.lastError(), QString());
  // From the parsed configurations: the path whose value differs between the runs is a pivot choice.
  auto* rows = fed.view.findChild<QComboBox*>(QStringLiteral("pivotRowsCombo"));
  ASSERT_NE(rows, nullptr);
  EXPECT_GE(rows->findText(QStringLiteral("model.d_model")), 0);
  auto* metrics = fed.view.findChild<QComboBox*>(QStringLiteral("metricCombo"));
  ASSERT_NE(metrics, nullptr);
  EXPECT_GE(metrics->findText(QStringLiteral("valid/accuracy")), 0);

  // An answer about another database (one the window showed before) is dropped.
  auto other = std::make_shared<DashboardData>();
  other->databasePath = dir.filePath(QStringLiteral("other.sqlite"));
  other->error = QStringLiteral("not this one");
  fed.view.setData(other);
  EXPECT_EQ(fed.view.runs().size(), 2u);
  EXPECT_EQ(fed.view.lastError(), QString());
}

TEST(DashboardFeed, ADatabaseThatCannotBeReadIsShown) {
  QTemporaryDir dir;
  ASSERT_TRUE(dir.isValid());
  const QString path = dir.filePath(QStringLiteral("notes.sqlite"));
  {
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write("not a database, only some text that SQLite will refuse to open as one\n");
  }
  testing::FedView<DashboardView, DashboardFeed> fed(path, &DashboardView::reloadRequested);
  fed.show(900, 600);
  ASSERT_TRUE(QTest::qWaitFor([&] { return !fed.view.lastError().isEmpty(); }, 5000));
  EXPECT_TRUE(fed.view.runs().empty());
}

}  // namespace
}  // namespace zoolab
