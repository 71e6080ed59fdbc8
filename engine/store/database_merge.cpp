#include "engine/store/database_merge.h"

#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <optional>
#include <system_error>
#include <vector>

#include "engine/store/contained_path.h"
#include "engine/store/sqlite_statement.h"
#include "engine/store/store.h"
#include "engine/text/utf8.h"

namespace zoolab {

namespace {

namespace fs = std::filesystem;

// How far a run got, for choosing between two copies of one sweep point.
int progress_rank(RunStatus status) {
  switch (status) {
    case RunStatus::Finished:
      return 3;
    case RunStatus::Failed:
    case RunStatus::Diverged:
      return 2;
    case RunStatus::Running:
    case RunStatus::Cancelled:
    case RunStatus::Interrupted:
      return 1;
    case RunStatus::Queued:
      return 0;
  }
  return 0;
}

bool more_advanced(const RunRecord& a, const RunRecord& b) {
  const int ra = progress_rank(a.status);
  const int rb = progress_rank(b.status);
  return ra != rb ? ra > rb : a.steps > b.steps;
}

// Detaches on every exit path, so a failed merge leaves dest's connection as it was.
class Attachment {
 public:
  Attachment(sqlite3* db, const std::string& path) : m_db(db) {
    SqliteStatement attach(db, "ATTACH DATABASE ? AS src");
    attach.bind(1, path);
    attach.run();
  }
  ~Attachment() { sqlite3_exec(m_db, "DETACH DATABASE src", nullptr, nullptr, nullptr); }
  Attachment(const Attachment&) = delete;
  Attachment& operator=(const Attachment&) = delete;

 private:
  sqlite3* m_db;
};

void copy_owned_file(const fs::path& from, const fs::path& to) {
  std::error_code error;
  fs::create_directories(to.parent_path(), error);
  if (!error) {
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, error);
  }
  if (error) {
    throw StoreError("cannot copy " + escape_for_terminal(from.string()) + " to " + to.string() + ": " +
                     error.message());
  }
}

bool is_file(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error);
}

// The source file of a recorded checkpoint, inside the source's files folder, or nullopt. A database of
// schema 5 or older that was moved or copied (a sweep shard brought from another machine) recorded
// absolute paths of its old place; when its files folder came along, the same file is
// runs/<id>/<name> in its own folder, which is as safe to read as any file there.
std::optional<fs::path> source_checkpoint(const std::string& recorded, int64_t source_run,
                                          const fs::path& source_files) {
  if (auto inside = contained_path(recorded, source_files)) {
    return inside;
  }
  const fs::path name = fs::path(recorded).filename();
  if (name.empty()) {
    return std::nullopt;
  }
  auto moved = contained_path(fs::path("runs") / std::to_string(source_run) / name, source_files);
  if (moved && is_file(*moved)) {
    return moved;
  }
  return std::nullopt;
}

}  // namespace

MergeReport merge_database(Store& dest, const std::string& source_path) {
  std::error_code ignored;
  if (fs::weakly_canonical(source_path, ignored) == fs::weakly_canonical(dest.path(), ignored)) {
    throw StoreError("cannot merge " + source_path + " into itself; give another --out file");
  }
  if (!fs::is_regular_file(source_path)) {
    throw StoreError("no database at " + source_path + " (missing or not a file)");
  }
  // Opening it through Store checks it is a zoolab database and brings an older one to this schema; it
  // stays open so that ATTACH reads it the same way (read-only where it cannot be written).
  const Store source(source_path, Store::Access::Read);
  const std::vector<RunRecord> source_runs = source.list_runs();
  const std::vector<SweepRecord> source_sweeps = source.list_sweeps();
  const fs::path source_files = source.files_dir();

  sqlite3* db = dest.handle();
  MergeReport report;
  Attachment attachment(db, source.attach_uri());
  SqliteTransaction transaction(db);

  std::map<int64_t, std::string> sweep_names;  // source sweep id -> name
  std::map<int64_t, int64_t> sweep_ids;        // source sweep id -> dest sweep id
  for (const auto& sweep : source_sweeps) {
    sweep_names[sweep.id] = sweep.name;
    if (const auto existing = dest.find_sweep(sweep.name)) {
      if (existing->spec_json != sweep.spec_json) {
        throw StoreError("sweep \"" + sweep.name + "\" of " + source_path +
                         " was enqueued from another sweep file than the one of the same name in " +
                         dest.path() + "; nothing was merged (rename one of the sweeps first)");
      }
      sweep_ids[sweep.id] = existing->id;
    } else {
      sweep_ids[sweep.id] = dest.create_sweep(sweep.name, sweep.spec_json);
      ++report.sweeps_created;
    }
  }

  // Oldest first, so the copies keep the source's order of ids.
  for (auto it = source_runs.rbegin(); it != source_runs.rend(); ++it) {
    const RunRecord& run = *it;
    SqliteStatement by_uid(db, "SELECT id FROM main.runs WHERE uid = ?");
    by_uid.bind(1, run.uid);
    if (by_uid.step()) {
      ++report.runs_duplicate;
      continue;
    }
    std::optional<int64_t> dest_sweep;
    if (run.sweep_id && sweep_ids.count(*run.sweep_id))
      dest_sweep = sweep_ids[*run.sweep_id];
    if (dest_sweep) {
      SqliteStatement same_point(db, "SELECT id FROM main.runs WHERE sweep_id = ? AND name = ?");
      same_point.bind(1, *dest_sweep).bind(2, run.name);
      if (same_point.step()) {
        const int64_t present_id = same_point.column_int64(0);
        const auto present = dest.find_run(present_id);
        if (!more_advanced(run, *present)) {
          ++report.runs_duplicate;
          continue;
        }
        SqliteStatement drop(db, "DELETE FROM main.runs WHERE id = ?");
        drop.bind(1, present_id);
        drop.run();
        ++report.runs_replaced;
      }
    }

    const bool was_running = run.status == RunStatus::Running;
    // The texts come from the record, which the store read as valid UTF-8, not from the source's row.
    SqliteStatement insert(
        db,
        "INSERT INTO main.runs (name, task, mixer, config_json, status, created_at, started_at, finished_at, "
        "seed, num_parameters, state_size, device, error, epochs, steps, sweep_id, tags, notes, colour, pid, "
        "heartbeat_at, cancel_requested, uid) "
        "SELECT ?, ?, ?, ?, ?, created_at, started_at, finished_at, seed, num_parameters, state_size, ?, ?, "
        "epochs, steps, ?, ?, ?, ?, 0, heartbeat_at, 0, uid FROM src.runs WHERE id = ?");
    insert.bind(1, run.name).bind(2, run.task).bind(3, run.mixer).bind(4, run.config_json);
    insert.bind(5, was_running ? "interrupted" : to_string(run.status)).bind(6, run.device);
    insert.bind(7, was_running ? "was running in " + to_valid_utf8(source_path) +
                                     " when it was merged; resume it from its last checkpoint"
                               : run.error);
    insert.bind(8, dest_sweep).bind(9, run.tags).bind(10, run.notes).bind(11, run.colour).bind(12, run.id);
    insert.run();
    const int64_t new_id = sqlite3_last_insert_rowid(db);
    ++report.runs_copied;

    SqliteStatement metrics(db,
                            "INSERT INTO main.metrics (run_id, key, step, value, epoch, wall_time) "
                            "SELECT ?, key, step, value, epoch, wall_time FROM src.metrics WHERE run_id = ? "
                            "ORDER BY id");
    metrics.bind(1, new_id).bind(2, run.id);
    metrics.run();
    report.metrics_copied += sqlite3_changes(db);
    SqliteStatement summary(
        db,
        "INSERT INTO main.run_summary (run_id, key, last, last_step, min, max, best, best_step) "
        "SELECT ?, key, last, last_step, min, max, best, best_step FROM src.run_summary "
        "WHERE run_id = ?");
    summary.bind(1, new_id).bind(2, run.id);
    summary.run();
    // The inspector's records and patterns travel with their run (schema 4; the source was migrated).
    SqliteStatement records(
        db,
        "INSERT INTO main.query_records (run_id, step, epoch, subset, count, data) "
        "SELECT ?, step, epoch, subset, count, data FROM src.query_records WHERE run_id = ?");
    records.bind(1, new_id).bind(2, run.id).run();
    SqliteStatement patterns(
        db,
        "INSERT INTO main.patterns (run_id, step, epoch, example, layer, kind, head, rows, "
        "cols, data) SELECT ?, step, epoch, example, layer, kind, head, rows, cols, data "
        "FROM src.patterns WHERE run_id = ?");
    patterns.bind(1, new_id).bind(2, run.id).run();
    // A text run's per-token validation losses (schema 5).
    SqliteStatement token_losses(db,
                                 "INSERT INTO main.token_losses (run_id, step, epoch, bytes, blob) "
                                 "SELECT ?, step, epoch, bytes, blob FROM src.token_losses WHERE run_id = ?");
    token_losses.bind(1, new_id).bind(2, run.id).run();

    // Checkpoints move into dest's files folder under the new id, as the trainer would have put them.
    SqliteStatement checkpoints(
        db, "SELECT epoch, step, path, created_at FROM src.checkpoints WHERE run_id = ? ORDER BY id");
    checkpoints.bind(1, run.id);
    const fs::path run_dir = dest.run_folder(new_id);
    const std::string whose = " (checkpoint of run " + std::to_string(run.id) + " \"" +
                              escape_for_terminal(run.name) + "\" in " + escape_for_terminal(source_path) +
                              ")";
    while (checkpoints.step()) {
      const std::string recorded = checkpoints.column_text(2);
      const auto from = source_checkpoint(recorded, run.id, source_files);
      if (!from) {
        report.skipped.push_back(escape_for_terminal(recorded) + whose + ": lies outside " +
                                 escape_for_terminal(source_files.string()) +
                                 " (symlinks resolved); not copied, the run arrives without it");
        continue;
      }
      if (!is_file(*from)) {
        report.skipped.push_back(escape_for_terminal(from->string()) + whose +
                                 ": missing; the run arrives without it");
        continue;
      }
      const fs::path to = run_dir / from->filename();
      copy_owned_file(*from, to);
      SqliteStatement add(
          db, "INSERT INTO main.checkpoints (run_id, epoch, step, path, created_at) VALUES (?, ?, ?, ?, ?)");
      add.bind(1, new_id).bind(2, checkpoints.column_int64(0)).bind(3, checkpoints.column_int64(1));
      add.bind(4, dest.relative_file_path(to.string())).bind(5, checkpoints.column_text(3));
      add.run();
      ++report.checkpoints_copied;
    }
    const auto log_name = [](int64_t id) { return "run-" + std::to_string(id) + ".log"; };
    const fs::path log = source_files / "logs" / log_name(run.id);
    if (const auto from = contained_path(log, source_files); from && is_file(*from)) {
      copy_owned_file(*from, fs::path(dest.files_dir()) / "logs" / log_name(new_id));
    } else if (!from && fs::exists(fs::symlink_status(log, ignored))) {
      report.skipped.push_back(escape_for_terminal(log.string()) + ": resolves outside " +
                               escape_for_terminal(source_files.string()) +
                               "; the trainer log was not copied");
    }
  }
  transaction.commit();
  return report;
}

}  // namespace zoolab
