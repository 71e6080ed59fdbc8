#include "engine/train/checkpoint_files.h"

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "engine/store/store.h"

namespace zoolab {

std::string checkpoint_path(const Store& store, int64_t run_id, int64_t epoch, int64_t step) {
  char name[64];
  std::snprintf(name, sizeof(name), "checkpoint-e%04lld-s%08lld.zlck", static_cast<long long>(epoch),
                static_cast<long long>(step));
  return (std::filesystem::path(store.files_dir()) / "runs" / std::to_string(run_id) / name).string();
}

void write_checkpoint(Store& store, const CheckpointPosition& position, LanguageModel& model,
                      torch::optim::AdamW& optimizer) {
  const auto path = checkpoint_path(store, position.run_id, position.epoch, position.step);
  save_checkpoint(path, position, model, optimizer);
  const auto id = store.add_checkpoint(position.run_id, position.epoch, position.step, path);
  // Rotation is housekeeping: an old checkpoint the store refuses to delete (it lies outside the run's
  // folder) must not stop the training, but it is named so that it can be dealt with.
  for (const auto& skipped : store.remove_checkpoints_except(position.run_id, id).skipped) {
    std::cerr << "zoolab: warning: old checkpoint " << skipped << std::endl;
  }
}

}  // namespace zoolab
