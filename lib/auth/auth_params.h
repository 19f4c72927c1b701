// auth_params - the posthorn.conf parameters that authd and `posthorn passwd` share
#pragma once

#include <string>

#include "lib/config/config.h"

namespace posthorn::auth {

// auth_passwd_file: the passwd file.
std::string passwdFilePath(const config::Config& cfg);

}  // namespace posthorn::auth
