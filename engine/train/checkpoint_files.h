#pragma once

// Where a run's checkpoints live (runs/<id>/checkpoint-e<epoch>-s<step>.zlck in the database's files
// folder) and how the trainers keep exactly one per run. The file format is engine/train/checkpoint.h.

#include <cstdint>
#include <string>

#include <torch/optim/adamw.h>

#include "engine/train/checkpoint.h"
#include "models/language_model.h"

namespace zoolab {

class Store;

std::string checkpoint_path(const Store& store, int64_t run_id, int64_t epoch, int64_t step);

// Writes a checkpoint, records it and drops the previous ones (one per run is enough to resume); an old
// one outside the run's folder is left in place with a warning on stderr.
void write_checkpoint(Store& store, const CheckpointPosition& position, LanguageModel& model,
                      torch::optim::AdamW& optimizer);

}  // namespace zoolab
