// The Text tab's data path: TextFeed reads, decodes and analyses the loss sets on its own thread, the
// view draws the answer, drops an answer about another database and shows a database that cannot be read.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <nlohmann/json.hpp>

#include "engine/store/store.h"
#include "tests/views/fed_view.h"
#include "tests/views/text_fixtures.h"
#include "views/text_feed.h"
#include "views/text_slices_view.h"
#include "views/text_view.h"

namespace zoolab {
namespace {

namespace fx = text_fixture;

int64_t addTextRun(Store& store, const std::string& name) {
  NewRun run;
  run.name = name;
  run.task = "text";
  run.mixer = "attention";
  run.config_json = nlohmann::json{{"name", name}, {"data", {{"task", "text"}}}}.dump();
  run.status = RunStatus::Finished;
  return store.create_run(run);
}

TEST(TextFeed, ReadsOnItsThreadAndTheViewDrawsTheAnswer) {
  QTemporaryDir dir;
  ASSERT_TRUE(dir.isValid());
  const QString path = dir.filePath(QStringLiteral("runs.sqlite"));
  std::vector<RunRecord> runs;
  int64_t a = 0;
  int64_t b = 0;
  {
    Store store(path.toStdString());
    a = addTextRun(store, "attention");
    b = addTextRun(store, "baseconv");
    store.put_token_losses(a, 100, 1, encode_token_losses(fx::makeSet(false)));
    runs = store.list_runs();
  }
  testing::FedView<TextView, TextFeed> fed(path, &TextView::loadRequested);
  fed.show(1200, 700);
  fed.view.setDatabaseRuns(runs);
  fed.view.setSelectedRuns({a, b});
  ASSERT_TRUE(QTest::qWaitFor([&] { return fed.view.runs().size() == 2u; }, 5000))
      << fed.view.statusLabel()->text().toStdString();
  EXPECT_EQ(fed.readOn, &fed.thread);
  const TextView::Run& runA = fed.view.runs()[0];
  EXPECT_EQ(runA.id, a);
  ASSERT_NE(runA.losses, nullptr);
  EXPECT_EQ(runA.analysis.ar_hits.tokens, 6);
  EXPECT_EQ(fed.view.slicesView()->runs().size(), 1u);
  EXPECT_TRUE(fed.view.statusLabel()->text().contains(QStringLiteral("validation step 100")))
      << fed.view.statusLabel()->text().toStdString();
  EXPECT_EQ(fed.view.runs()[1].losses, nullptr);
  EXPECT_TRUE(fed.view.runs()[1].note.contains(QStringLiteral("stored no per-token losses")))
      << fed.view.runs()[1].note.toStdString();

  // An answer about another database (one the window showed before) is dropped.
  auto other = std::make_shared<TextData>();
  other->databasePath = dir.filePath(QStringLiteral("other.sqlite"));
  other->error = QStringLiteral("not this one");
  fed.view.setData(other);
  EXPECT_EQ(fed.view.runs().size(), 2u);
  EXPECT_FALSE(fed.view.statusLabel()->text().contains(QStringLiteral("not this one")));
}

TEST(TextFeed, ADatabaseThatCannotBeReadIsShown) {
  QTemporaryDir dir;
  ASSERT_TRUE(dir.isValid());
  const QString path = dir.filePath(QStringLiteral("notes.sqlite"));
  {
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write("not a database, only some text that SQLite will refuse to open as one\n");
  }
  testing::FedView<TextView, TextFeed> fed(path, &TextView::loadRequested);
  fed.show(1200, 700);
  RunRecord run;
  run.id = 1;
  run.name = "attention";
  run.task = "text";
  fed.view.setDatabaseRuns({run});
  fed.view.setSelectedRuns({1});
  ASSERT_TRUE(QTest::qWaitFor(
      [&] { return fed.view.statusLabel()->text().startsWith(QStringLiteral("Cannot open the database")); },
      5000))
      << fed.view.statusLabel()->text().toStdString();
  EXPECT_TRUE(fed.view.runs().empty());
}

}  // namespace
}  // namespace zoolab
