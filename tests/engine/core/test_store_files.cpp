// The files a run database owns ("<db>.files"): recorded relative to that folder, and never deleted,
// read or copied from outside it (a copied database, an edited row, "..", a symlink out).

#include <sqlite3.h>

#include <fstream>
#include <string>
#include <vector>

#include "engine/store/contained_path.h"
#include "engine/store/database_merge.h"
#include "engine/store/migrations.h"
#include "tests/engine/core/store_test_support.h"

namespace zoolab::store_test {
namespace {

void touch(const fs::path& path, const std::string& text = "x") {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  return text;
}

// A run with one checkpoint file in its folder, as the trainer leaves it.
int64_t run_with_checkpoint(Store& store, const std::string& name, fs::path* checkpoint = nullptr) {
  const int64_t run = store.create_run(make_run(name));
  const fs::path file = fs::path(store.run_folder(run)) / "checkpoint-e0001-s00000010.zlck";
  touch(file, "weights of " + name);
  store.add_checkpoint(run, 1, 10, file.string());
  if (checkpoint != nullptr) {
    *checkpoint = file;
  }
  return run;
}

TEST(ContainedPath, AcceptsOnlyPathsBelowTheFolder) {
  const test_support::TempDir temp("zoolab-contained");
  const fs::path& root = temp.path();
  fs::create_directories(root / "files" / "runs" / "1");
  fs::create_directories(root / "outside");
  fs::create_directory_symlink(root / "outside", root / "files" / "escape");
  const fs::path files = root / "files";
  EXPECT_TRUE(contained_path(files / "runs" / "1" / "a.zlck", files).has_value());
  EXPECT_TRUE(contained_path("runs/1/a.zlck", files).has_value());  // relative: to the folder
  EXPECT_EQ(relative_inside(files / "runs" / "1" / "a.zlck", files), "runs/1/a.zlck");
  EXPECT_FALSE(contained_path(files, files).has_value());
  EXPECT_FALSE(contained_path("../outside/x", files).has_value());
  EXPECT_FALSE(contained_path(files / "runs" / ".." / ".." / "outside" / "x", files).has_value());
  EXPECT_FALSE(contained_path(root / "files-other" / "x", files).has_value()) << "a prefix is not a folder";
  EXPECT_FALSE(contained_path(files / "escape" / "x", files).has_value()) << "a symlink out";
  EXPECT_FALSE(contained_path("/etc/passwd", files).has_value());
  EXPECT_TRUE(removable_inside(files / "runs" / "1", files));
  EXPECT_FALSE(removable_inside(files / "escape" / "x", files));
}

// `cp a.sqlite b.sqlite; zoolab-cli delete 1 --db b.sqlite` removed a's checkpoint: b's row held a's
// absolute path.
TEST_F(StoreTest, DeletingARunOfACopiedDatabaseLeavesTheOriginalsFiles) {
  fs::path original;
  {
    Store a((m_dir / "a.sqlite").string());
    run_with_checkpoint(a, "r", &original);
  }
  fs::copy_file(m_dir / "a.sqlite", m_dir / "b.sqlite");
  {
    Store b((m_dir / "b.sqlite").string());
    const auto checkpoint = b.latest_checkpoint(1);
    ASSERT_TRUE(checkpoint.has_value());
    EXPECT_EQ(checkpoint->recorded_path, "runs/1/checkpoint-e0001-s00000010.zlck");
    EXPECT_EQ(fs::path(checkpoint->path).parent_path(), fs::weakly_canonical(b.run_folder(1)))
        << "b's row resolves inside b's own files folder";
    b.delete_run(1);
  }
  EXPECT_TRUE(fs::exists(original)) << "deleting in the copy removed the original's checkpoint";
  Store a((m_dir / "a.sqlite").string());
  EXPECT_EQ(read_text(a.latest_checkpoint(1)->path), "weights of r");
}

// An edited row (or one of an older database) naming a folder elsewhere must not make delete_run remove
// that tree.
TEST_F(StoreTest, DeleteRunLeavesRecordedPathsOutsideTheRunsFolderInPlace) {
  Store store(db_path());
  const int64_t run = run_with_checkpoint(store, "r");
  const int64_t other = run_with_checkpoint(store, "other");
  const fs::path precious = m_dir / "precious";
  touch(precious / "thesis.tex");
  const fs::path other_file = fs::path(store.run_folder(other)) / "checkpoint-e0001-s00000010.zlck";
  raw_exec(db_path(), "INSERT INTO checkpoints (run_id, epoch, step, path, created_at) VALUES (" +
                          std::to_string(run) + ", 1, 1, '" + precious.string() + "', 'x'), (" +
                          std::to_string(run) + ", 1, 2, 'runs/" + std::to_string(run) +
                          "/../../../precious', 'x'), (" + std::to_string(run) + ", 1, 3, '" +
                          other_file.string() + "', 'x')");

  const FileCleanup plan = store.planned_run_deletion(run);
  EXPECT_EQ(plan.removed, std::vector<std::string>{store.run_folder(run)});
  ASSERT_EQ(plan.skipped.size(), 2u);  // precious (named twice, listed once) and the other run's file
  EXPECT_NE(plan.skipped[0].find(precious.string()), std::string::npos) << plan.skipped[0];
  EXPECT_NE(plan.skipped[0].find("left in place"), std::string::npos) << plan.skipped[0];
  EXPECT_TRUE(fs::exists(store.run_folder(run))) << "planning deleted something";

  const FileCleanup done = store.delete_run(run);
  EXPECT_EQ(done.removed, plan.removed);
  EXPECT_EQ(done.skipped, plan.skipped);
  EXPECT_TRUE(fs::exists(precious / "thesis.tex"));
  EXPECT_TRUE(fs::exists(other_file)) << "another run's checkpoint was removed";
  EXPECT_FALSE(fs::exists(store.run_folder(run)));
}

// A run folder that is a symlink out of the files folder is not followed by delete_run.
TEST_F(StoreTest, DeleteRunDoesNotFollowASymlinkedRunFolder) {
  Store store(db_path());
  const int64_t run = store.create_run(make_run("r"));
  const fs::path elsewhere = m_dir / "elsewhere";
  touch(elsewhere / "keep.txt");
  fs::create_directories(fs::path(store.run_folder(run)).parent_path());
  fs::create_directory_symlink(elsewhere, store.run_folder(run));
  const FileCleanup done = store.delete_run(run);
  EXPECT_TRUE(done.removed.empty());
  ASSERT_EQ(done.skipped.size(), 1u);
  EXPECT_TRUE(fs::exists(elsewhere / "keep.txt"));
}

TEST_F(StoreTest, CheckpointRotationRemovesOnlyFilesInTheRunsFolder) {
  Store store(db_path());
  fs::path first;
  const int64_t run = run_with_checkpoint(store, "r", &first);
  const fs::path outside = m_dir / "notes.txt";
  touch(outside);
  raw_exec(db_path(), "INSERT INTO checkpoints (run_id, epoch, step, path, created_at) VALUES (" +
                          std::to_string(run) + ", 0, 5, '" + outside.string() + "', 'x')");
  const fs::path second = fs::path(store.run_folder(run)) / "checkpoint-e0002-s00000020.zlck";
  touch(second);
  const int64_t keep = store.add_checkpoint(run, 2, 20, second.string());
  const FileCleanup cleanup = store.remove_checkpoints_except(run, keep);
  EXPECT_EQ(cleanup.removed, std::vector<std::string>{first.string()});
  ASSERT_EQ(cleanup.skipped.size(), 1u);
  EXPECT_NE(cleanup.skipped[0].find(outside.string()), std::string::npos) << cleanup.skipped[0];
  EXPECT_TRUE(fs::exists(outside));
  EXPECT_FALSE(fs::exists(first));
  EXPECT_TRUE(fs::exists(second));
  EXPECT_EQ(store.latest_checkpoint(run)->id, keep);
  EXPECT_EQ(raw_query(db_path(), "SELECT count(*) FROM checkpoints"), "1");

  // Rewritten at the same step, a checkpoint has the kept one's name: the rotation keeps that file.
  const int64_t again = store.add_checkpoint(run, 2, 20, second.string());
  EXPECT_TRUE(store.remove_checkpoints_except(run, again).removed.empty());
  EXPECT_TRUE(fs::exists(second));
}

TEST_F(StoreTest, CheckpointsAreRecordedRelativeAndOnlyInsideTheRunsFolder) {
  Store store(db_path());
  const int64_t run = store.create_run(make_run("r"));
  const int64_t other = store.create_run(make_run("other"));
  const std::string inside = (fs::path(store.run_folder(run)) / "c.zlck").string();
  store.add_checkpoint(run, 1, 10, inside);
  EXPECT_EQ(raw_query(db_path(), "SELECT path FROM checkpoints"), "runs/" + std::to_string(run) + "/c.zlck");
  EXPECT_EQ(store.latest_checkpoint(run)->path, fs::weakly_canonical(inside).string());
  for (const std::string& bad : {(m_dir / "c.zlck").string(), std::string("/etc/passwd"),
                                 (fs::path(store.run_folder(other)) / "c.zlck").string(),
                                 (fs::path(store.run_folder(run)) / ".." / ".." / ".." / "x").string()}) {
    try {
      store.add_checkpoint(run, 1, 11, bad);
      ADD_FAILURE() << bad << " was recorded";
    } catch (const StoreError& error) {
      EXPECT_NE(std::string(error.what()).find("not inside the run's folder"), std::string::npos)
          << error.what();
    }
  }
  // A row that leads outside is refused when read, naming the path and the folder.
  raw_exec(db_path(), "UPDATE checkpoints SET path = '../elsewhere.zlck'");
  try {
    store.latest_checkpoint(run);
    FAIL() << "a checkpoint outside the files folder was resolved";
  } catch (const StoreError& error) {
    EXPECT_NE(std::string(error.what()).find("../elsewhere.zlck"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find(store.files_dir()), std::string::npos) << error.what();
  }
  EXPECT_THROW(store.resolve_file("/etc/passwd"), StoreError);
  EXPECT_THROW(store.resolve_file(""), StoreError);
}

// A relative --db used to record checkpoint paths relative to the working folder of the day.
TEST_F(StoreTest, RelativeDatabasePathIsMadeAbsoluteOnce) {
  const fs::path before = fs::current_path();
  fs::create_directories(m_dir / "work");
  fs::current_path(m_dir / "work");
  std::string path;
  {
    Store store("../rel.sqlite");
    path = store.path();
    run_with_checkpoint(store, "r");
  }
  fs::current_path(before);
  EXPECT_EQ(path, (m_dir / "rel.sqlite").string());
  Store store((m_dir / "rel.sqlite").string());
  EXPECT_EQ(read_text(store.latest_checkpoint(1)->path), "weights of r");
}

// Schema 5 recorded absolute paths; version 6 makes those inside the files folder relative and leaves
// the others, which the store then refuses.
TEST_F(StoreTest, VersionFiveDatabaseGetsRelativeCheckpointPaths) {
  const fs::path files = db_path() + ".files";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(db_path().c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
              SQLITE_OK);
    std::vector<Migration> five(schema_migrations().begin(), schema_migrations().begin() + 5);
    apply_migrations(db, db_path(), five);
    ASSERT_EQ(read_user_version(db), 5);
    sqlite3_close_v2(db);
  }
  raw_exec(
      db_path(),
      "INSERT INTO runs (name, created_at, uid) VALUES ('a', 'x', 'u1'), ('b', 'x', 'u2'), ('c', 'x', 'u3');"
      "INSERT INTO checkpoints (run_id, epoch, step, path, created_at) VALUES "
      "(1, 1, 10, '" +
          (files / "runs" / "1" / "c1.zlck").string() +
          "', 'x'),"
          "(2, 1, 10, '/elsewhere/other.sqlite.files/runs/2/c2.zlck', 'x'),"
          "(3, 1, 10, 'some/dir/runs.sqlite.files/runs/3/c3.zlck', 'x');");
  touch(files / "runs" / "1" / "c1.zlck", "one");
  touch(files / "runs" / "3" / "c3.zlck", "three");
  Store store(db_path());
  EXPECT_TRUE(fs::exists(db_path() + ".backup-v5"));
  EXPECT_EQ(raw_query(db_path(), "SELECT path FROM checkpoints WHERE run_id = 1"), "runs/1/c1.zlck");
  EXPECT_EQ(raw_query(db_path(), "SELECT path FROM checkpoints WHERE run_id = 2"),
            "/elsewhere/other.sqlite.files/runs/2/c2.zlck");
  EXPECT_EQ(raw_query(db_path(), "SELECT path FROM checkpoints WHERE run_id = 3"), "runs/3/c3.zlck");
  ASSERT_TRUE(store.latest_checkpoint(1) && store.latest_checkpoint(3));
  EXPECT_EQ(read_text(store.latest_checkpoint(1)->path), "one");
  EXPECT_EQ(read_text(store.latest_checkpoint(3)->path), "three");
  EXPECT_THROW(store.latest_checkpoint(2), StoreError);
  EXPECT_TRUE(store.integrity_ok());
}

class MergeFilesTest : public StoreTest {
 protected:
  std::string path(const std::string& name) const { return (m_dir / name).string(); }
};

// `db merge` copied any readable file a source named (/etc/shadow as root, with its mode).
TEST_F(MergeFilesTest, OnlyFilesInsideTheSourcesFilesFolderAreCopied) {
  const fs::path secret = m_dir / "secret.txt";
  touch(secret, "secret");
  {
    Store a(path("a.sqlite"));
    run_with_checkpoint(a, "good");
    const int64_t bad = a.create_run(make_run("bad"));
    raw_exec(a.path(), "INSERT INTO checkpoints (run_id, epoch, step, path, created_at) VALUES (" +
                           std::to_string(bad) + ", 1, 10, '" + secret.string() + "', 'x')");
    // A log that is a symlink out of the files folder.
    fs::create_directories(fs::path(a.files_dir()) / "logs");
    fs::create_symlink(secret, fs::path(a.files_dir()) / "logs" / ("run-" + std::to_string(bad) + ".log"));
  }
  Store out(path("out.sqlite"));
  const auto report = merge_database(out, path("a.sqlite"));
  EXPECT_EQ(report.runs_copied, 2);
  EXPECT_EQ(report.checkpoints_copied, 1);
  ASSERT_EQ(report.skipped.size(), 2u);
  EXPECT_NE(report.skipped[0].find(secret.string()), std::string::npos) << report.skipped[0];
  const auto bad = out.find_run("bad");
  ASSERT_TRUE(bad.has_value()) << "the run itself is merged, without the refused file";
  EXPECT_FALSE(out.latest_checkpoint(bad->id).has_value());
  for (const auto& entry : fs::recursive_directory_iterator(out.files_dir())) {
    if (entry.is_regular_file()) {
      EXPECT_NE(read_text(entry.path()), "secret")
          << entry.path() << " is a copy of a file outside the source";
    }
  }
  const auto good = out.find_run("good");
  EXPECT_EQ(read_text(out.latest_checkpoint(good->id)->path), "weights of good");
  EXPECT_EQ(raw_query(out.path(), "SELECT path FROM checkpoints"),
            "runs/" + std::to_string(good->id) + "/checkpoint-e0001-s00000010.zlck");
}

// A shard database of schema 5 moved from another machine with its files folder: its absolute paths
// name the old place, but the same files are in its own folder.
TEST_F(MergeFilesTest, AMovedOldShardStillBringsItsCheckpoints) {
  {
    Store a(path("a.sqlite"));
    run_with_checkpoint(a, "r");
    raw_exec(a.path(),
             "UPDATE checkpoints SET path = '/cluster/node3/a.sqlite.files/runs/1/"
             "checkpoint-e0001-s00000010.zlck'");
  }
  Store out(path("out.sqlite"));
  const auto report = merge_database(out, path("a.sqlite"));
  EXPECT_EQ(report.checkpoints_copied, 1);
  EXPECT_TRUE(report.skipped.empty());
  EXPECT_EQ(read_text(out.latest_checkpoint(out.find_run("r")->id)->path), "weights of r");
}

}  // namespace
}  // namespace zoolab::store_test
