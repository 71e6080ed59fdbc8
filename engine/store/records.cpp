#include "engine/store/records.h"

#include <stdexcept>

namespace zoolab {

namespace {

// Order matches the enum; these strings are what the database stores and its CHECK constraint allows.
constexpr RunStatus kStatuses[] = {RunStatus::Queued,  RunStatus::Running,   RunStatus::Finished,
                                   RunStatus::Failed,  RunStatus::Cancelled, RunStatus::Interrupted,
                                   RunStatus::Diverged};

}  // namespace

const char* to_string(RunStatus status) {
  switch (status) {
    case RunStatus::Queued:
      return "queued";
    case RunStatus::Running:
      return "running";
    case RunStatus::Finished:
      return "finished";
    case RunStatus::Failed:
      return "failed";
    case RunStatus::Cancelled:
      return "cancelled";
    case RunStatus::Interrupted:
      return "interrupted";
    case RunStatus::Diverged:
      return "diverged";
  }
  throw std::invalid_argument("run status: unknown enum value " + std::to_string(static_cast<int>(status)));
}

RunStatus run_status_from_string(const std::string& text) {
  std::string allowed;
  for (RunStatus status : kStatuses) {
    if (text == to_string(status)) {
      return status;
    }
    allowed += allowed.empty() ? "" : ", ";
    allowed += to_string(status);
  }
  throw std::invalid_argument("run status: unknown value \"" + text + "\" (allowed: " + allowed + ")");
}

bool is_terminal(RunStatus status) {
  return status != RunStatus::Queued && status != RunStatus::Running;
}

}  // namespace zoolab
