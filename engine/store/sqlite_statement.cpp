#include "engine/store/sqlite_statement.h"

#include <sqlite3.h>

#include <utility>

#include "engine/store/store.h"
#include "engine/text/utf8.h"

namespace zoolab {

namespace {

[[noreturn]] void throw_sqlite(sqlite3* db, const std::string& what, const std::string& sql) {
  std::string message = "sqlite: " + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
  if (!sql.empty()) {
    message += " (SQL: " + sql + ")";
  }
  throw StoreError(message);
}

}  // namespace

void sqlite_exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errmsg(db);
    sqlite3_free(error);
    throw StoreError("sqlite: exec failed: " + message + " (SQL: " + sql + ")");
  }
}

SqliteStatement::SqliteStatement(sqlite3* db, std::string sql) : m_db(db), m_sql(std::move(sql)) {
  if (sqlite3_prepare_v2(m_db, m_sql.c_str(), static_cast<int>(m_sql.size() + 1), &m_stmt, nullptr) !=
      SQLITE_OK) {
    fail("prepare failed");
  }
  if (m_stmt == nullptr) {
    throw StoreError("sqlite: prepare produced no statement (SQL: " + m_sql + ")");
  }
}

SqliteStatement::~SqliteStatement() {
  sqlite3_finalize(m_stmt);
}

void SqliteStatement::fail(const std::string& what) const {
  throw_sqlite(m_db, what, m_sql);
}

SqliteStatement& SqliteStatement::bind(int index, int64_t value) {
  if (sqlite3_bind_int64(m_stmt, index, value) != SQLITE_OK) {
    fail("bind of parameter " + std::to_string(index) + " failed");
  }
  return *this;
}

SqliteStatement& SqliteStatement::bind(int index, double value) {
  if (sqlite3_bind_double(m_stmt, index, value) != SQLITE_OK) {
    fail("bind of parameter " + std::to_string(index) + " failed");
  }
  return *this;
}

SqliteStatement& SqliteStatement::bind(int index, const std::string& value) {
  if (sqlite3_bind_text(m_stmt, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK) {
    fail("bind of parameter " + std::to_string(index) + " failed");
  }
  return *this;
}

SqliteStatement& SqliteStatement::bind_blob(int index, const void* data, size_t bytes) {
  // A zero-length blob with a null pointer would bind NULL; the empty string's data() never is null.
  static const char kEmpty = 0;
  if (sqlite3_bind_blob64(m_stmt, index, bytes == 0 ? &kEmpty : data, bytes, SQLITE_TRANSIENT) != SQLITE_OK) {
    fail("bind of blob parameter " + std::to_string(index) + " failed");
  }
  return *this;
}

SqliteStatement& SqliteStatement::bind(int index, const std::optional<int64_t>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

SqliteStatement& SqliteStatement::bind_null(int index) {
  if (sqlite3_bind_null(m_stmt, index) != SQLITE_OK) {
    fail("bind of parameter " + std::to_string(index) + " failed");
  }
  return *this;
}

bool SqliteStatement::step() {
  const int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  fail("step failed");
}

void SqliteStatement::run() {
  if (step()) {
    throw StoreError("sqlite: statement returned rows where none were expected (SQL: " + m_sql + ")");
  }
}

void SqliteStatement::reset() {
  // sqlite3_reset repeats the last step's error; that error was already thrown from step().
  sqlite3_reset(m_stmt);
  sqlite3_clear_bindings(m_stmt);
}

bool SqliteStatement::is_null(int column) const {
  return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

int64_t SqliteStatement::column_int64(int column) const {
  return sqlite3_column_int64(m_stmt, column);
}

double SqliteStatement::column_double(int column) const {
  return sqlite3_column_double(m_stmt, column);
}

std::string SqliteStatement::column_blob(int column) const {
  const void* data = sqlite3_column_blob(m_stmt, column);
  const int bytes = sqlite3_column_bytes(m_stmt, column);
  return data == nullptr ? std::string()
                         : std::string(static_cast<const char*>(data), static_cast<size_t>(bytes));
}

std::string SqliteStatement::column_text(int column) const {
  const auto* text = sqlite3_column_text(m_stmt, column);
  if (text == nullptr) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(m_stmt, column));
}

std::string SqliteStatement::column_utf8(int column) const {
  return to_valid_utf8(column_text(column));
}

std::optional<int64_t> SqliteStatement::column_optional_int64(int column) const {
  if (is_null(column)) {
    return std::nullopt;
  }
  return column_int64(column);
}

SqliteTransaction::SqliteTransaction(sqlite3* db) : m_db(db) {
  sqlite_exec(m_db, "BEGIN IMMEDIATE");
}

SqliteTransaction::~SqliteTransaction() {
  if (!m_done) {
    // Never throw from a destructor; a failed rollback leaves SQLite to roll back on close.
    sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void SqliteTransaction::commit() {
  sqlite_exec(m_db, "COMMIT");
  m_done = true;
}

}  // namespace zoolab
