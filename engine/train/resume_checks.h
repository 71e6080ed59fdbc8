#pragma once

// Whether a checkpoint can continue a run: checked after the file's checksum and before its payload is
// restored, so a header that points outside the run (batch -3, step 2^62, another run's file) is refused
// with a CheckpointError that names the field, instead of indexing past the run's batches. No torch.

#include <cstdint>
#include <string>

#include "engine/formats/checkpoint_format.h"

namespace zoolab {

// The checkpoint belongs to this run: its config_hash is the run's, and its run_uid is the run's uid
// (the run_id when the file has no uid: version 1 files, runs without one). `db merge` keeps a run's uid
// and gives it a new id, so a merged run stays resumable.
void check_checkpoint_owner(const CheckpointPosition& saved, int64_t run_id, const std::string& run_uid,
                            const std::string& config_hash, const std::string& path);

// An MQAR run of `max_epochs` epochs of `batches_per_epoch` batches, as the trainer writes them:
// after an epoch (epoch + 1, batch 0), or on a stop request after batch b (epoch, b + 1, where b + 1 may
// equal batches_per_epoch: the epoch's evaluation is still to come); step is always
// epoch · batches_per_epoch + batch, and epoch <= max_epochs (equal only at batch 0: finished).
void check_epoch_position(const CheckpointPosition& saved, int64_t max_epochs, int64_t batches_per_epoch,
                          const std::string& path);

// A text run of `total_steps` steps validated every `eval_interval` steps (and at the end), `validations`
// times in all: batch == step <= total_steps, and epoch is the number of validations done by that step.
void check_step_position(const CheckpointPosition& saved, int64_t total_steps, int64_t validations,
                         int64_t eval_interval, const std::string& path);

class Store;

// The uid of `run_id` as its checkpoints carry it: empty when the run has none or the database holds
// something a checkpoint header may not (up to 64 lowercase hex digits); the database is input too.
std::string checkpoint_run_uid(const Store& store, int64_t run_id);

}  // namespace zoolab
