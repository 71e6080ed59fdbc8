#pragma once

// `zoolab-cli db check`: is a run database sound? SQLite's own checks (a damaged page or index, a row
// whose run is gone) and the store's rule for files: every recorded checkpoint is a path relative to
// the files folder, lies inside it with symlinks resolved, and is there.

#include <cstdint>
#include <string>
#include <vector>

namespace zoolab {

class Store;

struct DatabaseProblem {
  // "integrity" (PRAGMA integrity_check), "foreign_key" (PRAGMA foreign_key_check), "absolute_path",
  // "outside_files_folder", "missing_file".
  std::string kind;
  std::string message;  // names the run, the path or the table; valid UTF-8
};

struct DatabaseCheck {
  int64_t runs = 0;
  int64_t checkpoints = 0;
  std::vector<DatabaseProblem> problems;
  bool ok() const { return problems.empty(); }
};

// Reads only; works on a read-only store. Throws StoreError when the database cannot be read at all.
DatabaseCheck check_database(const Store& store);

}  // namespace zoolab
