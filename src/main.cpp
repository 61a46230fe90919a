// bosun: one binary; the command table picks serve, hold or a client command.
#include "cli/command.h"

int main(int argc, char** argv) {
  return bosun::cli::run(argc, argv);
}
