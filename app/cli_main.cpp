// zoolab-cli entry point; the commands live in engine/cli/.
#include "engine/cli/cli.h"

int main(int argc, char** argv) {
  return zoolab::run_cli(argc, argv);
}
