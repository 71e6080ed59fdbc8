#include "engine/store/database_check.h"

#include <filesystem>
#include <system_error>

#include "engine/store/sqlite_statement.h"
#include "engine/store/store.h"
#include "engine/text/utf8.h"

namespace zoolab {

namespace fs = std::filesystem;

DatabaseCheck check_database(const Store& store) {
  DatabaseCheck check;
  {
    // The full check, not quick_check: a damaged index (rows missing from it) is what quick_check skips.
    SqliteStatement integrity(store.handle(), "PRAGMA integrity_check");
    while (integrity.step()) {
      const std::string row = integrity.column_utf8(0);
      if (row != "ok") {
        check.problems.push_back({"integrity", row});
      }
    }
  }
  {
    SqliteStatement foreign_keys(store.handle(), "PRAGMA foreign_key_check");
    while (foreign_keys.step()) {
      check.problems.push_back({"foreign_key", "row " + std::to_string(foreign_keys.column_int64(1)) +
                                                   " of " + foreign_keys.column_utf8(0) +
                                                   " refers to a missing row of " +
                                                   foreign_keys.column_utf8(2)});
    }
  }
  const auto runs = store.list_runs();
  check.runs = static_cast<int64_t>(runs.size());
  for (const auto& run : runs) {
    for (const auto& checkpoint : store.recorded_checkpoints(run.id)) {
      ++check.checkpoints;
      const std::string what = "checkpoint " + std::to_string(checkpoint.id) + " of run " +
                               std::to_string(run.id) + " (" + escape_for_terminal(checkpoint.recorded_path) +
                               ")";
      if (fs::path(checkpoint.recorded_path).is_absolute()) {
        check.problems.push_back(
            {"absolute_path",
             what + ": an absolute path; the database records its files relative to " + store.files_dir()});
      }
      std::error_code error;
      if (checkpoint.path.empty()) {
        check.problems.push_back(
            {"outside_files_folder",
             what + ": lies outside " + store.files_dir() +
                 " (symlinks resolved); zoolab refuses to read or delete it (a database "
                 "copied with cp names the original's files: use `zoolab-cli db copy`)"});
      } else if (!fs::is_regular_file(checkpoint.path, error)) {
        check.problems.push_back({"missing_file", what + ": no such file at " +
                                                      escape_for_terminal(checkpoint.path) +
                                                      "; the run cannot be resumed or exported from it"});
      }
    }
  }
  return check;
}

}  // namespace zoolab
