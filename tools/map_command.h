// map_command - `posthorn map` (build or query a table) and `newaliases`
//
//   posthorn map [-c DIR] [-a] [hash:]FILE      build FILE.db from FILE
//   posthorn map [-c DIR] -q KEY [type:]name    print KEY's value (any type)
//   newaliases [-c DIR]                         rebuild every alias_database
//
// See posthorn-map(1) and newaliases(1). Exit status: runMap returns 0 on
// success, 1 when -q finds no such key, 2 on any error; runNewaliases
// returns 0 when every table was rebuilt and 1 otherwise.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace posthorn::config {
class Config;
}

namespace posthorn::tools {

// args exclude the program and the word "map".
int runMap(const std::vector<std::string>& args);
int runMap(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// args exclude the program name. Also what `sendmail -bi` does.
int runNewaliases(const std::vector<std::string>& args);
int runNewaliases(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// For `posthorn check`: opens every table in proxy_read_maps that is read
// from a file of its own when opened (texthash:, inline:, cidr:, regexp:,
// pcre:, pgsql:'s .cf; pgsql: does not connect) and returns one problem per
// table that cannot be read ("FILE:LINE: what: "text"" for a syntax error).
// hash: tables are left to posthorn map and mapd.
std::vector<std::string> tableFileProblems(const config::Config& cfg);

}  // namespace posthorn::tools
