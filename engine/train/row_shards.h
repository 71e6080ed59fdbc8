#pragma once

// A training step or an evaluation batch on row shards, one thread each.
//
// Why: at Figure 2's sizes (batch 512, L = 64, d_model 64) a step is a few hundred small operations and
// ATen spreads each one over the threads on its own, with a barrier after each: on 2 cores the attention
// cell trained 2,706 examples/s with 2 threads against 1,544 with 1 (1.75×), while two single-threaded
// processes on half the batch each (`--nproc 2`) reached about 3,150 (2.0×). Here the rows are cut into
// as many contiguous shards as there are threads and each thread runs its shard alone: inside a parallel
// region ATen's parallel_for and OpenMP OpenBLAS run serially.
//
// Training (sharded_backward): a shard's loss is its labelled positions' summed loss over the whole
// batch's count (as a data-parallel rank's, engine/train/distributed_tensors.h), and the gradients are
// summed shard by shard, in shard order, so they are the batch's up to the order of float additions: a
// run's losses and weights depend in their last bits on the number of shards, so on --threads. Dropout
// masks are the whole batch's, bit for bit: the shards share the step's seeds and move their counters
// to their first row (kernels::dropout_seed_for_rows).
//
// Evaluation (engine/train/evaluation.cpp) needs no sum: every row's values are its own, so it runs more
// shards than threads, each of about 64 sequences.
//
// Only models whose every block is row-shardable (models/mixer.h), on CPU float tensors.

#include <cstdint>
#include <functional>

#include <torch/types.h>

#include "engine/train/batches.h"
#include "models/language_model.h"

namespace zoolab {

// Fewest rows a shard gets: below this a shard's products are too small to gain.
constexpr int64_t kMinShardRows = 32;

// How many shards a pass over `batch` takes: one per thread when the model is row-shardable, on the CPU
// in float32/float64, the batch has labelled positions, every thread gets kMinShardRows rows or more and
// we are not already inside a parallel region; otherwise 1 (run it whole).
int64_t row_shards(const LanguageModel& model, const Batch& batch);

// Calls run(rows, shard) for each of `shards` contiguous row blocks of `batch` (batch_rows: labelled
// positions renumbered within the block) in parallel, each thread with the caller's grad mode and
// dispatch state, and each shard's dropout on the batch's masks (kernels::ScopedDropoutShard). A shard's
// exception is rethrown here once all have ended.
using ShardRun = std::function<void(const Batch& rows, int64_t shard)>;
void for_each_row_shard(const Batch& batch, int64_t shards, const ShardRun& run);

// The main loss of some rows: the mean over their labelled positions (the step's cross-entropy).
using RowsLoss = std::function<torch::Tensor(const Batch& rows)>;

// Forward and backward of each shard in parallel, each shard's loss being loss_of(rows) · loss_scale ·
// (its labelled positions / the batch's). Every trainable parameter's gradient is then set to the sum of
// the shards' gradients (parameters no shard reaches keep theirs). Returns the sum of the shards' losses
// (0-dim, detached): loss_scale × the batch's main loss.
torch::Tensor sharded_backward(LanguageModel& model, const Batch& batch, int64_t shards,
                               const RowsLoss& loss_of, double loss_scale);

}  // namespace zoolab
