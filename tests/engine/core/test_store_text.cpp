// Every text the run database stores and returns is valid UTF-8: a loader error quoting a damaged
// file's bytes once made `runs --json` and `show --json` fail for the whole database.

#include <nlohmann/json.hpp>

#include <string>

#include "engine/text/utf8.h"
#include "tests/engine/core/store_test_support.h"

namespace zoolab::store_test {
namespace {

const std::string kBad = "bytes \xff\xfe and \xc3(";  // invalid UTF-8
const std::string kRepaired = "bytes \\xff\\xfe and \\xc3(";

bool valid(const std::string& text) {
  return !first_invalid_utf8(text).has_value();
}

TEST_F(StoreTest, TextsAreStoredAsValidUtf8) {
  Store store(db_path());
  NewRun fresh = make_run("run " + kBad);
  const int64_t run = store.create_run(fresh);
  store.set_status(run, RunStatus::Failed, "cannot load shard: " + kBad);
  store.set_run_annotations(run, "tag " + kBad, "note " + kBad, "#fff");
  store.append_metrics({point(run, "key " + kBad, 1, 1.0)});
  store.add_sweep_runs("sweep " + kBad, "{}", {make_run("point " + kBad)});
  for (const char* sql : {"SELECT name FROM runs WHERE id = 1", "SELECT error FROM runs WHERE id = 1",
                          "SELECT tags FROM runs WHERE id = 1", "SELECT notes FROM runs WHERE id = 1",
                          "SELECT key FROM metrics", "SELECT key FROM run_summary", "SELECT name FROM sweeps",
                          "SELECT name FROM runs WHERE id = 2"}) {
    const std::string stored = raw_query(db_path(), sql);
    EXPECT_TRUE(valid(stored)) << sql;
    EXPECT_NE(stored.find(kRepaired), std::string::npos) << sql << ": " << stored;
  }
  EXPECT_EQ(store.find_run(run)->error, "cannot load shard: " + kRepaired);
  // The same name again finds the same sweep and point (compared in stored form).
  const auto again = store.add_sweep_runs("sweep " + kBad, "{}", {make_run("point " + kBad)});
  EXPECT_EQ(again.already_present, 1);
  store.rename_run(run, "renamed " + kBad);
  EXPECT_TRUE(valid(raw_query(db_path(), "SELECT name FROM runs WHERE id = 1")));
}

// A row written by an older zoolab or another program is repaired when read, so listings never fail.
TEST_F(StoreTest, AnOldRowWithInvalidUtf8IsRepairedWhenRead) {
  Store store(db_path());
  const int64_t run = store.create_run(make_run("r"));
  store.append_metrics({point(run, "train/loss", 1, 1.0)});
  raw_exec(db_path(),
           "UPDATE runs SET error = CAST(X'41FF42' AS TEXT), name = CAST(X'6E1BFF' AS TEXT);"
           "UPDATE run_summary SET key = CAST(X'6BFE' AS TEXT);"
           "INSERT INTO sweeps (name, spec_json, created_at) VALUES (CAST(X'73C0' AS TEXT), '{}', 'x');");
  const auto record = store.find_run(run);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->error, "A\\xffB");
  EXPECT_EQ(record->name, "n\x1b\\xff");
  EXPECT_EQ(store.summary(run).front().key, "k\\xfe");
  EXPECT_EQ(store.list_sweeps().front().name, "s\\xc0");
  nlohmann::json listing = nlohmann::json::array();
  for (const auto& r : store.list_runs()) {
    listing.push_back({{"name", r.name}, {"error", r.error}});
  }
  EXPECT_NO_THROW(listing.dump());
}

}  // namespace
}  // namespace zoolab::store_test
