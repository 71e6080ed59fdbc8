#include "engine/store/database_copy.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "engine/store/contained_path.h"
#include "engine/store/sqlite_statement.h"
#include "engine/store/staged_database.h"
#include "engine/store/store.h"
#include "engine/text/utf8.h"

namespace zoolab {

namespace fs = std::filesystem;

namespace {

class FileCopier {
 public:
  FileCopier(fs::path from_root, fs::path to_root, CopyReport& report)
      : m_from_root(std::move(from_root)), m_to_root(std::move(to_root)), m_report(report) {}

  // Copies `relative` (a file or a folder below the source's files folder) to the same place below the
  // destination's. Symlinks are followed only where they resolve inside the source's files folder.
  void copy(const fs::path& relative) {
    const fs::path from = m_from_root / relative;
    std::error_code error;
    if (!fs::exists(fs::symlink_status(from, error))) {
      return;
    }
    const auto resolved = contained_path(from, m_from_root);
    if (!resolved) {
      skip(from, "resolves outside " + m_from_root.string() + " (symlinks resolved); not copied");
      return;
    }
    if (fs::is_directory(*resolved, error)) {
      for (fs::directory_iterator it(*resolved, error), end; !error && it != end; it.increment(error)) {
        copy(relative / it->path().filename());
      }
      if (error) {
        throw StoreError("cannot list " + escape_for_terminal(resolved->string()) + ": " + error.message());
      }
    } else if (fs::is_regular_file(*resolved, error)) {
      copy_file(*resolved, m_to_root / relative);
    } else {
      skip(from, "not a regular file; not copied");
    }
  }

 private:
  void copy_file(const fs::path& from, const fs::path& to) {
    std::error_code error;
    fs::create_directories(to.parent_path(), error);
    if (!error) {
      fs::copy_file(from, to, fs::copy_options::skip_existing, error);
    }
    if (error) {
      throw StoreError("cannot copy " + escape_for_terminal(from.string()) + " to " + to.string() + ": " +
                       error.message());
    }
    ++m_report.files_copied;
    m_report.bytes_copied += static_cast<int64_t>(fs::file_size(to, error));
  }

  void skip(const fs::path& path, const std::string& why) {
    m_report.skipped.push_back(escape_for_terminal(path.string()) + ": " + why);
  }

  fs::path m_from_root;
  fs::path m_to_root;
  CopyReport& m_report;
};

}  // namespace

CopyReport copy_database(const std::string& source_path, const std::string& destination) {
  std::error_code missing;
  if (!fs::is_regular_file(source_path, missing)) {
    throw StoreError("no database at " + source_path + " (missing or not a file)");
  }
  StagedDatabase staged(destination);
  CopyReport report;
  {
    const Store source(source_path, Store::Access::Read);
    SqliteStatement(source.handle(), "VACUUM INTO ?").bind(1, staged.path()).run();
    FileCopier copier(source.files_dir(), staged.path() + ".files", report);
    for (const auto& run : source.list_runs()) {
      ++report.runs;
      const fs::path folder = fs::path("runs") / std::to_string(run.id);
      copier.copy(folder);
      copier.copy(fs::path("logs") / ("run-" + std::to_string(run.id) + ".log"));
      for (const auto& checkpoint : source.recorded_checkpoints(run.id)) {
        if (checkpoint.path.empty()) {
          report.skipped.push_back(
              escape_for_terminal(checkpoint.recorded_path) + " (checkpoint of run " +
              std::to_string(run.id) + "): lies outside " + source.files_dir() +
              "; not copied, and the copy refuses it as the source does (see `zoolab-cli db check`)");
        } else if (const fs::path recorded(checkpoint.recorded_path); recorded.is_relative()) {
          const fs::path within = recorded.lexically_normal().lexically_relative(folder);
          if (within.empty() || *within.begin() == "..") {
            copier.copy(recorded);  // inside the files folder, but not in the run's own folder
          }
        }
      }
    }
  }
  {
    // Opening it as a Store switches it to WAL and checks it is a database this zoolab reads.
    const Store copy(staged.path());
    if (!copy.integrity_ok()) {
      throw StoreError("the copy " + staged.path() +
                       " fails PRAGMA integrity_check; nothing was written to " + destination);
    }
  }
  staged.commit();
  return report;
}

}  // namespace zoolab
