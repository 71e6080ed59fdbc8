#pragma once

// Where the run database may touch files: only inside its own files folder ("<db>.files"). A recorded
// path that leads elsewhere (an absolute path of another database after `cp a.sqlite b.sqlite`, an
// edited row, "../..", a symlink out of the folder) is refused, so deleting, rotating, copying or
// merging never reaches a file the database does not own.

#include <filesystem>
#include <optional>
#include <string>

namespace zoolab {

// `path` with "." / ".." and every symlink resolved (std::filesystem::weakly_canonical, so the file may
// not exist yet), when that lies strictly below `folder` (resolved the same way); nullopt otherwise. A
// relative `path` is taken relative to `folder`.
std::optional<std::filesystem::path> contained_path(const std::filesystem::path& path,
                                                    const std::filesystem::path& folder);

// True when `path` may be removed as a file of `folder`: its folder resolves to `folder` or below it,
// and so does `path` itself. The caller removes `path` as given (not its resolved target): removing a
// symlink removes the link, and std::filesystem::remove_all never follows links below it.
bool removable_inside(const std::filesystem::path& path, const std::filesystem::path& folder);

// contained_path(path, folder) as the relative path from `folder` (both resolved), in generic form
// ("runs/3/checkpoint-e0001-s00000100.zlck"); nullopt when it does not lie below `folder`.
std::optional<std::string> relative_inside(const std::filesystem::path& path,
                                           const std::filesystem::path& folder);

}  // namespace zoolab
