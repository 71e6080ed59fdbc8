#include "engine/store/store.h"

#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "engine/store/metric_summary.h"
#include "engine/store/migrations.h"
#include "engine/store/sqlite_statement.h"
#include "engine/text/utf8.h"

namespace zoolab {

namespace fs = std::filesystem;

namespace {

std::string now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// Every text the store writes goes through here: a message quoting a damaged file's bytes must not make
// the row, and with it every JSON listing of the database, invalid UTF-8.
std::string clean(const std::string& text) {
  return to_valid_utf8(text);
}

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

bool is_file_path(const std::string& path) {
  return !path.empty() && path != ":memory:" && path.rfind("file:", 0) != 0;
}

// The column list read_run() expects, in order.
const char* const kRunColumns =
    "id, name, task, mixer, config_json, status, created_at, started_at, finished_at, seed, "
    "num_parameters, state_size, device, error, epochs, steps, sweep_id, tags, notes, colour, pid, "
    "heartbeat_at, cancel_requested, uid";

RunRecord read_run(const SqliteStatement& row) {
  RunRecord run;
  run.id = row.column_int64(0);
  run.name = row.column_utf8(1);
  run.task = row.column_utf8(2);
  run.mixer = row.column_utf8(3);
  run.config_json = row.column_utf8(4);
  try {
    run.status = run_status_from_string(row.column_utf8(5));
  } catch (const std::invalid_argument& error) {
    throw StoreError("run " + std::to_string(run.id) + ": " + error.what());
  }
  run.created_at = row.column_utf8(6);
  run.started_at = row.column_utf8(7);
  run.finished_at = row.column_utf8(8);
  run.seed = row.column_int64(9);
  run.num_parameters = row.column_int64(10);
  run.state_size = row.column_int64(11);
  run.device = row.column_utf8(12);
  run.error = row.column_utf8(13);
  run.epochs = row.column_int64(14);
  run.steps = row.column_int64(15);
  run.sweep_id = row.column_optional_int64(16);
  run.tags = row.column_utf8(17);
  run.notes = row.column_utf8(18);
  run.colour = row.column_utf8(19);
  run.pid = row.column_int64(20);
  run.heartbeat_at = row.column_utf8(21);
  run.cancel_requested = row.column_int64(22) != 0;
  run.uid = row.column_utf8(23);
  return run;
}

const char* const kMetricColumns = "id, run_id, key, step, value, epoch, wall_time";

MetricPoint read_metric(const SqliteStatement& row) {
  MetricPoint point;
  point.id = row.column_int64(0);
  point.run_id = row.column_int64(1);
  point.key = row.column_utf8(2);
  point.step = row.column_int64(3);
  point.value = nullable_real(row, 4);
  point.epoch = row.column_int64(5);
  point.wall_time = row.column_double(6);
  return point;
}

void require_changed(sqlite3* db, int64_t run, const char* what) {
  if (sqlite3_changes(db) == 0) {
    throw StoreError(std::string(what) + ": no run with id " + std::to_string(run));
  }
}

// The status of a run inside a transaction; throws naming the operation when there is no such run.
RunStatus status_of(sqlite3* db, int64_t run, const char* what) {
  SqliteStatement query(db, "SELECT status FROM runs WHERE id = ?");
  query.bind(1, run);
  if (!query.step()) {
    throw StoreError(std::string(what) + ": no run with id " + std::to_string(run));
  }
  try {
    return run_status_from_string(query.column_utf8(0));
  } catch (const std::invalid_argument& error) {
    throw StoreError("run " + std::to_string(run) + ": " + error.what());
  }
}

}  // namespace

// kill(pid, 0) probes without signalling; EPERM means the process exists under another user.
bool process_alive(int64_t pid) {
  if (pid <= 0) {
    return false;  // kill(0, ...) and negative pids address process groups, not a trainer
  }
  return kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH;
}

std::string this_host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) {
    return "";
  }
  return name;
}

std::string default_database_path() {
  if (const std::string db = env("ZOOLAB_DB"); !db.empty()) {
    return db;
  }
  if (const std::string xdg = env("XDG_DATA_HOME"); !xdg.empty()) {
    return (fs::path(xdg) / "zoolab" / "zoolab.sqlite").string();
  }
  if (const std::string home = env("HOME"); !home.empty()) {
    return (fs::path(home) / ".local" / "share" / "zoolab" / "zoolab.sqlite").string();
  }
  throw StoreError("no database path: set ZOOLAB_DB, XDG_DATA_HOME or HOME, or pass --db FILE");
}

namespace {

// What to do about a database zoolab cannot write (the tail of the open error).
const char* const kWriteAdvice =
    "zoolab writes the database and, beside it, its -wal and -shm files: make both writable for this user "
    "(chmod u+w), or work on a copy (`zoolab-cli db copy SRC DST`); runs, show, sweeps, export and db check "
    "also read a database they cannot write";

// Why the database at `db` (absolute) cannot be written, or nullopt. SQLite writes the file and, beside
// it, its -wal and -shm files, so the folder must be writable too. Checked before opening: SQLite itself
// reports either as "readonly database" on a later statement, naming neither.
std::optional<std::string> write_problem(const fs::path& db) {
  const auto unwritable = [](const fs::path& path, const char* what) -> std::optional<std::string> {
    if (::access(path.c_str(), W_OK) == 0) {
      return std::nullopt;
    }
    const int error = errno;
    return "cannot write to " + path.string() + ": the " + what + " is not writable (" +
           std::strerror(error) + ")";
  };
  if (auto problem = unwritable(db.parent_path(), "folder")) {
    return problem;
  }
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const fs::path file = db.string() + suffix;
    std::error_code ignored;
    if (fs::exists(file, ignored)) {
      if (auto problem = unwritable(file, "file")) {
        return problem;
      }
    }
  }
  return std::nullopt;
}

// `path` for an SQLite URI ("file:" + this + "?mode=ro"): every byte but the unreserved ones and "/" as
// %XX, so "?", "#" and "%" in a file name stay part of it.
std::string percent_encoded(const std::string& path) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string absolute_database_path(const std::string& path) {
  if (path.empty()) {
    throw StoreError("cannot open database: the path is empty");
  }
  if (!is_file_path(path)) {
    return path;
  }
  std::error_code error;
  const fs::path absolute = fs::absolute(path, error);
  if (error) {
    throw StoreError("cannot open database " + path + ": cannot make its path absolute: " + error.message());
  }
  return absolute.lexically_normal().string();
}

}  // namespace

Store::Store(const std::string& path, Access access) : m_path(absolute_database_path(path)) {
  if (is_file_path(m_path)) {
    const fs::path parent = fs::path(m_path).parent_path();
    std::error_code error;
    fs::create_directories(parent, error);
    if (error) {
      throw StoreError("cannot open database " + m_path + ": cannot create its folder " + parent.string() +
                       ": " + error.message());
    }
    if (const auto problem = write_problem(m_path)) {
      std::error_code ignored;
      if (access == Access::Write || !fs::exists(m_path, ignored)) {
        throw StoreError("cannot open database " + m_path + ": " + *problem + "; " + kWriteAdvice);
      }
      open_read_only(*problem);
      return;
    }
  }
  open_read_write();
}

void Store::open_read_write() {
  if (sqlite3_open_v2(m_path.c_str(), &m_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI,
                      nullptr) != SQLITE_OK) {
    const std::string message = m_db ? sqlite3_errmsg(m_db) : "out of memory";
    sqlite3_close_v2(m_db);
    m_db = nullptr;
    throw StoreError("cannot open database " + m_path + ": " + message);
  }
  try {
    sqlite3_busy_timeout(m_db, 5000);
    // Before any pragma that writes: a newer schema must be left exactly as it is.
    refuse_newer_schema(m_db, kSchemaVersion);
    sqlite_exec(m_db, "PRAGMA foreign_keys = ON");
    // Returns the resulting mode; some filesystems refuse WAL and keep the old one, which still works
    // (with coarser locking), so it is not an error.
    SqliteStatement(m_db, "PRAGMA journal_mode = WAL").step();
    sqlite_exec(m_db, "PRAGMA synchronous = NORMAL");
    migrate();
  } catch (const StoreError& error) {
    sqlite3_close_v2(m_db);
    m_db = nullptr;
    throw StoreError("cannot open database " + m_path + ": " + error.what());
  }
}

void Store::open_read_only(const std::string& why) {
  m_read_only = true;
  // mode=ro reads a live writer's -wal through its -shm. Where no -shm exists and none can be made (a
  // read-only folder), SQLite cannot open a WAL database that way; immutable=1 then reads the file alone,
  // which holds everything when no -wal file holds commits (the last writer checkpointed it on close).
  std::string last_error;
  for (const bool immutable : {false, true}) {
    std::error_code missing;
    const auto wal_bytes = fs::file_size(m_path + "-wal", missing);
    if (immutable && !missing && wal_bytes > 0) {
      break;
    }
    const std::string uri = "file:" + percent_encoded(m_path) + (immutable ? "?immutable=1" : "?mode=ro");
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) == SQLITE_OK) {
      sqlite3_busy_timeout(db, 5000);
      try {
        read_user_version(db);
        m_db = db;
        m_immutable = immutable;
        break;
      } catch (const StoreError& error) {
        last_error = error.what();
      }
    } else {
      last_error = db ? sqlite3_errmsg(db) : "out of memory";
    }
    sqlite3_close_v2(db);
  }
  if (m_db == nullptr) {
    throw StoreError("cannot open database " + m_path + " read-only (" + why + "): " + last_error);
  }
  try {
    refuse_newer_schema(m_db, kSchemaVersion);
    const int version = read_user_version(m_db);
    if (version < kSchemaVersion) {
      throw StoreError("its schema version is " + std::to_string(version) +
                       " and this zoolab needs version " + std::to_string(kSchemaVersion) +
                       "; the upgrade writes to the database (after a backup copy beside it), but " + why +
                       ". Open it once where it can be written (as the file's owner, or after chmod u+w on "
                       "the file and its folder)");
    }
    sqlite_exec(m_db, "PRAGMA foreign_keys = ON");
  } catch (const StoreError& error) {
    sqlite3_close_v2(m_db);
    m_db = nullptr;
    throw StoreError("cannot open database " + m_path + ": " + error.what());
  }
}

Store::~Store() {
  sqlite3_close_v2(m_db);
}

void Store::migrate() {
  apply_migrations(m_db, m_path, schema_migrations());
}

std::string Store::attach_uri() const {
  if (!is_file_path(m_path)) {
    return m_path;
  }
  return "file:" + percent_encoded(m_path) + (m_immutable ? "?immutable=1" : "?mode=ro");
}

int64_t Store::create_run(const NewRun& run) {
  const std::string now = now_iso8601();
  SqliteStatement insert(m_db,
                         "INSERT INTO runs (name, task, mixer, config_json, status, created_at, started_at, "
                         "finished_at, seed, sweep_id, pid, uid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                         "coalesce(nullif(?, ''), lower(hex(randomblob(16)))))");
  insert.bind(1, clean(run.name)).bind(2, clean(run.task)).bind(3, clean(run.mixer));
  insert.bind(4, clean(run.config_json));
  insert.bind(5, to_string(run.status)).bind(6, now);
  if (run.status == RunStatus::Running) {
    insert.bind(7, now);
  } else {
    insert.bind_null(7);
  }
  if (is_terminal(run.status)) {
    insert.bind(8, now);
  } else {
    insert.bind_null(8);
  }
  insert.bind(9, run.seed).bind(10, run.sweep_id).bind(11, run.pid).bind(12, clean(run.uid));
  insert.run();
  return sqlite3_last_insert_rowid(m_db);
}

std::optional<RunRecord> Store::find_run(int64_t id) const {
  SqliteStatement query(m_db, std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?");
  query.bind(1, id);
  if (!query.step()) {
    return std::nullopt;
  }
  return read_run(query);
}

std::optional<RunRecord> Store::find_run(const std::string& id_or_name) const {
  if (id_or_name.empty()) {
    return std::nullopt;
  }
  // Up to 18 digits always fits int64; longer digit strings can only be names.
  if (id_or_name.size() <= 18 && id_or_name.find_first_not_of("0123456789") == std::string::npos) {
    if (auto run = find_run(static_cast<int64_t>(std::stoll(id_or_name)))) {
      return run;
    }
  }
  SqliteStatement query(m_db, std::string("SELECT ") + kRunColumns +
                                  " FROM runs WHERE name = ? ORDER BY created_at DESC, id DESC LIMIT 1");
  query.bind(1, id_or_name);
  if (!query.step()) {
    return std::nullopt;
  }
  return read_run(query);
}

std::vector<RunRecord> Store::list_runs() const {
  // created_at first: runs merged from another database get new ids but keep their creation time.
  SqliteStatement query(
      m_db, std::string("SELECT ") + kRunColumns + " FROM runs ORDER BY created_at DESC, id DESC");
  std::vector<RunRecord> runs;
  while (query.step()) {
    runs.push_back(read_run(query));
  }
  return runs;
}

void Store::set_status(int64_t run, RunStatus status, const std::string& error) {
  // Leaving a terminal state (a resume) clears finished_at; started_at keeps the first start.
  // A terminal status also settles any pending cancel request.
  SqliteStatement update(m_db,
                         "UPDATE runs SET status = ?1, error = ?2, "
                         "finished_at = CASE WHEN ?3 THEN ?4 ELSE NULL END, "
                         "cancel_requested = CASE WHEN ?3 THEN 0 ELSE cancel_requested END, "
                         "started_at = CASE WHEN ?1 = 'running' THEN COALESCE(started_at, ?4) "
                         "ELSE started_at END WHERE id = ?5");
  update.bind(1, to_string(status)).bind(2, clean(error)).bind(3, is_terminal(status) ? 1 : 0);
  update.bind(4, now_iso8601()).bind(5, run);
  update.run();
  require_changed(m_db, run, "set_status");
}

void Store::mark_started(int64_t run, int64_t pid, const std::string& device) {
  SqliteStatement update(m_db,
                         "UPDATE runs SET status = 'running', pid = ?1, device = ?2, error = '', "
                         "finished_at = NULL, started_at = COALESCE(started_at, ?3), heartbeat_at = ?3 "
                         "WHERE id = ?4");
  update.bind(1, pid).bind(2, clean(device)).bind(3, now_iso8601()).bind(4, run);
  update.run();
  require_changed(m_db, run, "mark_started");
}

void Store::set_model_info(int64_t run, int64_t num_parameters, int64_t state_size) {
  SqliteStatement update(m_db, "UPDATE runs SET num_parameters = ?, state_size = ? WHERE id = ?");
  update.bind(1, num_parameters).bind(2, state_size).bind(3, run);
  update.run();
  require_changed(m_db, run, "set_model_info");
}

void Store::set_progress(int64_t run, int64_t epochs, int64_t steps) {
  SqliteStatement update(m_db, "UPDATE runs SET epochs = ?, steps = ?, heartbeat_at = ? WHERE id = ?");
  update.bind(1, epochs).bind(2, steps).bind(3, now_iso8601()).bind(4, run);
  update.run();
  require_changed(m_db, run, "set_progress");
}

std::vector<int64_t> Store::reap_dead_runs() {
  if (m_read_only) {
    return {};  // a reader that cannot write leaves the marking to the next one that can
  }
  SqliteTransaction transaction(m_db);
  std::vector<std::pair<int64_t, int64_t>> dead;  // (run, pid)
  {
    SqliteStatement query(m_db, "SELECT id, pid FROM runs WHERE status = 'running' ORDER BY id");
    while (query.step()) {
      if (!process_alive(query.column_int64(1))) {
        dead.emplace_back(query.column_int64(0), query.column_int64(1));
      }
    }
  }
  std::vector<int64_t> reaped;
  SqliteStatement update(m_db,
                         "UPDATE runs SET status = 'interrupted', error = ?, finished_at = ?, "
                         "cancel_requested = 0 WHERE id = ? AND status = 'running'");
  const std::string now = now_iso8601();
  for (const auto& [run, pid] : dead) {
    update.reset();
    update.bind(
        1, "trainer process " + std::to_string(pid) + " ended without marking the run (killed or crashed)");
    update.bind(2, now).bind(3, run);
    update.run();
    if (sqlite3_changes(m_db) > 0) {
      reaped.push_back(run);
    }
  }
  transaction.commit();
  return reaped;
}

void Store::rename_run(int64_t run, const std::string& name) {
  SqliteStatement update(m_db, "UPDATE runs SET name = ? WHERE id = ?");
  update.bind(1, clean(name)).bind(2, run);
  update.run();
  require_changed(m_db, run, "rename_run");
}

void Store::set_run_annotations(int64_t run, const std::string& tags, const std::string& notes,
                                const std::string& colour) {
  SqliteStatement update(m_db, "UPDATE runs SET tags = ?, notes = ?, colour = ? WHERE id = ?");
  update.bind(1, clean(tags)).bind(2, clean(notes)).bind(3, clean(colour)).bind(4, run);
  update.run();
  require_changed(m_db, run, "set_run_annotations");
}

namespace {

std::string running_refusal(int64_t run) {
  return "run " + std::to_string(run) + " is running; cancel it first (`zoolab-cli cancel " +
         std::to_string(run) + "`) and delete it once it has stopped";
}

std::vector<std::string> recorded_checkpoint_paths(sqlite3* db, int64_t run) {
  SqliteStatement query(db, "SELECT path FROM checkpoints WHERE run_id = ? ORDER BY id");
  query.bind(1, run);
  std::vector<std::string> paths;
  while (query.step()) {
    paths.push_back(query.column_text(0));
  }
  return paths;
}

}  // namespace

FileCleanup Store::planned_run_deletion(int64_t run) const {
  if (status_of(m_db, run, "delete_run") == RunStatus::Running) {
    throw StoreError(running_refusal(run));
  }
  return is_file_path(m_path) ? plan_run_files(run, recorded_checkpoint_paths(m_db, run)) : FileCleanup{};
}

FileCleanup Store::delete_run(int64_t run) {
  std::vector<std::string> recorded;
  {
    SqliteTransaction transaction(m_db);
    if (status_of(m_db, run, "delete_run") == RunStatus::Running) {
      throw StoreError(running_refusal(run));
    }
    recorded = recorded_checkpoint_paths(m_db, run);
    // Explicit for the tables known here; ON DELETE CASCADE covers any later child table.
    for (const char* sql :
         {"DELETE FROM metrics WHERE run_id = ?", "DELETE FROM run_summary WHERE run_id = ?",
          "DELETE FROM checkpoints WHERE run_id = ?", "DELETE FROM query_records WHERE run_id = ?",
          "DELETE FROM patterns WHERE run_id = ?", "DELETE FROM token_losses WHERE run_id = ?",
          "DELETE FROM runs WHERE id = ?"}) {
      SqliteStatement(m_db, sql).bind(1, run).run();
    }
    transaction.commit();
  }
  // Files go after the rows: a file left behind is harmless, a row pointing at a deleted file is not.
  // Only what lies inside this database's files folder goes (a copied database's rows may still name the
  // original's files; an edited row may name anything).
  if (!is_file_path(m_path)) {
    return {};
  }
  const FileCleanup plan = plan_run_files(run, recorded);
  FileCleanup done;
  done.skipped = plan.skipped;
  std::string failures;
  for (const auto& target : plan.removed) {
    std::error_code error;
    fs::remove_all(target, error);
    if (error) {
      failures += (failures.empty() ? "" : "; ") + escape_for_terminal(target) + ": " + error.message();
    } else {
      done.removed.push_back(target);
    }
  }
  if (!failures.empty()) {
    throw StoreError("run " + std::to_string(run) +
                     " is deleted from the database, but not all of its files " +
                     "could be removed: " + failures);
  }
  return done;
}

std::optional<RunRecord> Store::claim_next_queued_run(int64_t worker_id) {
  int64_t run = 0;
  {
    SqliteTransaction transaction(m_db);
    SqliteStatement worker(m_db, "SELECT pid FROM workers WHERE id = ?");
    worker.bind(1, worker_id);
    if (!worker.step()) {
      throw StoreError("claim_next_queued_run: no worker with id " + std::to_string(worker_id) +
                       " (its row was removed)");
    }
    const int64_t pid = worker.column_int64(0);
    SqliteStatement next(m_db, "SELECT id FROM runs WHERE status = 'queued' ORDER BY id LIMIT 1");
    if (!next.step()) {
      return std::nullopt;  // rolls back an empty transaction
    }
    run = next.column_int64(0);
    // The worker's pid until it records its child's: reap_dead_runs must not take a claimed run for dead.
    SqliteStatement update(m_db,
                           "UPDATE runs SET status = 'running', pid = ?1, error = '', finished_at = NULL, "
                           "cancel_requested = 0, started_at = COALESCE(started_at, ?2), "
                           "heartbeat_at = ?2 WHERE id = ?3");
    update.bind(1, pid).bind(2, now_iso8601()).bind(3, run);
    update.run();
    transaction.commit();
  }
  return find_run(run);
}

bool Store::claim_run(int64_t run, int64_t pid) {
  SqliteStatement update(m_db,
                         "UPDATE runs SET status = 'running', pid = ?1, error = '', finished_at = NULL, "
                         "cancel_requested = 0, started_at = COALESCE(started_at, ?2), heartbeat_at = ?2 "
                         "WHERE id = ?3 AND status = 'queued'");
  update.bind(1, pid).bind(2, now_iso8601()).bind(3, run);
  update.run();
  return sqlite3_changes(m_db) > 0;
}

void Store::set_run_pid(int64_t run, int64_t pid) {
  SqliteStatement update(m_db, "UPDATE runs SET pid = ? WHERE id = ?");
  update.bind(1, pid).bind(2, run);
  update.run();
  require_changed(m_db, run, "set_run_pid");
}

void Store::request_cancel(int64_t run) {
  SqliteTransaction transaction(m_db);
  const RunStatus status = status_of(m_db, run, "request_cancel");
  if (status == RunStatus::Queued) {
    SqliteStatement update(m_db,
                           "UPDATE runs SET status = 'cancelled', error = 'cancelled before it started', "
                           "finished_at = ?, cancel_requested = 0 WHERE id = ?");
    update.bind(1, now_iso8601()).bind(2, run);
    update.run();
  } else if (status == RunStatus::Running) {
    SqliteStatement(m_db, "UPDATE runs SET cancel_requested = 1 WHERE id = ?").bind(1, run).run();
  } else {
    throw StoreError("run " + std::to_string(run) + " is " + to_string(status) +
                     "; only queued or running runs can be cancelled");
  }
  transaction.commit();
}

bool Store::cancel_requested(int64_t run) const {
  SqliteStatement query(m_db, "SELECT cancel_requested FROM runs WHERE id = ?");
  query.bind(1, run);
  if (!query.step()) {
    throw StoreError("cancel_requested: no run with id " + std::to_string(run));
  }
  return query.column_int64(0) != 0;
}

void Store::requeue_run(int64_t run) {
  SqliteTransaction transaction(m_db);
  const RunStatus status = status_of(m_db, run, "requeue_run");
  if (status != RunStatus::Cancelled && status != RunStatus::Interrupted) {
    throw StoreError("run " + std::to_string(run) + " is " + to_string(status) +
                     "; only cancelled or interrupted runs can be requeued");
  }
  SqliteStatement(m_db,
                  "UPDATE runs SET status = 'queued', error = '', finished_at = NULL, pid = 0, "
                  "heartbeat_at = NULL, cancel_requested = 0 WHERE id = ?")
      .bind(1, run)
      .run();
  transaction.commit();
}

bool Store::finish_if_running(int64_t run, RunStatus status, const std::string& error) {
  if (!is_terminal(status)) {
    throw StoreError(std::string("finish_if_running: ") + to_string(status) + " is not a terminal status");
  }
  SqliteStatement update(m_db,
                         "UPDATE runs SET status = ?, error = ?, finished_at = ?, cancel_requested = 0 "
                         "WHERE id = ? AND status = 'running'");
  update.bind(1, to_string(status)).bind(2, clean(error)).bind(3, now_iso8601()).bind(4, run);
  update.run();
  return sqlite3_changes(m_db) > 0;
}

void Store::append_metrics(const std::vector<MetricPoint>& points) {
  if (points.empty()) {
    return;
  }
  SqliteTransaction transaction(m_db);
  SummaryCache summaries(m_db);
  SqliteStatement insert(m_db,
                         "INSERT INTO metrics (run_id, key, step, value, epoch, wall_time) "
                         "VALUES (?, ?, ?, ?, ?, ?)");
  for (const MetricPoint& given : points) {
    MetricPoint point = given;
    point.key = clean(given.key);  // the summary's key too
    insert.reset();
    insert.bind(1, point.run_id).bind(2, point.key).bind(3, point.step);
    bind_nullable_real(insert, 4, point.value);
    insert.bind(5, point.epoch).bind(6, point.wall_time);
    insert.run();
    summaries.add(point);
  }
  summaries.write();
  transaction.commit();
}

std::vector<MetricPoint> Store::metrics(int64_t run, const std::string& key) const {
  std::string sql = std::string("SELECT ") + kMetricColumns + " FROM metrics WHERE run_id = ?";
  sql += key.empty() ? " ORDER BY id" : " AND key = ? ORDER BY id";
  SqliteStatement query(m_db, sql);
  query.bind(1, run);
  if (!key.empty()) {
    query.bind(2, key);
  }
  std::vector<MetricPoint> points;
  while (query.step()) {
    points.push_back(read_metric(query));
  }
  return points;
}

std::vector<MetricPoint> Store::metrics_since(int64_t after_id) const {
  SqliteStatement query(m_db,
                        std::string("SELECT ") + kMetricColumns + " FROM metrics WHERE id > ? ORDER BY id");
  query.bind(1, after_id);
  std::vector<MetricPoint> points;
  while (query.step()) {
    points.push_back(read_metric(query));
  }
  return points;
}

std::vector<MetricPoint> Store::metrics_after(int64_t run, int64_t after_id) const {
  SqliteStatement query(m_db, std::string("SELECT ") + kMetricColumns +
                                  " FROM metrics WHERE run_id = ? AND id > ? ORDER BY id");
  query.bind(1, run).bind(2, after_id);
  std::vector<MetricPoint> points;
  while (query.step()) {
    points.push_back(read_metric(query));
  }
  return points;
}

double Store::last_wall_time(int64_t run) const {
  SqliteStatement query(m_db, "SELECT COALESCE(MAX(wall_time), 0) FROM metrics WHERE run_id = ?");
  query.bind(1, run);
  return query.step() ? query.column_double(0) : 0.0;
}

std::vector<MetricSummary> Store::summary(int64_t run) const {
  return read_summaries(m_db, run);
}

std::unordered_map<int64_t, std::vector<MetricSummary>> Store::all_summaries() const {
  return read_all_summaries(m_db);
}

void Store::truncate_metrics_after(int64_t run, int64_t step) {
  SqliteTransaction transaction(m_db);
  SqliteStatement(m_db, "DELETE FROM metrics WHERE run_id = ? AND step > ?").bind(1, run).bind(2, step).run();
  SqliteStatement(m_db, "DELETE FROM query_records WHERE run_id = ? AND step > ?")
      .bind(1, run)
      .bind(2, step)
      .run();
  SqliteStatement(m_db, "DELETE FROM patterns WHERE run_id = ? AND step > ?")
      .bind(1, run)
      .bind(2, step)
      .run();
  SqliteStatement(m_db, "DELETE FROM token_losses WHERE run_id = ? AND step > ?")
      .bind(1, run)
      .bind(2, step)
      .run();
  SqliteStatement(m_db, "DELETE FROM run_summary WHERE run_id = ?").bind(1, run).run();
  // Replaying in id order gives the same summary as the original appends did.
  SummaryCache summaries(m_db);
  SqliteStatement query(
      m_db, std::string("SELECT ") + kMetricColumns + " FROM metrics WHERE run_id = ? ORDER BY id");
  query.bind(1, run);
  while (query.step()) {
    summaries.add(read_metric(query));
  }
  summaries.write();
  transaction.commit();
}

bool Store::integrity_ok() const {
  SqliteStatement query(m_db, "PRAGMA integrity_check");
  // A healthy database answers with exactly one row, "ok"; otherwise each row is a problem.
  return query.step() && query.column_text(0) == "ok" && !query.step();
}

}  // namespace zoolab
