// The recall inspector's tables (schema 4, engine/store/migrations.cpp): per-query record blobs and
// pattern matrices. Kept apart from store.cpp, which holds runs, metrics, the queue and sweeps.

#include <cstring>

#include "engine/store/sqlite_statement.h"
#include "engine/store/store.h"
#include "engine/text/utf8.h"

namespace zoolab {

void Store::put_query_records(const QueryRecordSetInfo& info, const std::string& blob) {
  SqliteStatement insert(m_db,
                         "INSERT OR REPLACE INTO query_records (run_id, step, epoch, subset, count, data) "
                         "VALUES (?, ?, ?, ?, ?, ?)");
  insert.bind(1, info.run_id).bind(2, info.step).bind(3, info.epoch).bind(4, info.subset).bind(5, info.count);
  insert.bind_blob(6, blob.data(), blob.size()).run();
}

std::vector<QueryRecordSetInfo> Store::list_query_records(int64_t run) const {
  SqliteStatement query(m_db,
                        "SELECT run_id, step, epoch, subset, count, length(data) FROM query_records "
                        "WHERE run_id = ? ORDER BY step, subset");
  query.bind(1, run);
  std::vector<QueryRecordSetInfo> sets;
  while (query.step()) {
    sets.push_back({query.column_int64(0), query.column_int64(1), query.column_int64(2), query.column_utf8(3),
                    query.column_int64(4), query.column_int64(5)});
  }
  return sets;
}

std::optional<std::string> Store::query_records(int64_t run, int64_t step, const std::string& subset) const {
  SqliteStatement query(m_db, "SELECT data FROM query_records WHERE run_id = ? AND step = ? AND subset = ?");
  query.bind(1, run).bind(2, step).bind(3, subset);
  if (!query.step()) {
    return std::nullopt;
  }
  return query.column_blob(0);
}

void Store::put_patterns(const std::vector<PatternRecord>& patterns) {
  SqliteTransaction transaction(m_db);
  SqliteStatement insert(
      m_db,
      "INSERT OR REPLACE INTO patterns (run_id, step, epoch, example, layer, kind, head, rows, "
      "cols, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const auto& p : patterns) {
    if (static_cast<int64_t>(p.values.size()) != p.rows * p.cols) {
      throw StoreError("pattern " + p.kind + " of run " + std::to_string(p.run_id) + " layer " +
                       std::to_string(p.layer) + ": " + std::to_string(p.values.size()) + " values for a " +
                       std::to_string(p.rows) + "x" + std::to_string(p.cols) + " matrix");
    }
    // float32 in the machine's order: every platform zoolab builds on is little-endian.
    insert.reset();
    insert.bind(1, p.run_id).bind(2, p.step).bind(3, p.epoch).bind(4, p.example).bind(5, p.layer);
    insert.bind(6, to_valid_utf8(p.kind)).bind(7, p.head).bind(8, p.rows).bind(9, p.cols);
    insert.bind_blob(10, p.values.data(), p.values.size() * sizeof(float)).run();
  }
  transaction.commit();
}

std::vector<int64_t> Store::pattern_steps(int64_t run) const {
  SqliteStatement query(m_db, "SELECT DISTINCT step FROM patterns WHERE run_id = ? ORDER BY step");
  query.bind(1, run);
  std::vector<int64_t> steps;
  while (query.step()) {
    steps.push_back(query.column_int64(0));
  }
  return steps;
}

std::vector<PatternRecord> Store::patterns(int64_t run, int64_t step, std::optional<int64_t> example) const {
  SqliteStatement query(
      m_db,
      "SELECT run_id, step, epoch, example, layer, kind, head, rows, cols, data FROM patterns "
      "WHERE run_id = ? AND step = ? AND (? IS NULL OR example = ?) "
      "ORDER BY example, layer, kind, head");
  query.bind(1, run).bind(2, step).bind(3, example).bind(4, example);
  std::vector<PatternRecord> patterns;
  while (query.step()) {
    PatternRecord p;
    p.run_id = query.column_int64(0);
    p.step = query.column_int64(1);
    p.epoch = query.column_int64(2);
    p.example = query.column_int64(3);
    p.layer = query.column_int64(4);
    p.kind = query.column_utf8(5);
    p.head = query.column_int64(6);
    p.rows = query.column_int64(7);
    p.cols = query.column_int64(8);
    const std::string data = query.column_blob(9);
    if (static_cast<int64_t>(data.size()) != p.rows * p.cols * static_cast<int64_t>(sizeof(float))) {
      throw StoreError("pattern " + p.kind + " of run " + std::to_string(run) + " step " +
                       std::to_string(step) + " is damaged: " + std::to_string(data.size()) +
                       " bytes for a " + std::to_string(p.rows) + "x" + std::to_string(p.cols) + " matrix");
    }
    p.values.resize(static_cast<size_t>(p.rows * p.cols));
    std::memcpy(p.values.data(), data.data(), data.size());
    patterns.push_back(std::move(p));
  }
  return patterns;
}

}  // namespace zoolab
