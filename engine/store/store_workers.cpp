// The workers table: the one live worker of a database, its heartbeat, and stop requests.

#include <sqlite3.h>

#include <optional>
#include <string>
#include <vector>

#include "engine/store/sqlite_statement.h"
#include "engine/store/store.h"
#include "engine/text/utf8.h"

namespace zoolab {

namespace {

// Millisecond timestamps for heartbeats: liveness is judged on ages of a few seconds.
const char* const kNowMs = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

const char* const kWorkerColumns =
    "id, pid, hostname, slots, started_at, heartbeat_at, stop_requested, "
    "(julianday('now') - julianday(heartbeat_at)) * 86400.0";

WorkerRecord read_worker(const SqliteStatement& row) {
  WorkerRecord worker;
  worker.id = row.column_int64(0);
  worker.pid = row.column_int64(1);
  worker.hostname = row.column_utf8(2);
  worker.slots = row.column_int64(3);
  worker.started_at = row.column_utf8(4);
  worker.heartbeat_at = row.column_utf8(5);
  worker.stop_requested = row.column_int64(6) != 0;
  worker.heartbeat_age_s = row.column_double(7);
  return worker;
}

// Another host's pid cannot be probed from here, so there only the heartbeat counts.
bool worker_is_live(const WorkerRecord& worker, double max_age_s) {
  return worker.heartbeat_age_s <= max_age_s &&
         (worker.hostname != this_host_name() || process_alive(worker.pid));
}

std::optional<WorkerRecord> find_live_worker(sqlite3* db, double max_age_s) {
  SqliteStatement query(
      db, std::string("SELECT ") + kWorkerColumns + " FROM workers ORDER BY heartbeat_at DESC, id DESC");
  while (query.step()) {
    WorkerRecord worker = read_worker(query);
    if (worker_is_live(worker, max_age_s)) {
      return worker;
    }
  }
  return std::nullopt;
}

}  // namespace

int64_t Store::register_worker(int64_t pid, int slots) {
  const std::string host = this_host_name();
  SqliteTransaction transaction(m_db);
  // Rows of workers on this host whose process is gone (kill -9, a crash) would only confuse readers.
  std::vector<int64_t> dead;
  {
    SqliteStatement query(m_db, "SELECT id, pid FROM workers WHERE hostname = ?");
    query.bind(1, host);
    while (query.step()) {
      if (!process_alive(query.column_int64(1))) {
        dead.push_back(query.column_int64(0));
      }
    }
  }
  for (int64_t id : dead) {
    SqliteStatement(m_db, "DELETE FROM workers WHERE id = ?").bind(1, id).run();
  }
  if (const auto other = find_live_worker(m_db, 10.0)) {
    throw StoreError("another worker (pid " + std::to_string(other->pid) + " on " + other->hostname +
                     ") already serves " + m_path + "; stop it with `zoolab-cli worker --stop` or use it");
  }
  SqliteStatement insert(
      m_db, std::string("INSERT INTO workers (pid, hostname, slots, started_at, "
                        "heartbeat_at) VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ") +
                kNowMs + ")");
  insert.bind(1, pid).bind(2, to_valid_utf8(host)).bind(3, slots);
  insert.run();
  const int64_t id = sqlite3_last_insert_rowid(m_db);
  transaction.commit();
  return id;
}

void Store::worker_heartbeat(int64_t worker_id) {
  SqliteStatement update(m_db, std::string("UPDATE workers SET heartbeat_at = ") + kNowMs + " WHERE id = ?");
  update.bind(1, worker_id);
  update.run();
  if (sqlite3_changes(m_db) == 0) {
    throw StoreError("worker_heartbeat: no worker with id " + std::to_string(worker_id));
  }
}

std::optional<WorkerRecord> Store::live_worker(double max_age_s) const {
  return find_live_worker(m_db, max_age_s);
}

void Store::request_worker_stop(int64_t worker_id) {
  SqliteStatement update(m_db, "UPDATE workers SET stop_requested = 1 WHERE id = ?");
  update.bind(1, worker_id);
  update.run();
  if (sqlite3_changes(m_db) == 0) {
    throw StoreError("request_worker_stop: no worker with id " + std::to_string(worker_id));
  }
}

bool Store::worker_stop_requested(int64_t worker_id) const {
  SqliteStatement query(m_db, "SELECT stop_requested FROM workers WHERE id = ?");
  query.bind(1, worker_id);
  return !query.step() || query.column_int64(0) != 0;
}

void Store::remove_worker(int64_t worker_id) {
  SqliteStatement(m_db, "DELETE FROM workers WHERE id = ?").bind(1, worker_id).run();
}

}  // namespace zoolab
