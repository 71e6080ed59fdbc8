#pragma once

// Thin RAII helpers over the SQLite C API, used only inside engine/store. Every failure throws
// StoreError carrying sqlite3_errmsg and the SQL, so a broken query names itself in the message.

#include <cstdint>
#include <optional>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace zoolab {

// Runs one or more statements that return no rows (schema, pragmas that only set).
void sqlite_exec(sqlite3* db, const std::string& sql);

class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, std::string sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  // Parameters are 1-based, as in sqlite3_bind_*.
  SqliteStatement& bind(int index, int64_t value);
  SqliteStatement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  SqliteStatement& bind(int index, double value);
  SqliteStatement& bind(int index, const std::string& value);
  SqliteStatement& bind(int index, const char* value) { return bind(index, std::string(value)); }
  SqliteStatement& bind(int index, const std::optional<int64_t>& value);
  SqliteStatement& bind_null(int index);
  SqliteStatement& bind_blob(int index, const void* data, size_t bytes);

  // True while a row is available; false once the statement is done.
  bool step();
  // Steps a statement that must not return rows (INSERT/UPDATE/DELETE).
  void run();
  // Makes the statement reusable with new bindings.
  void reset();

  // Columns are 0-based, as in sqlite3_column_*. NULL reads as 0, 0.0 or "".
  bool is_null(int column) const;
  int64_t column_int64(int column) const;
  double column_double(int column) const;
  std::string column_text(int column) const;
  // column_text made valid UTF-8 (engine/text/utf8.h): a row written before the store sanitised its
  // texts, or by another program, must not break a JSON listing of the whole database.
  std::string column_utf8(int column) const;
  std::string column_blob(int column) const;
  std::optional<int64_t> column_optional_int64(int column) const;

  const std::string& sql() const { return m_sql; }

 private:
  [[noreturn]] void fail(const std::string& what) const;
  sqlite3* m_db;
  std::string m_sql;
  sqlite3_stmt* m_stmt = nullptr;
};

// BEGIN IMMEDIATE takes the write lock up front: a deferred transaction that reads then writes can hit
// SQLITE_BUSY on upgrade, which the busy timeout does not retry.
class SqliteTransaction {
 public:
  explicit SqliteTransaction(sqlite3* db);
  ~SqliteTransaction();  // rolls back unless committed
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;

  void commit();

 private:
  sqlite3* m_db;
  bool m_done = false;
};

}  // namespace zoolab
