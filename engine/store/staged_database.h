#pragma once

// A new database built under a temporary name beside its destination and put in place at the end, so a
// command that fails midway (`zoolab-cli db merge`, `db copy`) leaves nothing at the destination and can
// simply be run again.

#include <string>

namespace zoolab {

class StagedDatabase {
 public:
  // Throws StoreError when `destination` or "<destination>.files" already exists. The database is built
  // at path(), "<destination>.partial-<pid>", with its files folder "<path()>.files".
  explicit StagedDatabase(const std::string& destination);
  // Unless committed: removes the temporary database, its -wal and -shm, and its files folder.
  ~StagedDatabase();
  StagedDatabase(const StagedDatabase&) = delete;
  StagedDatabase& operator=(const StagedDatabase&) = delete;

  const std::string& path() const { return m_path; }
  const std::string& destination() const { return m_destination; }

  // Folds any -wal into the file, then moves the files folder and the database to the destination
  // (the database last, never over an existing file). Every connection to path() must be closed first.
  // Throws StoreError, leaving the destination as it was.
  void commit();

 private:
  void remove_temporary() noexcept;
  std::string m_destination;
  std::string m_path;
  bool m_committed = false;
};

}  // namespace zoolab
