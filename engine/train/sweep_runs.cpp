#include "engine/train/sweep_runs.h"

#include <set>

#include "engine/config/config_error.h"
#include "engine/store/run_queue.h"
#include "engine/train/model_setup.h"

namespace zoolab {

std::vector<NewRun> sweep_run_records(const std::vector<SweepPoint>& points) {
  std::vector<NewRun> runs;
  runs.reserve(points.size());
  // Building a model to check it costs up to a tenth of a second; Figure 2's 448 points are 112 models.
  // The data are part of the key: the memory estimate checked with the model counts batches and examples.
  std::set<std::string> checked_models;
  for (const auto& point : points) {
    try {
      RunConfig config = parse_run_config(point.config);
      const nlohmann::json json = to_json(config);
      const std::string model_key = json["model"].dump() + "/" + json["data"].dump();
      if (checked_models.insert(model_key).second)
        validate_model_config(config);
      runs.push_back(new_run_record(config, RunStatus::Queued));
    } catch (const ConfigError& error) {
      throw ConfigError("", "sweep point \"" + point.name + "\": " + error.what());
    }
  }
  return runs;
}

}  // namespace zoolab
