// check_command - `posthorn check`: validate posthorn.conf and master.conf
//
//   posthorn check [-c DIR]
// Loads both files, reads every known parameter through its typed accessor
// (for the main settings and for each service's -o overrides) and checks
// that each service's command exists in daemon_directory. Problems are
// printed as "posthorn: fatal: FILE:LINE: ...", warnings as
// "posthorn: FILE:LINE: warning: ..."; the status is 0 only when valid.
#pragma once

#include <iostream>
#include <string>
#include <vector>

namespace posthorn::tools {

// args excludes the word "check". Returns the exit status.
int runCheck(const std::vector<std::string>& args, std::ostream& out = std::cout,
             std::ostream& err = std::cerr);

}  // namespace posthorn::tools
