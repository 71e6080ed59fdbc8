// Opening a run database zoolab cannot write: the refusal names the folder or file, and the commands
// that only read still work (read-only, without migrating).

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "engine/store/database_check.h"
#include "engine/store/migrations.h"
#include "tests/engine/core/store_test_support.h"

namespace zoolab::store_test {
namespace {

// In a death-test child: lose the right to write the test folder. Root writes anywhere, so it becomes
// nobody (the folder and file stay root's); anyone else gets the write bits taken away.
void become_unable_to_write(const fs::path& folder) {
  if (geteuid() == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) {
      std::fprintf(stderr, "cannot become nobody\n");
      std::_Exit(2);
    }
  } else {
    fs::permissions(folder, fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);
  }
}

[[noreturn]] void fail_child(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  std::_Exit(1);
}

class ReadOnlyStoreTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    // nobody must be able to reach and read the database.
    fs::permissions(m_dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                               fs::perms::others_read | fs::perms::others_exec);
  }
  void TearDown() override {
    fs::permissions(m_dir, fs::perms::owner_all, fs::perm_options::add);
    StoreTest::TearDown();
  }
};

// Used to fail as "readonly database (SQL: PRAGMA user_version)" for every command, `runs` included.
TEST_F(ReadOnlyStoreTest, ReadingCommandsWorkAndWritingOnesNameTheFolder) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  int64_t run = 0;
  {
    Store store(db_path());
    run = store.create_run(make_run("r"));
    const fs::path file = fs::path(store.run_folder(run)) / "c.zlck";
    fs::create_directories(file.parent_path());
    std::ofstream(file) << "w";
    store.add_checkpoint(run, 1, 10, file.string());
    store.mark_started(run, 999999999, "cpu");  // no such process: a reaper would mark it
  }
  const std::string folder = m_dir.string();
  EXPECT_EXIT(
      {
        become_unable_to_write(m_dir);
        try {
          Store store(db_path());
          fail_child("opened for writing");
        } catch (const StoreError& error) {
          const std::string message = error.what();
          if (message.find("cannot write to " + folder + ": the folder is not writable") ==
              std::string::npos) {
            fail_child("unexpected message: " + message);
          }
        }
        try {
          Store store(db_path(), Store::Access::Read);
          if (!store.read_only() || store.list_runs().size() != 1 || !store.latest_checkpoint(run) ||
              !store.reap_dead_runs().empty() || !check_database(store).ok() ||
              store.find_run(run)->status != RunStatus::Running) {
            fail_child("the read-only store read wrongly");
          }
        } catch (const std::exception& error) {
          fail_child(std::string("read-only open failed: ") + error.what());
        }
        std::fprintf(stderr, "child ok\n");
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "child ok");
}

TEST_F(ReadOnlyStoreTest, AnOldSchemaThatCannotBeWrittenSaysSo) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(db_path().c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
              SQLITE_OK);
    std::vector<Migration> five(schema_migrations().begin(), schema_migrations().begin() + 5);
    apply_migrations(db, db_path(), five);
    sqlite3_close_v2(db);
  }
  EXPECT_EXIT(
      {
        become_unable_to_write(m_dir);
        try {
          Store store(db_path(), Store::Access::Read);
          fail_child("an old schema was opened read-only");
        } catch (const StoreError& error) {
          std::fprintf(stderr, "%s\n", error.what());
          std::_Exit(0);
        }
      },
      ::testing::ExitedWithCode(0), "schema version is 5 and this zoolab needs version 6.*not writable");
}

TEST_F(StoreTest, AReadingStoreOnAWritableDatabaseStillWritesAndCreates) {
  Store store(db_path(), Store::Access::Read);
  EXPECT_FALSE(store.read_only());
  EXPECT_GT(store.create_run(make_run("r")), 0);
  EXPECT_EQ(raw_query(db_path(), "PRAGMA user_version"), std::to_string(Store::kSchemaVersion));
}

}  // namespace
}  // namespace zoolab::store_test
