// zoolab-cli sweep and sweeps: grids of runs. `db merge` brings the databases of a sweep's shards
// together (engine/cli/database_commands.cpp).

#include <filesystem>
#include <iostream>

#include "engine/cli/commands.h"
#include "engine/config/sweep_file.h"
#include "engine/store/store.h"
#include "engine/text/utf8.h"
#include "engine/train/sweep_runs.h"

namespace zoolab {
namespace {

struct SweepArgs {
  std::string db;
  std::string file;
  std::string preset;
  std::string shard;
  int64_t seeds = 1;  // used when --seeds is given; else the sweep file's own "seeds"
  bool dry_run = false;
  bool json = false;
};

std::string progress_line(const SweepRecord& sweep) {
  return escape_for_terminal(sweep.name) + ": " + std::to_string(sweep.finished) + "/" +
         std::to_string(sweep.total) + " finished, " + std::to_string(sweep.running) + " running, " +
         std::to_string(sweep.queued) + " queued" +
         (sweep.other > 0 ? ", " + std::to_string(sweep.other) + " failed or stopped" : "");
}

nlohmann::json sweep_to_json(const SweepRecord& sweep) {
  return {{"id", sweep.id},
          {"name", sweep.name},
          {"created_at", sweep.created_at},
          {"total", sweep.total},
          {"queued", sweep.queued},
          {"running", sweep.running},
          {"finished", sweep.finished},
          {"other", sweep.other}};
}

}  // namespace

void add_sweep_commands(CLI::App& app, CliState& state) {
  auto args = std::make_shared<SweepArgs>();

  auto* sweep = app.add_subcommand("sweep", "Enqueue every run of a sweep file or sweep preset (idempotent)");
  sweep->footer(
      "A sweep file is\n"
      "  {\"name\", \"base\": CONFIG, \"grid\": {\"model.d_model\": [64, 128], ...}, \"zip\": [...]}\n"
      "or, for models whose fields follow the sweep differently,\n"
      "  {\"name\", \"grid\", \"parts\": [{\"base\", \"grid\", \"zip\"}, ...]}.\n"
      "\"seeds\": N (top level, or per part) repeats every point over N run seeds: \"seed\" = the base's\n"
      "seed, + 1, ..., runs named ...-seed=124; data.seed stays, so the repetitions see the same data.\n"
      "Runs already in the database under the same sweep name are not enqueued again, so re-running the\n"
      "command after a crash or with another shard is safe. Built-in sweeps: `zoolab-cli sweep --list`.");
  auto* file_option = sweep->add_option("file", args->file, "Sweep file (JSON)");
  auto* preset_option = sweep->add_option("--preset", args->preset, "Built-in sweep (see --list)");
  file_option->excludes(preset_option);
  sweep->add_option("--db", args->db, kDatabaseOptionHelp);
  sweep->add_option("--shard", args->shard,
                    "i/n: enqueue only every n-th run starting at run i (0-based), for job arrays");
  auto* seeds_option =
      sweep->add_option("--seeds", args->seeds,
                        "Repeat every point over N run seeds (1 to 1000), replacing the file's \"seeds\"");
  sweep->add_flag("--dry-run", args->dry_run, "Validate and list the runs without enqueueing them");
  sweep->add_flag("--json", args->json, "Print {sweep, enqueued, already_present, runs} as JSON");
  auto* list = sweep->add_flag("--list", "List the built-in sweeps");
  sweep->callback([args, list, seeds_option, &state]() {
    if (list->count() > 0) {
      for (const auto& preset : list_sweep_presets()) {
        std::cout << preset.name << " (" << preset.num_runs << " runs)\n    " << preset.description << "\n";
      }
      state.exit_code = 0;
      return;
    }
    if (args->file.empty() == args->preset.empty()) {
      throw ConfigError("",
                        "give a sweep file or --preset NAME (built-in sweeps: `zoolab-cli sweep --list`)");
    }
    SweepSpec spec = args->file.empty() ? load_sweep_preset(args->preset) : load_sweep_file(args->file);
    if (seeds_option->count() > 0) {
      spec = with_seeds(spec, args->seeds);
    }
    std::vector<SweepPoint> points = spec.points;
    if (!args->shard.empty()) {
      const auto [shard, count] = parse_shard(args->shard);
      points = select_shard(points, shard, count);
    }
    std::vector<NewRun> runs = sweep_run_records(points);

    nlohmann::json out = {{"sweep", spec.name}, {"total", spec.points.size()}, {"shard", args->shard}};
    if (args->dry_run) {
      out["runs"] = nlohmann::json::array();
      for (const auto& run : runs)
        out["runs"].push_back(run.name);
      if (args->json) {
        std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
      } else {
        for (const auto& run : runs)
          std::cout << escape_for_terminal(run.name) << "\n";
        std::cout << runs.size() << " run(s) of sweep \"" << escape_for_terminal(spec.name)
                  << "\" (dry run: nothing enqueued)" << std::endl;
      }
      state.exit_code = 0;
      return;
    }

    Store store(database_path(args->db));
    const size_t selected = runs.size();
    const auto result = store.add_sweep_runs(spec.name, spec.source.dump(), std::move(runs));
    if (args->json) {
      out.update({{"sweep_id", result.sweep_id},
                  {"selected", selected},
                  {"enqueued", result.created.size()},
                  {"already_present", result.already_present},
                  {"run_ids", result.created}});
      std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    } else {
      std::cout << "sweep \"" << escape_for_terminal(spec.name) << "\": enqueued " << result.created.size()
                << " of " << selected << " run(s)"
                << (args->shard.empty()
                        ? ""
                        : " (shard " + args->shard + " of " + std::to_string(spec.points.size()) + ")")
                << ", " << result.already_present << " already in " << store.path() << std::endl;
      if (!result.created.empty() && !store.live_worker()) {
        std::cout << "no worker serves this database yet; start one with `zoolab-cli worker --db "
                  << store.path() << "`" << std::endl;
      }
    }
    state.exit_code = 0;
  });

  auto* sweeps = app.add_subcommand("sweeps", "List the sweeps in the database with their progress");
  sweeps->add_option("--db", args->db, kDatabaseOptionHelp);
  sweeps->add_flag("--json", args->json,
                   "One JSON array of {id, name, total, queued, running, finished, other}");
  sweeps->callback([args, &state]() {
    const Store store(database_path(args->db), Store::Access::Read);
    const auto all = store.list_sweeps();
    if (args->json) {
      auto out = nlohmann::json::array();
      for (const auto& sweep : all)
        out.push_back(sweep_to_json(sweep));
      std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    } else if (all.empty()) {
      std::cout << "no sweeps in " << store.path() << " (enqueue one with `zoolab-cli sweep FILE`)"
                << std::endl;
    } else {
      for (const auto& sweep : all)
        std::cout << progress_line(sweep) << std::endl;
    }
    state.exit_code = 0;
  });
}

}  // namespace zoolab
