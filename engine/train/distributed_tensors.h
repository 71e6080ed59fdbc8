#pragma once

// Data-parallel training over a ProcessGroup (engine/train/distributed.h), as PyTorch's
// DistributedDataParallel does it, without its autograd hooks: every rank holds the whole model, takes a
// contiguous block of rows of each global batch, and after backward the gradients are summed over the
// ranks in flat buckets (25 MB, DDP's default bucket_cap_mb). Each rank's loss is its share of the global
// mean (its positions' summed loss over the GLOBAL count of positions), so the summed gradients are those
// of the single-process step, and every rank's AdamW step is the same.
//
// The all-reduce runs after backward rather than overlapping it: the models here are small (tens of MB)
// and the buckets go out together, asynchronously, then are waited for.

#include <cstdint>
#include <vector>

#include <torch/optim/adamw.h>

#include "engine/train/batches.h"
#include "engine/train/distributed.h"
#include "models/language_model.h"

namespace zoolab {

class DataParallel {
 public:
  static constexpr int64_t kBucketBytes = 25 * 1024 * 1024;

  explicit DataParallel(ProcessGroup& group) : m_group(group) {}

  ProcessGroup& group() { return m_group; }
  int rank() const { return m_group.rank(); }
  int world_size() const { return m_group.world_size(); }
  RowBlock rows(int64_t batch_rows) const { return row_block(batch_rows, rank(), world_size()); }

  // Rank 0's parameters, buffers and (with_optimizer) AdamW state on every rank: after model
  // construction (the ranks build the same model from the same seed; this makes sure) and after rank 0
  // restored a checkpoint.
  void broadcast_state(LanguageModel& model, torch::optim::AdamW& optimizer, bool with_optimizer);

  // Sums every parameter's gradient over the ranks (in place). A parameter no rank computed a gradient
  // for keeps none, as in a single process (AdamW then skips it); one that some rank did gets the sum.
  void reduce_gradients(LanguageModel& model);

  // Seconds spent in reduce_gradients since construction (for `zoolab-cli bench`).
  double reduce_seconds() const { return m_reduce_seconds; }

 private:
  ProcessGroup& m_group;
  double m_reduce_seconds = 0.0;
};

}  // namespace zoolab
