// newaliases - rebuilds every hash: table named in alias_database (newaliases(1)).
#include <string>
#include <vector>

#include "tools/map_command.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return posthorn::tools::runNewaliases(args);
}
