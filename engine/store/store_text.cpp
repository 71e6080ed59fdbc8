// The text runs' table (schema 5, engine/store/migrations.cpp): one per-token validation-loss blob per
// run (engine/text/token_losses.h). The store keeps the blob opaque; decoding is engine/text's.

#include "engine/store/sqlite_statement.h"
#include "engine/store/store.h"

namespace zoolab {

void Store::put_token_losses(int64_t run, int64_t step, int64_t epoch, const std::string& blob) {
  // run_id is the primary key: the newest validation replaces the previous one.
  SqliteStatement insert(m_db,
                         "INSERT OR REPLACE INTO token_losses (run_id, step, epoch, bytes, blob) "
                         "VALUES (?, ?, ?, ?, ?)");
  insert.bind(1, run).bind(2, step).bind(3, epoch).bind(4, static_cast<int64_t>(blob.size()));
  insert.bind_blob(5, blob.data(), blob.size()).run();
}

std::optional<std::string> Store::token_losses(int64_t run) const {
  SqliteStatement query(m_db, "SELECT blob FROM token_losses WHERE run_id = ?");
  query.bind(1, run);
  if (!query.step()) {
    return std::nullopt;
  }
  return query.column_blob(0);
}

std::optional<std::pair<int64_t, int64_t>> Store::token_losses_version(int64_t run) const {
  SqliteStatement query(m_db, "SELECT step, bytes FROM token_losses WHERE run_id = ?");
  query.bind(1, run);
  if (!query.step()) {
    return std::nullopt;
  }
  return std::make_pair(query.column_int64(0), query.column_int64(1));
}

}  // namespace zoolab
