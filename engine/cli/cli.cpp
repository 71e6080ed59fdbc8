#include "engine/cli/cli.h"

#include <iostream>

#include "engine/cli/commands.h"
#include "engine/config/config_error.h"
#include "engine/store/store.h"
#include "engine/train/allocator.h"
#include "engine/util/input_error.h"
#include "zoolab_version.h"

namespace zoolab {

int run_cli(int argc, char** argv) {
  keep_freed_memory_in_process();
  CLI::App app{"zoolab-cli: train and inspect recall models (Zoology MQAR) from the command line"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("zoolab ") + kVersion);
  CliState state;
  add_train_commands(app, state);
  add_query_commands(app, state);
  add_data_commands(app, state);
  add_bench_command(app, state);
  add_weight_commands(app, state);
  add_worker_commands(app, state);
  add_sweep_commands(app, state);
  add_database_commands(app, state);
  add_dashboard_command(app, state);
  add_inspect_command(app, state);
  add_analyze_command(app, state);
  add_demo_command(app, state);
  add_tokenizer_commands(app, state);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  } catch (const ConfigError& error) {
    std::cerr << "zoolab-cli: configuration error: " << error.what() << "\n";
    return 2;
  } catch (const InputError& error) {
    std::cerr << "zoolab-cli: error: " << error.what() << "\n";
    return 2;
  } catch (const StoreError& error) {
    std::cerr << "zoolab-cli: database error: " << error.what() << "\n";
    return 3;
  } catch (const std::exception& error) {
    std::cerr << "zoolab-cli: error: " << error.what() << "\n";
    return 1;
  }
  return state.exit_code;
}

}  // namespace zoolab
