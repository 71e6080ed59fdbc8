#pragma once

// Shared fixture and helpers of the run database tests (test_store*.cpp).

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "engine/store/records.h"
#include "engine/store/store.h"
#include "tests/support/temp_dir.h"

// A named namespace: gtest requires every TEST_F of a suite to share one fixture type across files.
namespace zoolab::store_test {

namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  std::string db_path() const { return m_temp.file("runs.sqlite"); }

  test_support::TempDir m_temp{"zoolab-store"};
  const fs::path& m_dir = m_temp.path();
};

inline NewRun make_run(const std::string& name) {
  NewRun run;
  run.name = name;
  run.task = "mqar";
  run.mixer = "attention";
  run.config_json = R"({"seed": 7})";
  run.seed = 7;
  return run;
}

inline MetricPoint point(int64_t run, const std::string& key, int64_t step, double value) {
  MetricPoint p;
  p.run_id = run;
  p.key = key;
  p.step = step;
  p.value = value;
  p.epoch = step / 10;
  p.wall_time = 0.5 * static_cast<double>(step);
  return p;
}

inline const MetricSummary* find_summary(const std::vector<MetricSummary>& summaries,
                                         const std::string& key) {
  for (const auto& s : summaries) {
    if (s.key == key) {
      return &s;
    }
  }
  return nullptr;
}
// The result points into `summaries`: a temporary (find_summary(store.summary(run), ...)) would leave it
// dangling, as AddressSanitizer found.
const MetricSummary* find_summary(std::vector<MetricSummary>&& summaries, const std::string& key) = delete;

// Opens a raw connection, runs `sql` and returns the first column of the first row as text.
inline std::string raw_query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
            SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  std::string result;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
    result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close_v2(db);
  return result;
}

inline void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
            SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close_v2(db);
}

inline const std::regex kIso8601(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)");

}  // namespace zoolab::store_test
