// zoolab-cli delete, db merge, db copy and db check: a run database and the files it owns
// ("<db>.files"), which only these commands and the trainers' checkpoint rotation ever remove.

#include <iostream>
#include <memory>

#include "engine/cli/commands.h"
#include "engine/store/database_check.h"
#include "engine/store/database_copy.h"
#include "engine/store/database_merge.h"
#include "engine/store/staged_database.h"
#include "engine/store/store.h"
#include "engine/text/utf8.h"

namespace zoolab {
namespace {

struct DatabaseArgs {
  std::string db;
  std::string run;
  bool yes = false;
  bool json = false;
  std::vector<std::string> sources;
  std::string out;
  std::string source;
  std::string destination;
};

std::string dump(const nlohmann::json& json) {
  return json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

void print_skipped(const std::vector<std::string>& skipped) {
  for (const auto& line : skipped) {
    std::cerr << "zoolab-cli: warning: " << line << std::endl;
  }
}

void add_delete_command(CLI::App& app, CliState& state, const std::shared_ptr<DatabaseArgs>& args) {
  auto* remove = app.add_subcommand("delete", "Delete a run: its rows and its files");
  remove->footer(
      "Without --yes, lists what would be deleted, deletes nothing and exits with code 1. Only files\n"
      "inside the database's files folder (<db>.files/runs/<id>/ and logs/run-<id>.log) are removed; a\n"
      "recorded file anywhere else is left in place and named. A running run is refused: cancel it first.");
  remove->add_option("run", args->run, "Run id or name")->required();
  remove->add_option("--db", args->db, kDatabaseOptionHelp);
  remove->add_flag("--yes", args->yes, "Delete without asking");
  remove->callback([args, &state]() {
    Store store(database_path(args->db));
    const auto run = find_run_or_throw(store, args->run);
    const std::string label = "run " + std::to_string(run.id) + " \"" + escape_for_terminal(run.name) + "\"";
    if (!args->yes) {
      const FileCleanup plan = store.planned_run_deletion(run.id);
      std::cout << "would delete " << label << " (" << to_string(run.status) << ") from "
                << escape_for_terminal(store.path()) << ", with its metrics and records";
      std::cout << (plan.removed.empty() ? ", and no files\n" : ", and these files:\n");
      for (const auto& path : plan.removed) {
        std::cout << "  " << escape_for_terminal(path) << "\n";
      }
      for (const auto& line : plan.skipped) {
        std::cout << "  left in place: " << line << "\n";
      }
      std::cout << "nothing deleted; run again with --yes to delete it" << std::endl;
      state.exit_code = 1;
      return;
    }
    const FileCleanup done = store.delete_run(run.id);
    print_skipped(done.skipped);
    std::cout << "deleted " << label << " and " << done.removed.size() << " file(s) or folder(s)"
              << std::endl;
    state.exit_code = 0;
  });
}

void add_merge_command(CLI::App* db, CliState& state, const std::shared_ptr<DatabaseArgs>& args) {
  auto* merge = db->add_subcommand("merge", "Merge run databases into a new one without duplicating runs");
  merge->footer(
      "Runs are matched by their uid (so merging a database twice copies it once) and sweep runs also by\n"
      "sweep and run name (the more advanced copy is kept). Metrics, checkpoints and trainer logs are\n"
      "copied; a run that was running in a source arrives interrupted (resume it from its checkpoint).\n"
      "Only files inside a source's files folder are copied: a checkpoint recorded elsewhere is named and\n"
      "skipped (its run arrives without it). The output is written under a temporary name and appears\n"
      "only once the merge succeeded.");
  merge->add_option("sources", args->sources, "Databases to merge (e.g. the shards of a sweep)")
      ->required()
      ->expected(1, -1);
  merge->add_option("--out", args->out, "The merged database: a new file")->required();
  merge->add_flag("--json", args->json, "Print the counts as JSON");
  merge->callback([args, &state]() {
    StagedDatabase staged(args->out);
    nlohmann::json counts = nlohmann::json::array();
    {
      Store out(staged.path());
      for (const auto& source : args->sources) {
        const MergeReport report = merge_database(out, source);
        print_skipped(report.skipped);
        counts.push_back({{"source", source},
                          {"runs_copied", report.runs_copied},
                          {"runs_replaced", report.runs_replaced},
                          {"runs_duplicate", report.runs_duplicate},
                          {"sweeps_created", report.sweeps_created},
                          {"metrics_copied", report.metrics_copied},
                          {"checkpoints_copied", report.checkpoints_copied},
                          {"skipped", report.skipped}});
        if (!args->json) {
          std::cout << escape_for_terminal(source) << ": " << report.runs_copied << " run(s) copied ("
                    << report.runs_replaced << " replacing a less advanced copy), " << report.runs_duplicate
                    << " already present, " << report.metrics_copied << " metric points, "
                    << report.checkpoints_copied << " checkpoint(s)"
                    << (report.skipped.empty()
                            ? ""
                            : ", " + std::to_string(report.skipped.size()) + " file(s) skipped")
                    << std::endl;
        }
      }
    }
    staged.commit();
    if (args->json) {
      std::cout << dump({{"out", staged.destination()}, {"sources", counts}}) << std::endl;
    } else {
      std::cout << "merged " << args->sources.size() << " database(s) into " << staged.destination()
                << std::endl;
    }
    state.exit_code = 0;
  });
}

void add_copy_command(CLI::App* db, CliState& state, const std::shared_ptr<DatabaseArgs>& args) {
  auto* copy = db->add_subcommand("copy", "Copy a run database together with its runs' files");
  copy->footer(
      "DST gets DST.files/ with copies of the runs' checkpoints and logs, so deleting a run in one never\n"
      "touches the other (a plain cp copies the database without its files). DST must not exist; it\n"
      "appears only once the copy succeeded.");
  copy->add_option("source", args->source, "The database to copy")->required();
  copy->add_option("destination", args->destination, "The new database file")->required();
  copy->add_flag("--json", args->json, "Print the counts as JSON");
  copy->callback([args, &state]() {
    const CopyReport report = copy_database(args->source, args->destination);
    print_skipped(report.skipped);
    if (args->json) {
      std::cout << dump({{"source", args->source},
                         {"destination", args->destination},
                         {"runs", report.runs},
                         {"files_copied", report.files_copied},
                         {"bytes_copied", report.bytes_copied},
                         {"skipped", report.skipped}})
                << std::endl;
    } else {
      std::cout << "copied " << escape_for_terminal(args->source) << " to "
                << escape_for_terminal(args->destination) << ": " << report.runs << " run(s), "
                << report.files_copied << " file(s), " << report.bytes_copied << " bytes" << std::endl;
    }
    state.exit_code = 0;
  });
}

void add_check_command(CLI::App* db, CliState& state, const std::shared_ptr<DatabaseArgs>& args) {
  auto* check = db->add_subcommand("check", "Check a run database and the files it records");
  check->footer(
      "Runs SQLite's integrity and foreign-key checks and checks that every recorded checkpoint is a path\n"
      "relative to the files folder, lies inside it and exists. Exit code 0 when all is well, 3 otherwise,\n"
      "with one line per problem. Works on a database it cannot write.");
  check->add_option("--db", args->db, kDatabaseOptionHelp);
  check->add_flag("--json", args->json, "One JSON object {database, ok, runs, checkpoints, problems}");
  check->callback([args, &state]() {
    const Store store(database_path(args->db), Store::Access::Read);
    const DatabaseCheck check = check_database(store);
    if (args->json) {
      nlohmann::json problems = nlohmann::json::array();
      for (const auto& problem : check.problems) {
        problems.push_back({{"kind", problem.kind}, {"message", problem.message}});
      }
      std::cout << dump({{"database", store.path()},
                         {"ok", check.ok()},
                         {"read_only", store.read_only()},
                         {"runs", check.runs},
                         {"checkpoints", check.checkpoints},
                         {"problems", problems}})
                << std::endl;
    } else {
      for (const auto& problem : check.problems) {
        std::cout << "problem (" << problem.kind << "): " << escape_for_terminal(problem.message) << "\n";
      }
      std::cout << (check.ok() ? "ok: " : "not ok: ") << escape_for_terminal(store.path()) << ": "
                << check.runs << " run(s), " << check.checkpoints << " checkpoint(s), "
                << check.problems.size() << " problem(s)" << std::endl;
    }
    state.exit_code = check.ok() ? 0 : 3;
  });
}

}  // namespace

void add_database_commands(CLI::App& app, CliState& state) {
  auto args = std::make_shared<DatabaseArgs>();
  add_delete_command(app, state, args);
  auto* db = app.add_subcommand("db", "Maintain run databases: merge, copy, check");
  db->require_subcommand(1);
  add_merge_command(db, state, args);
  add_copy_command(db, state, args);
  add_check_command(db, state, args);
}

}  // namespace zoolab
