#pragma once

// A run database connection for a view: opened on first use and kept, so a tab that is never shown
// never opens the file, and forgotten when the window switches databases. An open that fails is
// not retried until the next use, and its message is kept for the status line.

#include <memory>

#include <QString>

namespace zoolab {

class Store;

class LazyStore {
 public:
  LazyStore();
  ~LazyStore();
  LazyStore(const LazyStore&) = delete;
  LazyStore& operator=(const LazyStore&) = delete;

  // Closes any open connection; the next get() opens `path` (an empty path opens nothing).
  void setPath(const QString& path);
  const QString& path() const { return m_path; }

  // The open store, opened now if need be; nullptr without a path or when opening failed (error()).
  Store* get();

  // Why the last open failed; empty after a success or a new path.
  const QString& error() const { return m_error; }

 private:
  QString m_path;
  std::unique_ptr<Store> m_store;
  QString m_error;
};

}  // namespace zoolab
