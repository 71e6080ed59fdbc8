#include "engine/store/contained_path.h"

#include <algorithm>
#include <system_error>

namespace zoolab {

namespace fs = std::filesystem;

namespace {

std::optional<fs::path> resolved(const fs::path& path) {
  std::error_code error;
  fs::path result = fs::weakly_canonical(fs::absolute(path, error), error);
  if (error) {
    return std::nullopt;
  }
  return result;
}

// `inner` is `outer` or below it, component by component (so "/a/bc" is not below "/a/b").
bool at_or_below(const fs::path& inner, const fs::path& outer) {
  auto outer_end = outer.end();
  // A trailing separator is an empty last component; it does not count.
  if (!outer.empty() && !outer.has_filename()) {
    --outer_end;
  }
  const auto [outer_it, inner_it] = std::mismatch(outer.begin(), outer_end, inner.begin(), inner.end());
  return outer_it == outer_end;
}

}  // namespace

std::optional<fs::path> contained_path(const fs::path& path, const fs::path& folder) {
  const auto root = resolved(folder);
  if (!root) {
    return std::nullopt;
  }
  const auto target = resolved(path.is_absolute() ? path : *root / path);
  if (!target || *target == *root || !at_or_below(*target, *root)) {
    return std::nullopt;
  }
  return target;
}

bool removable_inside(const fs::path& path, const fs::path& folder) {
  const auto root = resolved(folder);
  const auto parent = resolved(fs::absolute(path).parent_path());
  return root && parent && at_or_below(*parent, *root) && contained_path(path, folder).has_value();
}

std::optional<std::string> relative_inside(const fs::path& path, const fs::path& folder) {
  const auto target = contained_path(path, folder);
  const auto root = resolved(folder);
  if (!target || !root) {
    return std::nullopt;
  }
  return target->lexically_relative(*root).generic_string();
}

}  // namespace zoolab
