#include "engine/store/run_queue.h"

namespace zoolab {

NewRun new_run_record(const RunConfig& given, RunStatus status) {
  // Callers that train the config themselves make its paths absolute first, so that its hash matches
  // the stored one.
  RunConfig config = given;
  make_text_paths_absolute(config);
  NewRun run;
  run.name = config.name;
  run.task = is_text_task(config.data) ? config.data.task : config.data.train.front().task;
  run.mixer = config.model.sequence_mixer.name;
  run.config_json = to_json(config).dump();
  run.seed = static_cast<int64_t>(config.seed);
  run.status = status;
  return run;
}

}  // namespace zoolab
