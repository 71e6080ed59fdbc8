// The window's own reads: WindowFeed reads the shown run's latest checkpoint and the live worker on its
// own thread.

#include <gtest/gtest.h>

#include <memory>

#include <QCoreApplication>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include "engine/store/store.h"
#include "views/window_feed.h"

namespace zoolab {
namespace {

TEST(WindowFeed, ReadsTheLatestCheckpointAndTheLiveWorkerOnItsThread) {
  QTemporaryDir dir;
  ASSERT_TRUE(dir.isValid());
  const QString path = dir.filePath(QStringLiteral("runs.sqlite"));
  int64_t run = 0;
  int64_t other = 0;
  {
    Store store(path.toStdString());
    NewRun newRun;
    newRun.name = "checkpointed";
    newRun.task = "mqar";
    newRun.config_json = "{}";
    run = store.create_run(newRun);
    newRun.name = "fresh";
    other = store.create_run(newRun);
    store.add_checkpoint(run, 1, 10, "runs/1/epoch-1.pt");
    store.add_checkpoint(run, 2, 20, "runs/1/epoch-2.pt");
    store.register_worker(QCoreApplication::applicationPid(), 3);
  }

  QThread thread;
  thread.start();
  auto* feed = new WindowFeed(path);
  feed->moveToThread(&thread);
  QThread* readOn = nullptr;
  std::shared_ptr<const WindowData> answer;
  QObject receiver;  // on this thread: the answer arrives queued, as in the window
  QObject::connect(
      feed, &WindowFeed::loaded, feed, [&readOn] { readOn = QThread::currentThread(); },
      Qt::DirectConnection);
  QObject::connect(feed, &WindowFeed::loaded, &receiver,
                   [&answer](std::shared_ptr<const WindowData> data) { answer = std::move(data); });
  const auto ask = [&](qint64 runId) {
    answer.reset();
    QMetaObject::invokeMethod(
        feed, [feed, runId] { feed->load(WindowRequest{runId}); }, Qt::QueuedConnection);
    return QTest::qWaitFor([&] { return answer != nullptr; }, 5000);
  };

  ASSERT_TRUE(ask(run));
  EXPECT_EQ(readOn, &thread);
  EXPECT_EQ(answer->databasePath, path);
  EXPECT_EQ(answer->runId, run);
  EXPECT_TRUE(answer->error.isEmpty()) << answer->error.toStdString();
  ASSERT_TRUE(answer->latestCheckpoint.has_value());
  EXPECT_EQ(answer->latestCheckpoint->epoch, 2);
  EXPECT_EQ(answer->latestCheckpoint->step, 20);
  ASSERT_TRUE(answer->liveWorker.has_value());
  EXPECT_EQ(answer->liveWorker->pid, QCoreApplication::applicationPid());
  EXPECT_EQ(answer->liveWorker->slots, 3);

  // A run without a checkpoint, and no run.
  ASSERT_TRUE(ask(other));
  EXPECT_FALSE(answer->latestCheckpoint.has_value());
  EXPECT_TRUE(answer->liveWorker.has_value());
  ASSERT_TRUE(ask(0));
  EXPECT_FALSE(answer->latestCheckpoint.has_value());

  feed->deleteLater();
  thread.quit();
  thread.wait();
}

}  // namespace
}  // namespace zoolab
