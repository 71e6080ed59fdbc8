#pragma once

// What the window's tests (tests/gui) share: a fixture with a scratch folder, settings and database
// path, zoolab-cli from this build (ZOOLAB_CLI_PATH) run against that database, and the window opened on
// it once its run table lists the runs.

#include <gtest/gtest.h>

#include <memory>

#include <QByteArray>
#include <QProcess>
#include <QSize>
#include <QStringList>
#include <QTemporaryDir>
#include <QTest>

#include "app/gui/main_window.h"
#include "app/gui/settings.h"
#include "views/run_table_model.h"

namespace zoolab {

class GuiWindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(m_dir.isValid());
    m_settings = std::make_unique<Settings>(m_dir.filePath(QStringLiteral("zoolab.ini")));
    m_db = m_dir.filePath(QStringLiteral("runs.sqlite"));
  }

  // zoolab-cli ARGS --db DB; its standard output. A failure is a test failure.
  QByteArray cli(QStringList args) {
    args << QStringLiteral("--db") << m_db;
    QProcess process;
    process.start(QStringLiteral(ZOOLAB_CLI_PATH), args);
    EXPECT_TRUE(process.waitForFinished(180000)) << args.join(' ').toStdString();
    EXPECT_EQ(process.exitCode(), 0) << args.join(' ').toStdString() << ": "
                                     << process.readAllStandardError().toStdString();
    return process.readAllStandardOutput();
  }

  // The window on the database, without a worker, shown at `size`, once its run table lists `runs` runs
  // (polled for up to five seconds).
  std::unique_ptr<MainWindow> openWindow(int runs, QSize size = QSize(1500, 900)) {
    auto window = std::make_unique<MainWindow>(*m_settings);
    window->setWorkerAutostart(false);
    window->openDatabase(m_db);
    window->resize(size);
    window->show();
    for (int i = 0; i < 50 && window->runModel()->rowCount() < runs; ++i) {
      window->pollNow();
      QTest::qWait(100);
    }
    EXPECT_EQ(window->runModel()->rowCount(), runs);
    return window;
  }

  QTemporaryDir m_dir;
  std::unique_ptr<Settings> m_settings;
  QString m_db;
};

}  // namespace zoolab
