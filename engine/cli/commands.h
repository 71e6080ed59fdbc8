#pragma once

// Each group of zoolab-cli commands registers its subcommands here; cli.cpp wires them together.
// A command's callback sets `exit_code` (0 on success) or throws; errors are printed by run_cli.

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "engine/config/run_config.h"
#include "engine/store/records.h"
#include "engine/store/store.h"
#include "engine/text/ar_hits.h"
#include "engine/train/trainer.h"

namespace zoolab {

struct CliState {
  int exit_code = 0;
};

void add_train_commands(CLI::App& app, CliState& state);      // train, resume
void add_query_commands(CLI::App& app, CliState& state);      // runs, show, presets, mixers, tasks
void add_data_commands(CLI::App& app, CliState& state);       // data mqar, export, corpus, tokenize
void add_bench_command(CLI::App& app, CliState& state);       // bench
void add_weight_commands(CLI::App& app, CliState& state);     // export, import
void add_worker_commands(CLI::App& app, CliState& state);     // enqueue, worker, cancel, requeue
void add_sweep_commands(CLI::App& app, CliState& state);      // sweep, sweeps
void add_database_commands(CLI::App& app, CliState& state);   // delete, db merge, db copy, db check
void add_dashboard_command(CLI::App& app, CliState& state);   // dashboard
void add_inspect_command(CLI::App& app, CliState& state);     // inspect
void add_analyze_command(CLI::App& app, CliState& state);     // analyze
void add_tokenizer_commands(CLI::App& app, CliState& state);  // tokenizer encode, decode, train
void add_demo_command(CLI::App& app, CliState& state);        // demo text

// --db FILE, else $ZOOLAB_DB, else the XDG data dir.
std::string database_path(const std::string& option);
inline constexpr char kDatabaseOptionHelp[] =
    "Run database (default: $ZOOLAB_DB, else ~/.local/share/zoolab/zoolab.sqlite)";

// Where a command's configuration comes from: --config FILE or --preset NAME, then any --set PATH=VALUE
// (engine/config/config_overrides.h).
struct ConfigSource {
  std::string config_file;
  std::string preset;
  std::vector<std::string> sets;
  bool given() const { return !config_file.empty() || !preset.empty(); }
};

// Declares --config, --preset (excluding each other) and --set on `command`; returns the three, for
// commands with options that exclude them.
std::vector<CLI::Option*> add_config_options(CLI::App* command, ConfigSource& source);

// The configuration of `source` (exactly one of file or preset, then the --set assignments), strictly
// validated, model included. Throws ConfigError.
RunConfig load_config_option(const ConfigSource& source);

// --shards DIR of `train` and `enqueue`: sets data.text.shards of a text run (refused for MQAR runs),
// makes it absolute, and refuses a text run without shards. Throws ConfigError.
void apply_shards_option(RunConfig& config, const std::string& shards);

// The AR-hit analysis of a text run's newest per-token validation losses, side by side with `vs` and
// the gap decomposition when given: a table, or one JSON object (`zoolab-cli analyze`). Throws naming the
// run when it has no token losses.
void print_text_analysis(const Store& store, const RunRecord& run, const std::optional<RunRecord>& vs,
                         const AnalysisOptions& options, bool json);

// One progress line per epoch (MQAR) or validation (text) of `train`.
std::string format_epoch(const EpochReport& report);

// The run named by an id or a name; throws naming the database when there is none.
RunRecord find_run_or_throw(const Store& store, const std::string& id_or_name);

// The run of find_run_or_throw, after reaping runs whose process died; throws unless it is cancelled or
// interrupted, the runs that `resume` and `requeue` (the `verb`, as in "can be resumed") continue.
RunRecord find_stopped_run_or_throw(Store& store, const std::string& id_or_name, const std::string& verb);

// One run as JSON: id, name, status, epochs, steps, num_parameters, state_size, metrics (key → last),
// best (key → best) and the rest of the record.
nlohmann::json run_to_json(const Store& store, const RunRecord& run);

}  // namespace zoolab
