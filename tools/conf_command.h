// conf_command - `posthorn conf`: print effective posthorn.conf values
//
//   posthorn conf [-c DIR] [-d] [-h] [-n] [name...]
// prints "name = value" lines, sorted, with $name references expanded.
// -n: only the parameters set in posthorn.conf; -d: the built-in defaults;
// -h: the value alone. An unknown name is warned about and makes the status 1.
#pragma once

#include <iostream>
#include <string>
#include <vector>

namespace posthorn::tools {

// args excludes the word "conf". Returns the exit status.
int runConf(const std::vector<std::string>& args, std::ostream& out = std::cout,
            std::ostream& err = std::cerr);

}  // namespace posthorn::tools
