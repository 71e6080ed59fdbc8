// `db check` finds what is wrong with a run database; `db copy` gives a copy that owns its files; both
// `db copy` and `db merge` write under a temporary name, so a failure leaves nothing behind.

#include <fstream>
#include <string>

#include "engine/store/database_check.h"
#include "engine/store/database_copy.h"
#include "engine/store/staged_database.h"
#include "tests/engine/core/store_test_support.h"

namespace zoolab::store_test {
namespace {

int64_t run_with_checkpoint(Store& store, const std::string& name) {
  const int64_t run = store.create_run(make_run(name));
  const fs::path file = fs::path(store.run_folder(run)) / "c.zlck";
  fs::create_directories(file.parent_path());
  std::ofstream(file) << "weights of " << name;
  store.add_checkpoint(run, 1, 10, file.string());
  return run;
}

bool has_problem(const DatabaseCheck& check, const std::string& kind, const std::string& text) {
  for (const auto& problem : check.problems) {
    if (problem.kind == kind && problem.message.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// Leftovers of a staged database beside `folder`'s files.
int partial_files(const fs::path& folder) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(folder)) {
    count += entry.path().filename().string().find(".partial-") != std::string::npos;
  }
  return count;
}

TEST_F(StoreTest, CheckFindsMissingAbsoluteAndOutsideCheckpoints) {
  Store store(db_path());
  const int64_t a = run_with_checkpoint(store, "a");
  const int64_t b = run_with_checkpoint(store, "b");
  const int64_t c = run_with_checkpoint(store, "c");
  const int64_t d = run_with_checkpoint(store, "d");
  DatabaseCheck check = check_database(store);
  EXPECT_TRUE(check.ok());
  EXPECT_EQ(check.runs, 4);
  EXPECT_EQ(check.checkpoints, 4);

  fs::remove(fs::path(store.run_folder(a)) / "c.zlck");
  raw_exec(db_path(), "UPDATE checkpoints SET path = '" +
                          (fs::path(store.run_folder(b)) / "c.zlck").string() +
                          "' WHERE run_id = " + std::to_string(b));
  raw_exec(db_path(), "UPDATE checkpoints SET path = '/etc/passwd' WHERE run_id = " + std::to_string(c));
  check = check_database(store);
  EXPECT_FALSE(check.ok());
  EXPECT_TRUE(has_problem(check, "missing_file", "run " + std::to_string(a)));
  EXPECT_TRUE(has_problem(check, "absolute_path", "run " + std::to_string(b)));
  EXPECT_TRUE(has_problem(check, "absolute_path", "/etc/passwd"));
  EXPECT_TRUE(has_problem(check, "outside_files_folder", "/etc/passwd"));
  EXPECT_FALSE(has_problem(check, "missing_file", "run " + std::to_string(d)));
  EXPECT_EQ(check.problems.size(), 4u);
}

// A damaged index was read and trained into without notice.
TEST_F(StoreTest, CheckFindsACorruptIndex) {
  {
    Store store(db_path());
    store.create_run(make_run("name-that-is-not-the-task"));
  }
  // The index's rows were built for runs(name); declaring it on runs(task) makes every entry wrong.
  raw_exec(db_path(),
           "PRAGMA writable_schema = ON;"
           "UPDATE sqlite_master SET sql = 'CREATE INDEX runs_by_name ON runs(task)' WHERE name = "
           "'runs_by_name';");
  Store store(db_path());
  EXPECT_FALSE(store.integrity_ok());
  const DatabaseCheck check = check_database(store);
  EXPECT_TRUE(has_problem(check, "integrity", "runs_by_name"))
      << (check.problems.empty() ? "" : check.problems[0].message);
}

TEST_F(StoreTest, CopyOwnsItsFilesAndLeavesTheSourceAlone) {
  const std::string source = db_path();
  const std::string copy = (m_dir / "copy.sqlite").string();
  {
    Store store(source);
    run_with_checkpoint(store, "a");
    run_with_checkpoint(store, "b");
    fs::create_directories(fs::path(store.files_dir()) / "logs");
    std::ofstream(fs::path(store.files_dir()) / "logs" / "run-1.log") << "log";
  }
  const CopyReport report = copy_database(source, copy);
  EXPECT_EQ(report.runs, 2);
  EXPECT_EQ(report.files_copied, 3);
  EXPECT_TRUE(report.skipped.empty());
  EXPECT_EQ(partial_files(m_dir), 0);
  {
    Store copied(copy);
    EXPECT_TRUE(copied.integrity_ok());
    EXPECT_EQ(copied.list_runs().size(), 2u);
    const auto checkpoint = copied.latest_checkpoint(1);
    ASSERT_TRUE(checkpoint.has_value());
    EXPECT_EQ(fs::path(checkpoint->path).parent_path(), fs::weakly_canonical(copied.run_folder(1)));
    EXPECT_TRUE(fs::exists(fs::path(copied.files_dir()) / "logs" / "run-1.log"));
    copied.delete_run(1);
  }
  Store original(source);
  EXPECT_EQ(original.list_runs().size(), 2u);
  EXPECT_TRUE(fs::exists(original.latest_checkpoint(1)->path));
  EXPECT_TRUE(fs::exists(fs::path(original.files_dir()) / "logs" / "run-1.log"));

  // An existing destination, or its files folder, is refused and left as it was.
  try {
    copy_database(source, copy);
    FAIL() << "copied over an existing database";
  } catch (const StoreError& error) {
    EXPECT_NE(std::string(error.what()).find("already exists"), std::string::npos) << error.what();
  }
  fs::create_directories(m_dir / "other.sqlite.files");
  EXPECT_THROW(copy_database(source, (m_dir / "other.sqlite").string()), StoreError);
  EXPECT_FALSE(fs::exists(m_dir / "other.sqlite"));
}

TEST_F(StoreTest, AFailedCopyLeavesNothingBehind) {
  const fs::path not_a_database = m_dir / "notes.sqlite";
  std::ofstream(not_a_database)
      << "this is not an SQLite database, but long enough to look like a header......";
  const std::string destination = (m_dir / "copy.sqlite").string();
  EXPECT_THROW(copy_database(not_a_database.string(), destination), StoreError);
  EXPECT_FALSE(fs::exists(destination));
  EXPECT_FALSE(fs::exists(destination + ".files"));
  EXPECT_EQ(partial_files(m_dir), 0);
  EXPECT_THROW(copy_database((m_dir / "missing.sqlite").string(), destination), StoreError);
}

TEST_F(StoreTest, AStagedDatabaseAppearsOnlyWhenCommitted) {
  const std::string destination = (m_dir / "out.sqlite").string();
  {
    StagedDatabase staged(destination);
    {
      Store store(staged.path());
      run_with_checkpoint(store, "a");
    }
    EXPECT_FALSE(fs::exists(destination));
  }
  EXPECT_EQ(partial_files(m_dir), 0) << "an abandoned staged database was left behind";
  {
    StagedDatabase staged(destination);
    {
      Store store(staged.path());
      run_with_checkpoint(store, "a");
    }
    staged.commit();
  }
  EXPECT_EQ(partial_files(m_dir), 0);
  EXPECT_FALSE(fs::exists(destination + "-wal"));
  Store store(destination);
  EXPECT_EQ(store.list_runs().size(), 1u);
  EXPECT_TRUE(fs::exists(store.latest_checkpoint(1)->path));
  EXPECT_THROW(StagedDatabase{destination}, StoreError);
}

}  // namespace
}  // namespace zoolab::store_test
