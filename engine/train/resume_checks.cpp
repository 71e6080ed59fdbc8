#include "engine/train/resume_checks.h"

#include "engine/store/store.h"
#include "engine/text/utf8.h"

namespace zoolab {
namespace {

std::string text(int64_t value) {
  return std::to_string(value);
}

}  // namespace

void check_checkpoint_owner(const CheckpointPosition& saved, int64_t run_id, const std::string& run_uid,
                            const std::string& config_hash, const std::string& path) {
  if (!saved.run_uid.empty()) {
    if (saved.run_uid != run_uid) {
      throw CheckpointError(path, "belongs to the run with uid " + saved.run_uid + " (run " +
                                      text(saved.run_id) + " where it was written), not to run " +
                                      text(run_id) + " (uid " +
                                      escape_for_terminal(run_uid.empty() ? "none" : run_uid) + ")");
    }
  } else if (saved.run_id != run_id) {
    throw CheckpointError(path, "header field \"run_id\" is " + text(saved.run_id) + ": it belongs to run " +
                                    text(saved.run_id) + ", not to run " + text(run_id));
  }
  if (saved.config_hash != config_hash) {
    throw CheckpointError(path, "belongs to another configuration (header field \"config_hash\" is " +
                                    escape_for_terminal(saved.config_hash) + ", this run's is " +
                                    config_hash + ")");
  }
}

void check_epoch_position(const CheckpointPosition& saved, int64_t max_epochs, int64_t batches_per_epoch,
                          const std::string& path) {
  const std::string where =
      "(epoch " + text(saved.epoch) + ", batch " + text(saved.batch) + ", step " + text(saved.step) + ")";
  if (saved.epoch < 0 || saved.epoch > max_epochs) {
    throw CheckpointError(path, "header field \"epoch\" is " + text(saved.epoch) + "; this run has " +
                                    text(max_epochs) + " epochs " + where);
  }
  if (saved.batch < 0 || saved.batch > batches_per_epoch || (saved.epoch == max_epochs && saved.batch != 0)) {
    throw CheckpointError(path, "header field \"batch\" is " + text(saved.batch) +
                                    "; an epoch of this run has " + text(batches_per_epoch) + " batches " +
                                    where);
  }
  // epoch <= max_epochs and batch <= batches_per_epoch keep this product far from overflow for any
  // configuration the trainer accepts; __builtin_mul_overflow covers the rest.
  int64_t expected = 0;
  if (__builtin_mul_overflow(saved.epoch, batches_per_epoch, &expected) ||
      __builtin_add_overflow(expected, saved.batch, &expected) || saved.step != expected) {
    throw CheckpointError(path, "header field \"step\" is " + text(saved.step) + ", not epoch · " +
                                    text(batches_per_epoch) + " batches + batch " + where);
  }
}

void check_step_position(const CheckpointPosition& saved, int64_t total_steps, int64_t validations,
                         int64_t eval_interval, const std::string& path) {
  const std::string where =
      "(epoch " + text(saved.epoch) + ", batch " + text(saved.batch) + ", step " + text(saved.step) + ")";
  if (saved.step < 0 || saved.step > total_steps) {
    throw CheckpointError(path, "header field \"step\" is " + text(saved.step) + "; this run has " +
                                    text(total_steps) + " steps " + where);
  }
  if (saved.batch != saved.step) {
    throw CheckpointError(path, "header field \"batch\" is " + text(saved.batch) +
                                    "; a text run's checkpoint has batch = step " + where);
  }
  // Validations happen after every eval_interval-th step and after the last one.
  int64_t done = 0;
  if (saved.step == total_steps) {
    done = validations;
  } else if (eval_interval > 0) {
    done = saved.step / eval_interval;
  }
  if (saved.epoch != done) {
    throw CheckpointError(path, "header field \"epoch\" is " + text(saved.epoch) + "; by step " +
                                    text(saved.step) + " this run has validated " + text(done) + " times " +
                                    where);
  }
}

std::string checkpoint_run_uid(const Store& store, int64_t run_id) {
  const auto run = store.find_run(run_id);
  if (!run) {
    return {};
  }
  const std::string& uid = run->uid;
  if (uid.size() > 64) {
    return {};
  }
  for (const char c : uid) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return {};
    }
  }
  return uid;
}

}  // namespace zoolab
