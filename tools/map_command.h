// map_command - `posthorn map` (build or query a table) and `newaliases`
//
//   posthorn map [-c DIR] [-a] [hash:]FILE      build FILE.db from FILE
//   posthorn map [-c DIR] -q KEY [hash:]FILE    print KEY's value
//   newaliases [-c DIR]                         rebuild every alias_database
//
// See posthorn-map(1) and newaliases(1). Exit status: runMap returns 0 on
// success, 1 when -q finds no such key, 2 on any error; runNewaliases
// returns 0 when every table was rebuilt and 1 otherwise.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace posthorn::tools {

// args exclude the program and the word "map".
int runMap(const std::vector<std::string>& args);
int runMap(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// args exclude the program name. Also what `sendmail -bi` does.
int runNewaliases(const std::vector<std::string>& args);
int runNewaliases(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace posthorn::tools
