#include "engine/store/migrations.h"

#include <sqlite3.h>

#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include "engine/store/contained_path.h"
#include "engine/store/sqlite_statement.h"
#include "engine/store/store.h"

namespace zoolab {

namespace {

namespace fs = std::filesystem;

// Text columns default to '' so readers never meet NULL where the record has a plain string; the
// timestamps that mean "not yet" (started_at, finished_at, heartbeat_at) stay NULL instead.
// metrics.value is nullable because SQLite stores a NaN (a diverged loss) as NULL.
const char* const kMigration1 = R"sql(
CREATE TABLE sweeps (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL DEFAULT '',
  spec_json  TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL
);

CREATE TABLE runs (
  id             INTEGER PRIMARY KEY,
  name           TEXT NOT NULL DEFAULT '',
  task           TEXT NOT NULL DEFAULT '',
  mixer          TEXT NOT NULL DEFAULT '',
  config_json    TEXT NOT NULL DEFAULT '{}',
  status         TEXT NOT NULL DEFAULT 'queued' CHECK (status IN
                   ('queued', 'running', 'finished', 'failed', 'cancelled', 'interrupted', 'diverged')),
  created_at     TEXT NOT NULL,
  started_at     TEXT,
  finished_at    TEXT,
  seed           INTEGER NOT NULL DEFAULT 0,
  num_parameters INTEGER NOT NULL DEFAULT 0,
  state_size     INTEGER NOT NULL DEFAULT 0,
  device         TEXT NOT NULL DEFAULT '',
  error          TEXT NOT NULL DEFAULT '',
  epochs         INTEGER NOT NULL DEFAULT 0,
  steps          INTEGER NOT NULL DEFAULT 0,
  sweep_id       INTEGER REFERENCES sweeps(id) ON DELETE SET NULL,
  tags           TEXT NOT NULL DEFAULT '',
  notes          TEXT NOT NULL DEFAULT '',
  colour         TEXT NOT NULL DEFAULT '',
  pid            INTEGER NOT NULL DEFAULT 0,
  heartbeat_at   TEXT
);
CREATE INDEX runs_by_name ON runs(name);
CREATE INDEX runs_by_status ON runs(status);
CREATE INDEX runs_by_sweep ON runs(sweep_id);

CREATE TABLE metrics (
  id        INTEGER PRIMARY KEY,
  run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key       TEXT NOT NULL,
  step      INTEGER NOT NULL,
  value     REAL,
  epoch     INTEGER NOT NULL DEFAULT 0,
  wall_time REAL NOT NULL DEFAULT 0
);
CREATE INDEX metrics_by_run_key_step ON metrics(run_id, key, step);

CREATE TABLE run_summary (
  run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key       TEXT NOT NULL,
  last      REAL,
  last_step INTEGER NOT NULL DEFAULT 0,
  min       REAL,
  max       REAL,
  best      REAL,
  best_step INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

CREATE TABLE checkpoints (
  id         INTEGER PRIMARY KEY,
  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  epoch      INTEGER NOT NULL,
  step       INTEGER NOT NULL,
  path       TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX checkpoints_by_run_step ON checkpoints(run_id, step);

CREATE TABLE workers (
  id           INTEGER PRIMARY KEY,
  pid          INTEGER NOT NULL,
  host         TEXT NOT NULL DEFAULT '',
  started_at   TEXT NOT NULL,
  heartbeat_at TEXT,
  slots        INTEGER NOT NULL DEFAULT 1
);
)sql";

// Version 2: the run queue (`zoolab-cli enqueue` and `zoolab-cli worker`). The version-1 workers table was
// never written to, so it is replaced rather than altered. metrics is rebuilt with AUTOINCREMENT so that
// deleting the newest run can never hand its row ids to new points: the GUI polls for ids above the last one
// it saw. metrics is a child table only (nothing references it), so dropping it under foreign_keys=ON is
// safe.
const char* const kMigration2 = R"sql(
DROP TABLE workers;
CREATE TABLE workers (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  pid            INTEGER NOT NULL,
  hostname       TEXT NOT NULL DEFAULT '',
  slots          INTEGER NOT NULL DEFAULT 1,
  started_at     TEXT NOT NULL,
  heartbeat_at   TEXT NOT NULL,
  stop_requested INTEGER NOT NULL DEFAULT 0 CHECK (stop_requested IN (0, 1))
);

ALTER TABLE runs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1));

CREATE TABLE metrics_v2 (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key       TEXT NOT NULL,
  step      INTEGER NOT NULL,
  value     REAL,
  epoch     INTEGER NOT NULL DEFAULT 0,
  wall_time REAL NOT NULL DEFAULT 0
);
INSERT INTO metrics_v2 (id, run_id, key, step, value, epoch, wall_time)
  SELECT id, run_id, key, step, value, epoch, wall_time FROM metrics ORDER BY id;
DROP TABLE metrics;
ALTER TABLE metrics_v2 RENAME TO metrics;
CREATE INDEX metrics_by_run_key_step ON metrics(run_id, key, step);
-- The curves poll each watched run for rows after the last one seen (Store::metrics_after).
CREATE INDEX metrics_by_run_id ON metrics(run_id, id);
)sql";

// Version 3: sweeps and merging (`zoolab-cli sweep`, `zoolab-cli db merge`). A run gets a random uid
// that survives merges, so merging the same database twice copies its runs once; sweep names become
// unique, since `zoolab-cli sweep` finds a sweep by name to enqueue only its missing points. No version
// before 3 ever wrote a sweep row, so the unique index cannot meet duplicates.
const char* const kMigration3 = R"sql(
ALTER TABLE runs ADD COLUMN uid TEXT NOT NULL DEFAULT '';
UPDATE runs SET uid = lower(hex(randomblob(16)));
CREATE UNIQUE INDEX runs_by_uid ON runs(uid);
CREATE UNIQUE INDEX sweeps_by_name ON sweeps(name);
)sql";

// Version 4: the recall inspector (`zoolab-cli inspect` and the window's Inspector). Per-query records are
// one packed blob per evaluation and subset (engine/inspect/query_records.h), not a row per query: a final
// evaluation of 3,000 examples with 8 queries each is 24,000 records, and one blob costs ~37 bytes a record
// and one insert. Patterns are one row per (example, layer, kind, head) matrix, as float32 little-endian.
const char* const kMigration4 = R"sql(
CREATE TABLE query_records (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step   INTEGER NOT NULL,
  epoch  INTEGER NOT NULL DEFAULT 0,
  subset TEXT NOT NULL CHECK (subset IN ('all', 'tracked')),
  count  INTEGER NOT NULL DEFAULT 0,
  data   BLOB NOT NULL,
  PRIMARY KEY (run_id, step, subset)
) WITHOUT ROWID;

CREATE TABLE patterns (
  run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step    INTEGER NOT NULL,
  epoch   INTEGER NOT NULL DEFAULT 0,
  example INTEGER NOT NULL,
  layer   INTEGER NOT NULL,
  kind    TEXT NOT NULL,
  head    INTEGER NOT NULL DEFAULT -1,
  rows    INTEGER NOT NULL,
  cols    INTEGER NOT NULL,
  data    BLOB NOT NULL,
  PRIMARY KEY (run_id, step, example, layer, kind, head)
) WITHOUT ROWID;
)sql";

// Version 5: per-token validation losses of text runs (engine/text/token_losses.h). One blob
// per run, the newest validation's (the trainer replaces it), so run_id is the key: a 64 x 129-token
// validation set is ~100 KB, and keeping every validation's would grow the file for no reader.
const char* const kMigration5 = R"sql(
CREATE TABLE token_losses (
  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  step   INTEGER NOT NULL,
  epoch  INTEGER NOT NULL DEFAULT 0,
  bytes  INTEGER NOT NULL DEFAULT 0,
  blob   BLOB NOT NULL
);
)sql";

bool is_file_database(const std::string& path) {
  return !path.empty() && path != ":memory:" && path.rfind("file:", 0) != 0;
}

// Version 6: checkpoint paths relative to the database's files folder ("<db>.files"). Versions up to 5
// recorded them as written: absolute, or relative to the working folder of the day when --db was
// relative. Absolute paths then survived `cp a.sqlite b.sqlite` and made b's deletes remove a's files.
// Paths inside the files folder become relative; a relative one that names the folder
// ("data/runs.sqlite.files/runs/1/...") keeps what follows that name. Any other path stays as it is, and
// the store refuses to read or delete it (`zoolab-cli db check` lists it).
void make_checkpoint_paths_relative(sqlite3* db, const std::string& database_path) {
  if (!is_file_database(database_path)) {
    return;
  }
  const fs::path files = database_path + ".files";
  const std::string folder_name = files.filename().string();
  std::vector<std::pair<int64_t, std::string>> rows;
  {
    SqliteStatement query(db, "SELECT id, path FROM checkpoints");
    while (query.step()) {
      rows.emplace_back(query.column_int64(0), query.column_text(1));
    }
  }
  SqliteStatement update(db, "UPDATE checkpoints SET path = ? WHERE id = ?");
  for (const auto& [id, recorded] : rows) {
    const fs::path path(recorded);
    std::optional<std::string> relative;
    if (path.is_absolute()) {
      relative = relative_inside(path, files);
    } else {
      fs::path rest;
      bool found = false;
      for (const auto& part : path) {
        if (found) {
          rest /= part;
        }
        found = found || part == folder_name;
      }
      if (found && !rest.empty()) {
        relative = relative_inside(rest, files);
      }
    }
    if (relative && *relative != recorded) {
      update.reset();
      update.bind(1, *relative).bind(2, id);
      update.run();
    }
  }
}

// sqlite3_backup reads a consistent snapshot through SQLite (WAL content included), which a plain file
// copy of a live WAL database would not.
void backup_database(sqlite3* db, const std::string& target) {
  sqlite3* dest = nullptr;
  if (sqlite3_open_v2(target.c_str(), &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    const std::string message = dest ? sqlite3_errmsg(dest) : "out of memory";
    sqlite3_close_v2(dest);
    throw StoreError("cannot create the pre-migration backup " + target + ": " + message);
  }
  sqlite3_backup* backup = sqlite3_backup_init(dest, "main", db, "main");
  int rc = SQLITE_ERROR;
  if (backup != nullptr) {
    rc = sqlite3_backup_step(backup, -1);
    sqlite3_backup_finish(backup);
  }
  const std::string message = sqlite3_errmsg(dest);
  sqlite3_close_v2(dest);
  if (rc != SQLITE_DONE) {
    throw StoreError("cannot write the pre-migration backup " + target + ": " + message +
                     " (refusing to migrate without it)");
  }
}

}  // namespace

const std::vector<Migration>& schema_migrations() {
  static const std::vector<Migration> migrations = {
      {1, kMigration1}, {2, kMigration2}, {3, kMigration3},
      {4, kMigration4}, {5, kMigration5}, {6, "", &make_checkpoint_paths_relative}};
  return migrations;
}

int read_user_version(sqlite3* db) {
  SqliteStatement query(db, "PRAGMA user_version");
  if (!query.step()) {
    throw StoreError("sqlite: PRAGMA user_version returned no row");
  }
  return static_cast<int>(query.column_int64(0));
}

void refuse_newer_schema(sqlite3* db, int supported) {
  const int version = read_user_version(db);
  if (version > supported) {
    throw StoreError("its schema version is " + std::to_string(version) +
                     ", but this zoolab supports schema versions up to " + std::to_string(supported) +
                     "; open it with a newer zoolab release (one that supports schema version " +
                     std::to_string(version) + ")");
  }
}

void apply_migrations(sqlite3* db, const std::string& path, const std::vector<Migration>& migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      throw StoreError("schema migrations are misnumbered: entry " + std::to_string(i) + " has version " +
                       std::to_string(migrations[i].version));
    }
  }
  const int target = static_cast<int>(migrations.size());
  refuse_newer_schema(db, target);
  const int old_version = read_user_version(db);
  if (old_version == target) {
    return;
  }
  if (old_version > 0 && is_file_database(path)) {
    backup_database(db, path + ".backup-v" + std::to_string(old_version));
  }
  for (const Migration& migration : migrations) {
    SqliteTransaction transaction(db);
    // Re-read under the write lock: another process may have migrated since we looked.
    if (read_user_version(db) >= migration.version) {
      continue;
    }
    try {
      if (!migration.sql.empty()) {
        sqlite_exec(db, migration.sql);
      }
      if (migration.step != nullptr) {
        migration.step(db, path);
      }
    } catch (const StoreError& error) {
      throw StoreError("migration to schema version " + std::to_string(migration.version) +
                       " failed (the database keeps its previous version): " + error.what());
    }
    sqlite_exec(db, "PRAGMA user_version = " + std::to_string(migration.version));
    transaction.commit();
  }
}

}  // namespace zoolab
