#pragma once

// Training checkpoints: everything needed to continue a run exactly as if it had never stopped
// (model, optimizer moments, the torch RNG that drives dropout, and the position in the epoch).
//
// File layout (little-endian):
//   char[8]  magic "ZLCKPT\0\0"
//   uint32   format version (kCheckpointVersion)
//   uint64   byte length H of the header, then H bytes of JSON:
//            {"run_id", "epoch", "batch", "step", "config_hash", "torch_version"}
//   the rest: a torch::serialize archive with "model/…", "optimizer/…" and "rng" entries.
// Written to a temporary file beside the target and renamed into place (atomic on POSIX).

#include <cstdint>
#include <string>

#include <torch/optim/adamw.h>

#include "models/language_model.h"

namespace zoolab {

inline constexpr uint32_t kCheckpointVersion = 1;

struct CheckpointPosition {
  int64_t run_id = 0;
  int64_t epoch = 0;  // the epoch to continue in
  int64_t batch = 0;  // the next batch of that epoch to train on
  int64_t step = 0;   // optimizer steps done
  std::string config_hash;
};

void save_checkpoint(const std::string& path, const CheckpointPosition& position, LanguageModel& model,
                     torch::optim::AdamW& optimizer);

// Reads the header only (for listing and for checks before building a model).
CheckpointPosition read_checkpoint_position(const std::string& path);

// Restores model, optimizer and the default CPU generator; throws std::runtime_error naming the
// path and what is wrong (not a checkpoint, a newer version, truncated, mismatched parameters).
CheckpointPosition load_checkpoint(const std::string& path, LanguageModel& model, torch::optim::AdamW& optimizer);

}  // namespace zoolab
