#include "engine/store/staged_database.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "engine/store/sqlite_statement.h"
#include "engine/store/store.h"

namespace zoolab {

namespace fs = std::filesystem;

namespace {

bool present(const fs::path& path) {
  std::error_code error;
  return fs::exists(fs::symlink_status(path, error));
}

void refuse_existing(const std::string& destination) {
  for (const std::string& path : {destination, destination + ".files"}) {
    if (present(path)) {
      throw StoreError(path + " already exists; give a new file name (nothing was written)");
    }
  }
}

}  // namespace

StagedDatabase::StagedDatabase(const std::string& destination) {
  if (destination.empty()) {
    throw StoreError("the destination database path is empty");
  }
  std::error_code error;
  m_destination = fs::absolute(destination, error).lexically_normal().string();
  if (error) {
    throw StoreError("cannot make " + destination + " absolute: " + error.message());
  }
  refuse_existing(m_destination);
  m_path = m_destination + ".partial-" + std::to_string(getpid());
  // A leftover of a process that had our pid and was killed midway: the name is ours alone.
  remove_temporary();
}

StagedDatabase::~StagedDatabase() {
  if (!m_committed) {
    remove_temporary();
  }
}

void StagedDatabase::remove_temporary() noexcept {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    fs::remove(m_path + suffix, ignored);
  }
  fs::remove_all(m_path + ".files", ignored);
}

void StagedDatabase::commit() {
  // Only the main file moves, so everything must be in it: leaving WAL mode checkpoints and drops the
  // -wal (the next Store to open the database switches it back).
  {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(m_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      const std::string message = db ? sqlite3_errmsg(db) : "out of memory";
      sqlite3_close_v2(db);
      throw StoreError("cannot reopen the new database " + m_path + ": " + message);
    }
    try {
      SqliteStatement(db, "PRAGMA journal_mode = DELETE").step();
    } catch (...) {
      sqlite3_close_v2(db);
      throw;
    }
    sqlite3_close_v2(db);
  }
  refuse_existing(m_destination);
  const std::string files = m_path + ".files";
  const std::string destination_files = m_destination + ".files";
  std::error_code error;
  const bool has_files = present(files);
  if (has_files) {
    fs::rename(files, destination_files, error);
    if (error) {
      throw StoreError("cannot move " + files + " to " + destination_files + ": " + error.message());
    }
  }
  // link() never replaces an existing file, so a destination that appeared meanwhile is kept. A file
  // system without hard links gets a rename after one more look.
  std::string failure;
  if (::link(m_path.c_str(), m_destination.c_str()) == 0) {
    fs::remove(m_path, error);
  } else if (const int link_error = errno; link_error == EEXIST || present(m_destination)) {
    failure = std::strerror(EEXIST);
  } else {
    fs::rename(m_path, m_destination, error);
    failure = error ? error.message() : "";
  }
  if (!failure.empty()) {
    if (has_files) {
      fs::rename(destination_files, files, error);
    }
    throw StoreError("cannot create " + m_destination + ": " + failure + " (nothing was written there)");
  }
  m_committed = true;
}

}  // namespace zoolab
