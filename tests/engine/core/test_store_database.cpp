// The run database file: schema versions and migrations, connection settings, concurrent access,
// integrity and the default location.

#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/store/migrations.h"
#include "engine/store/store.h"
#include "tests/engine/core/store_test_support.h"

namespace zoolab::store_test {
namespace {

TEST_F(StoreTest, RefusesNewerSchema) {
  raw_exec(db_path(), "CREATE TABLE future (x); PRAGMA user_version = 99;");
  try {
    Store store(db_path());
    FAIL() << "a database from a newer schema was opened";
  } catch (const StoreError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("99"), std::string::npos) << message;
    EXPECT_NE(message.find("newer zoolab"), std::string::npos) << message;
    EXPECT_NE(message.find(db_path()), std::string::npos) << message;
  }
  // Untouched: same version, not switched to WAL, no tables added.
  EXPECT_EQ(raw_query(db_path(), "PRAGMA user_version"), "99");
  EXPECT_EQ(raw_query(db_path(), "PRAGMA journal_mode"), "delete");
  EXPECT_EQ(raw_query(db_path(), "SELECT count(*) FROM sqlite_master WHERE name = 'runs'"), "0");
}

TEST_F(StoreTest, MigratesVersionZeroFile) {
  raw_exec(db_path(), "CREATE TABLE unrelated (x); INSERT INTO unrelated VALUES (1);");
  ASSERT_EQ(raw_query(db_path(), "PRAGMA user_version"), "0");
  {
    Store store(db_path());
    EXPECT_GT(store.create_run(make_run("r")), 0);
  }
  EXPECT_EQ(raw_query(db_path(), "PRAGMA user_version"), std::to_string(Store::kSchemaVersion));
  for (const char* table : {"runs", "metrics", "run_summary", "checkpoints", "sweeps", "workers"}) {
    EXPECT_EQ(raw_query(db_path(),
                        std::string("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '") +
                            table + "'"),
              "1")
        << table;
  }
  EXPECT_EQ(raw_query(db_path(), "SELECT x FROM unrelated"), "1");
  EXPECT_FALSE(fs::exists(db_path() + ".backup-v0")) << "a version-0 file has nothing to back up";
  // Reopening an up-to-date database is a no-op that keeps the data.
  Store again(db_path());
  EXPECT_EQ(again.list_runs().size(), 1u);
}

TEST_F(StoreTest, MigrationBacksUpAndFailedMigrationKeepsVersion) {
  {
    Store store(db_path());
    store.create_run(make_run("before-upgrade"));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path().c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);

  std::vector<Migration> broken = schema_migrations();
  broken.push_back({Store::kSchemaVersion + 1, "ALTER TABLE runs ADD COLUMN extra TEXT; THIS IS NOT SQL;"});
  EXPECT_THROW(apply_migrations(db, db_path(), broken), StoreError);
  EXPECT_EQ(read_user_version(db), Store::kSchemaVersion) << "a failed migration must roll back";

  std::vector<Migration> upgraded = schema_migrations();
  upgraded.push_back({Store::kSchemaVersion + 1, "ALTER TABLE runs ADD COLUMN extra TEXT;"});
  apply_migrations(db, db_path(), upgraded);
  EXPECT_EQ(read_user_version(db), Store::kSchemaVersion + 1);
  sqlite3_close_v2(db);

  const std::string backup = db_path() + ".backup-v" + std::to_string(Store::kSchemaVersion);
  ASSERT_TRUE(fs::exists(backup));
  EXPECT_EQ(raw_query(backup, "PRAGMA user_version"), std::to_string(Store::kSchemaVersion));
  EXPECT_EQ(raw_query(backup, "SELECT name FROM runs"), "before-upgrade");
  // This build now meets a newer schema and refuses it.
  EXPECT_THROW(Store{db_path()}, StoreError);
}

TEST_F(StoreTest, ConnectionSettings) {
  Store store(db_path());
  auto pragma = [&](const char* sql) { return raw_query(db_path(), sql); };
  EXPECT_EQ(pragma("PRAGMA journal_mode"), "wal");
  EXPECT_TRUE(fs::exists(db_path() + "-wal") || fs::exists(db_path() + "-shm"));

  // Connection-level settings, read through the store's own handle.
  auto own = [&](const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(store.handle(), sql, -1, &stmt, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    const int64_t value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
  };
  EXPECT_EQ(own("PRAGMA foreign_keys"), 1);
  EXPECT_EQ(own("PRAGMA busy_timeout"), 5000);
  EXPECT_EQ(own("PRAGMA synchronous"), 1);  // NORMAL

  const std::string files = store.files_dir();
  EXPECT_EQ(files, db_path() + ".files");
  EXPECT_TRUE(fs::is_directory(files));
}

TEST_F(StoreTest, TwoStoresOnOneFileWriteAndReadConcurrently) {
  Store writer(db_path());
  Store reader(db_path());
  const int64_t run = writer.create_run(make_run("shared"));
  ASSERT_TRUE(reader.find_run(run).has_value());

  constexpr int kBatches = 50;
  std::thread producer([&] {
    for (int i = 0; i < kBatches; ++i) {
      writer.append_metrics(
          {point(run, "train/loss", i, 1.0 / (i + 1)), point(run, "valid/accuracy", i, 0.01 * i)});
      writer.set_progress(run, i, i);
    }
  });
  std::vector<MetricPoint> seen;
  int64_t cursor = 0;
  for (int polls = 0; polls < 100000 && seen.size() < 2 * kBatches; ++polls) {
    for (const auto& p : reader.metrics_since(cursor)) {
      seen.push_back(p);
      cursor = p.id;
    }
  }
  producer.join();
  for (const auto& p : reader.metrics_since(cursor)) {
    seen.push_back(p);
  }
  ASSERT_EQ(seen.size(), 2u * kBatches);
  for (size_t i = 1; i < seen.size(); ++i) {
    EXPECT_LT(seen[i - 1].id, seen[i].id);
  }
  EXPECT_EQ(reader.find_run(run)->steps, kBatches - 1);
  const auto summaries = reader.summary(run);
  const MetricSummary* loss = find_summary(summaries, "train/loss");
  ASSERT_NE(loss, nullptr);
  EXPECT_EQ(loss->last_step, kBatches - 1);
  EXPECT_DOUBLE_EQ(loss->best, 1.0 / kBatches);
}

TEST_F(StoreTest, IntegrityCheck) {
  {
    Store store(db_path());
    const int64_t run = store.create_run(make_run("r"));
    std::vector<MetricPoint> points;
    for (int i = 0; i < 2000; ++i) {
      points.push_back(point(run, "train/loss", i, 1.0 / (i + 1)));
    }
    store.append_metrics(points);
    EXPECT_TRUE(store.integrity_ok());
  }
  // Corrupt the index over metrics: drop it behind SQLite's back so the table no longer matches it.
  raw_exec(
      db_path(),
      "PRAGMA writable_schema = ON; "
      "UPDATE sqlite_master SET sql = 'CREATE INDEX metrics_by_run_key_step ON metrics(run_id, key, value)' "
      "WHERE name = 'metrics_by_run_key_step';");
  Store store(db_path());
  EXPECT_FALSE(store.integrity_ok());
}

TEST(DefaultDatabasePathTest, FollowsEnvironment) {
  auto saved = [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    return value ? std::optional<std::string>(value) : std::nullopt;
  };
  const auto db = saved("ZOOLAB_DB"), xdg = saved("XDG_DATA_HOME"), home = saved("HOME");

  setenv("ZOOLAB_DB", "/tmp/explicit.sqlite", 1);
  setenv("XDG_DATA_HOME", "/xdg", 1);
  setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(default_database_path(), "/tmp/explicit.sqlite");
  unsetenv("ZOOLAB_DB");
  EXPECT_EQ(default_database_path(), "/xdg/zoolab/zoolab.sqlite");
  unsetenv("XDG_DATA_HOME");
  EXPECT_EQ(default_database_path(), "/home/someone/.local/share/zoolab/zoolab.sqlite");

  auto restore = [](const char* name, const std::optional<std::string>& value) {
    if (value) {
      setenv(name, value->c_str(), 1);
    } else {
      unsetenv(name);
    }
  };
  restore("ZOOLAB_DB", db);
  restore("XDG_DATA_HOME", xdg);
  restore("HOME", home);
}
}  // namespace
}  // namespace zoolab::store_test
