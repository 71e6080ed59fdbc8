#pragma once

// `zoolab-cli db merge`: copies the runs of other run databases into one, so the shards of a sweep run
// on several machines (`zoolab-cli sweep --shard i/n`) come together again.
//
// A run is never copied twice: runs are matched by uid (the same run met again, e.g. a database merged
// twice), and sweep runs also by (sweep name, run name), where the more advanced of the two is kept
// (finished over failed over stopped over queued, then more steps). Sweeps are matched by name; two
// sweeps of one name but different sweep files are an error, not a silent mix.

#include <cstdint>
#include <string>
#include <vector>

namespace zoolab {

class Store;

struct MergeReport {
  int64_t runs_copied = 0;
  int64_t runs_replaced = 0;   // a sweep point already present but less advanced than the copy
  int64_t runs_duplicate = 0;  // already present (same uid, or an equal or better sweep point)
  int64_t sweeps_created = 0;
  int64_t metrics_copied = 0;
  int64_t checkpoints_copied = 0;
  // Files named by the source that were not copied: "PATH: why", escaped for a terminal.
  std::vector<std::string> skipped;
};

// Copies everything of the database at `source_path` into `dest` in one transaction (all or nothing).
// The source is opened (and migrated to the current schema, with its backup copy, if older and
// writable) but not otherwise changed. A run that was running in the source arrives interrupted: nothing
// trains it here, and it can be resumed from its copied checkpoint. Checkpoint files and trainer logs
// are copied into dest's files folder, but only from inside the source's own files folder (symlinks
// resolved): a recorded path elsewhere (an edited row, /etc/shadow) is never read. Such a checkpoint
// is skipped and reported, and its run arrives without it: the source keeps it, so nothing is lost, and
// one bad row does not block the merge of a whole sweep. Throws StoreError naming the files on a sweep
// conflict or a source that is dest.
MergeReport merge_database(Store& dest, const std::string& source_path);

}  // namespace zoolab
