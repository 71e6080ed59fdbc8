#pragma once

// Training checkpoints: everything needed to continue a run exactly as if it had never stopped
// (model, optimizer moments, the torch RNG that drives dropout, and the position in the epoch).
// The file's framing (magic, version, header JSON, CRC-32C) is engine/formats/checkpoint_format.h,
// torch-free; this is the torch payload: a torch::serialize archive with "model/…", "optimizer/…" and
// "rng" entries. Written to a temporary file beside the target and renamed into place (atomic on POSIX).

#include <cstdint>
#include <string>

#include <torch/optim/adamw.h>

#include "engine/formats/checkpoint_format.h"
#include "models/language_model.h"

namespace zoolab {

void save_checkpoint(const std::string& path, const CheckpointPosition& position, LanguageModel& model,
                     torch::optim::AdamW& optimizer);

// Reads the whole file and checks it (checksum, header fields; read_checkpoint_file) without a model.
CheckpointPosition read_checkpoint_position(const std::string& path);

// Restores model, optimizer and the default CPU generator from a file read_checkpoint_file accepted.
// Throws CheckpointError naming the path when the payload does not fit this model (mismatched
// parameters, a foreign archive); nothing is half-restored that a caller would keep (it fails the run's
// resume, and the next try starts from a fresh model).
void restore_checkpoint(const CheckpointFile& file, const std::string& path, LanguageModel& model,
                        torch::optim::AdamW& optimizer);

// read_checkpoint_file then restore_checkpoint; throws CheckpointError naming the path and what is wrong
// (not a checkpoint, a newer version, damaged, truncated, mismatched parameters).
CheckpointPosition load_checkpoint(const std::string& path, LanguageModel& model,
                                   torch::optim::AdamW& optimizer);

}  // namespace zoolab
