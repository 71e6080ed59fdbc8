#pragma once

// `zoolab-cli db copy SRC DST`: a copy of a run database that owns its own files. Copying the .sqlite
// file alone (cp) gives a database whose runs have no files: every path it records is relative to its
// own "<db>.files" folder, which cp does not bring along.

#include <cstdint>
#include <string>
#include <vector>

namespace zoolab {

struct CopyReport {
  int64_t runs = 0;
  int64_t files_copied = 0;
  int64_t bytes_copied = 0;
  // What was not copied: "PATH: why", escaped for a terminal (a symlink out of the files folder, a
  // checkpoint recorded outside it, which the copy records as it is and refuses as the source does).
  std::vector<std::string> skipped;
};

// Copies the database at `source_path` to `destination`, a new file: the rows through SQLite's
// VACUUM INTO (a consistent snapshot, even while a worker writes the source), and each run's files
// (runs/<id>/ and logs/run-<id>.log, only from inside the source's files folder) into
// "<destination>.files". Built under a temporary name and renamed at the end, so a failure leaves
// nothing at `destination`. Throws StoreError for an existing destination (or its files folder), a
// source that is not a zoolab database, or a failed write. The source is not changed (unless an older
// schema must first be migrated, as any command does).
CopyReport copy_database(const std::string& source_path, const std::string& destination);

}  // namespace zoolab
