// The text runs' per-token loss table (schema 5): one row per run that put replaces, dropped by a
// resume to an earlier step and by deleting the run, copied by `db merge`, and added to an older file.

#include <sqlite3.h>

#include <string>

#include "engine/store/database_merge.h"
#include "engine/store/migrations.h"
#include "tests/engine/core/store_test_support.h"

namespace zoolab::store_test {
namespace {

int64_t row_count(const std::string& path, int64_t run) {
  return std::stoll(
      raw_query(path, "SELECT count(*) FROM token_losses WHERE run_id = " + std::to_string(run)));
}

TEST_F(StoreTest, TokenLossesAreReplacedTruncatedAndDeleted) {
  Store store(db_path());
  const auto run = store.create_run(make_run("text"));
  const auto other = store.create_run(make_run("other"));
  EXPECT_FALSE(store.token_losses(run).has_value());

  const std::string first("ZTLS\0first", 10);  // the store keeps blobs opaque, NUL bytes included
  store.put_token_losses(run, 100, 1, first);
  EXPECT_EQ(*store.token_losses(run), first);
  store.put_token_losses(run, 200, 2, "second");
  store.put_token_losses(other, 300, 3, "other run");
  EXPECT_EQ(*store.token_losses(run), "second");  // replaced, no second row
  EXPECT_EQ(row_count(db_path(), run), 1);
  EXPECT_EQ(
      raw_query(db_path(), "SELECT step || ' ' || epoch || ' ' || bytes FROM token_losses WHERE run_id = " +
                               std::to_string(run)),
      "200 2 6");

  store.truncate_metrics_after(run, 200);  // a resume from the set's own step keeps it
  EXPECT_EQ(*store.token_losses(run), "second");
  store.truncate_metrics_after(run, 150);  // from an earlier checkpoint: the set is from the future
  EXPECT_FALSE(store.token_losses(run).has_value());
  EXPECT_EQ(*store.token_losses(other), "other run");

  store.set_status(other, RunStatus::Finished);
  store.delete_run(other);
  EXPECT_EQ(row_count(db_path(), other), 0);
  EXPECT_THROW(store.put_token_losses(12345, 1, 0, "x"), StoreError);  // no such run
}

TEST_F(StoreTest, MergeCopiesTokenLossesWithTheirRun) {
  const std::string source = (m_dir / "a.sqlite").string();
  {
    Store a(source);
    a.create_run(make_run("plain"));
    const auto run = a.create_run(make_run("text"));
    a.put_token_losses(run, 400, 4, "losses of text");
  }
  Store out((m_dir / "out.sqlite").string());
  out.create_run(make_run("first"));
  out.create_run(make_run("second"));  // so the merged runs get other ids
  merge_database(out, source);
  const auto merged = out.find_run("text");
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ(merged->id, 4);
  EXPECT_EQ(*out.token_losses(merged->id), "losses of text");
  EXPECT_FALSE(out.token_losses(out.find_run("plain")->id).has_value());
  EXPECT_EQ(raw_query(out.path(), "SELECT step FROM token_losses WHERE run_id = 4"), "400");
}

TEST_F(StoreTest, VersionFourDatabaseGainsTheTokenLossTable) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(db_path().c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
              SQLITE_OK);
    std::vector<Migration> four(schema_migrations().begin(), schema_migrations().begin() + 4);
    apply_migrations(db, db_path(), four);
    ASSERT_EQ(read_user_version(db), 4);
    sqlite3_close_v2(db);
  }
  Store store(db_path());
  EXPECT_EQ(raw_query(db_path(), "PRAGMA user_version"), std::to_string(Store::kSchemaVersion));
  EXPECT_GE(Store::kSchemaVersion, 5);
  const auto run = store.create_run(make_run("text"));
  store.put_token_losses(run, 1, 0, "blob");
  EXPECT_EQ(*store.token_losses(run), "blob");
  EXPECT_TRUE(fs::exists(db_path() + ".backup-v4"));
}

}  // namespace
}  // namespace zoolab::store_test
