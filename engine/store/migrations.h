#pragma once

// Numbered schema migrations keyed on PRAGMA user_version (internal to engine/store). Migration N takes
// a database from version N-1 to N; a fresh file is version 0.

#include <string>
#include <vector>

struct sqlite3;

namespace zoolab {

// A step of a migration that SQL cannot express (it looks at files); runs after `sql`, in the same
// transaction. `database_path` is the database file's absolute path.
using MigrationStep = void (*)(sqlite3* db, const std::string& database_path);

struct Migration {
  int version;      // user_version after it ran
  std::string sql;  // one or more statements
  MigrationStep step = nullptr;
};

// Every migration of the current schema, versions 1, 2, ... in order.
const std::vector<Migration>& schema_migrations();

int read_user_version(sqlite3* db);

// Throws StoreError when the file's schema is newer than `supported`; called before anything writes to it.
void refuse_newer_schema(sqlite3* db, int supported);

// Brings the database to the last migration's version. An existing database (version > 0) is first
// copied to "<path>.backup-v<old>"; each migration runs in its own transaction together with the
// user_version bump, so a failure leaves the previous version intact.
void apply_migrations(sqlite3* db, const std::string& path, const std::vector<Migration>& migrations);

}  // namespace zoolab
