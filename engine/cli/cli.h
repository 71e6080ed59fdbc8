#pragma once

// zoolab-cli: the headless front end. run_cli parses the command line, runs one command and returns
// the process exit code; it never calls exit() itself.

namespace zoolab {

int run_cli(int argc, char** argv);

}  // namespace zoolab
