// The files a run database owns, in "<db>.files": where they are, how their paths are recorded
// (relative to that folder) and resolved, and which of them a deletion or a checkpoint rotation may
// remove (only what lies inside the folder, symlinks resolved: engine/store/contained_path.h).

#include <sqlite3.h>

#include <filesystem>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "engine/store/contained_path.h"
#include "engine/store/sqlite_statement.h"
#include "engine/store/store.h"
#include "engine/text/utf8.h"

namespace zoolab {

namespace fs = std::filesystem;

namespace {

// `path` is `folder` or below it, judged on the text alone.
bool lexically_below(const fs::path& path, const fs::path& folder) {
  const fs::path relative = path.lexically_relative(folder);
  return !relative.empty() && *relative.begin() != "..";
}

}  // namespace

std::string Store::files_dir() const {
  const std::string dir = files_path();
  if (m_read_only) {
    return dir;
  }
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    throw StoreError("cannot create the files folder " + dir + ": " + error.message());
  }
  return dir;
}

std::string Store::run_folder(int64_t run) const {
  return (fs::path(files_path()) / "runs" / std::to_string(run)).string();
}

std::string Store::resolve_file(const std::string& recorded) const {
  if (!recorded.empty()) {
    if (const auto inside = contained_path(recorded, files_path())) {
      return inside->string();
    }
  }
  throw StoreError("the recorded file \"" + escape_for_terminal(recorded) + "\" lies outside " +
                   files_path() + ", the files folder of " + m_path +
                   "; zoolab reads, writes and deletes only files inside it (a database copied with cp "
                   "still names the original's files: copy databases with `zoolab-cli db copy`; "
                   "`zoolab-cli db check` lists such paths)");
}

std::string Store::relative_file_path(const std::string& path) const {
  if (auto relative = relative_inside(path, files_path())) {
    return *relative;
  }
  throw StoreError(escape_for_terminal(path) + " lies outside " + files_path() + ", the files folder of " +
                   m_path + "; the database records only files inside it");
}

fs::path Store::recorded_location(const std::string& recorded) const {
  const fs::path path(recorded);
  return (path.is_absolute() ? path : fs::path(files_path()) / path).lexically_normal();
}

FileCleanup Store::plan_run_files(int64_t run, const std::vector<std::string>& recorded) const {
  FileCleanup plan;
  const fs::path files = files_path();
  const fs::path folder = run_folder(run);
  std::set<std::string> seen;  // rows may name one file twice
  const auto consider = [&](const fs::path& target, const fs::path& allowed, const std::string& where) {
    std::error_code error;
    if (!fs::exists(fs::symlink_status(target, error)) || !seen.insert(target.string()).second) {
      return;
    }
    if (removable_inside(target, allowed)) {
      plan.removed.push_back(target.string());
    } else {
      plan.skipped.push_back(escape_for_terminal(target.string()) + ": lies outside " + where + " " +
                             allowed.string() + " (symlinks resolved); left in place");
    }
  };
  consider(folder, files, "the files folder");
  consider(files / "logs" / ("run-" + std::to_string(run) + ".log"), files, "the files folder");
  const bool folder_goes = !plan.removed.empty() && plan.removed.front() == folder.string();
  for (const auto& text : recorded) {
    const fs::path file = recorded_location(text);
    if (folder_goes && lexically_below(file, folder)) {
      continue;  // removed with the folder
    }
    consider(file, folder, "run " + std::to_string(run) + "'s folder");
  }
  return plan;
}

int64_t Store::add_checkpoint(int64_t run, int64_t epoch, int64_t step, const std::string& path) {
  if (!contained_path(path, run_folder(run))) {
    throw StoreError("checkpoint of run " + std::to_string(run) + ": " + escape_for_terminal(path) +
                     " is not inside the run's folder " + run_folder(run) +
                     " (symlinks resolved); the database records only files it owns");
  }
  const std::string recorded = relative_file_path(path);
  SqliteStatement insert(m_db,
                         "INSERT INTO checkpoints (run_id, epoch, step, path, created_at) "
                         "VALUES (?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))");
  insert.bind(1, run).bind(2, epoch).bind(3, step).bind(4, recorded);
  insert.run();
  return sqlite3_last_insert_rowid(m_db);
}

namespace {

const char* const kCheckpointColumns = "id, run_id, epoch, step, path, created_at";

// The row as recorded; `path` is left for the caller to resolve.
CheckpointRecord read_checkpoint(const SqliteStatement& row) {
  CheckpointRecord checkpoint;
  checkpoint.id = row.column_int64(0);
  checkpoint.run_id = row.column_int64(1);
  checkpoint.epoch = row.column_int64(2);
  checkpoint.step = row.column_int64(3);
  checkpoint.recorded_path = row.column_text(4);
  checkpoint.created_at = row.column_text(5);
  return checkpoint;
}

}  // namespace

std::optional<CheckpointRecord> Store::latest_checkpoint(int64_t run) const {
  SqliteStatement query(m_db, std::string("SELECT ") + kCheckpointColumns +
                                  " FROM checkpoints WHERE run_id = ? ORDER BY step DESC, id DESC LIMIT 1");
  query.bind(1, run);
  if (!query.step()) {
    return std::nullopt;
  }
  CheckpointRecord checkpoint = read_checkpoint(query);
  try {
    checkpoint.path = resolve_file(checkpoint.recorded_path);
  } catch (const StoreError& error) {
    throw StoreError("checkpoint of run " + std::to_string(run) + " (step " +
                     std::to_string(checkpoint.step) + "): " + error.what());
  }
  return checkpoint;
}

std::vector<CheckpointRecord> Store::recorded_checkpoints(int64_t run) const {
  SqliteStatement query(
      m_db, std::string("SELECT ") + kCheckpointColumns + " FROM checkpoints WHERE run_id = ? ORDER BY id");
  query.bind(1, run);
  std::vector<CheckpointRecord> checkpoints;
  while (query.step()) {
    CheckpointRecord checkpoint = read_checkpoint(query);
    if (const auto inside = contained_path(checkpoint.recorded_path, files_path())) {
      checkpoint.path = inside->string();
    }
    checkpoints.push_back(std::move(checkpoint));
  }
  return checkpoints;
}

FileCleanup Store::remove_checkpoints_except(int64_t run, int64_t keep_id) {
  std::vector<std::string> recorded;
  std::string kept;
  {
    SqliteTransaction transaction(m_db);
    SqliteStatement query(m_db, "SELECT id, path FROM checkpoints WHERE run_id = ?");
    query.bind(1, run);
    while (query.step()) {
      if (query.column_int64(0) == keep_id) {
        kept = query.column_text(1);
      } else {
        recorded.push_back(query.column_text(1));
      }
    }
    SqliteStatement remove(m_db, "DELETE FROM checkpoints WHERE run_id = ? AND id != ?");
    remove.bind(1, run).bind(2, keep_id);
    remove.run();
    transaction.commit();
  }
  FileCleanup cleanup;
  const fs::path folder = run_folder(run);
  for (const auto& text : recorded) {
    const fs::path file = recorded_location(text);
    std::error_code error;
    // A checkpoint rewritten at the same step has the kept one's name: that file is the new one.
    if ((!kept.empty() && file == recorded_location(kept)) || !fs::exists(fs::symlink_status(file, error))) {
      continue;
    }
    if (!removable_inside(file, folder)) {
      cleanup.skipped.push_back(escape_for_terminal(file.string()) + ": lies outside run " +
                                std::to_string(run) + "'s folder " + folder.string() +
                                " (symlinks resolved); left in place");
    } else if (fs::remove(file, error); error) {
      cleanup.skipped.push_back(escape_for_terminal(file.string()) +
                                ": could not be removed: " + error.message());
    } else {
      cleanup.removed.push_back(file.string());
    }
  }
  return cleanup;
}

}  // namespace zoolab
