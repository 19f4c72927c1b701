// auth_params - the posthorn.conf parameters that authd and `posthorn passwd` share
//
// authd's own parameters (auth_passwd_file, virtual_mailbox_base,
// virtual_uid_maps, virtual_gid_maps, virtual_minimum_uid) are read through
// authParameter(), which falls back to the documented default when the
// built-in parameter table does not list the name yet.
#pragma once

#include <string>
#include <string_view>

#include "lib/config/config.h"

namespace posthorn::auth {

// The expanded value of `name`; `fallback` (expanded) when the parameter is
// neither set nor in the built-in table.
std::string authParameter(const config::Config& cfg, std::string_view name,
                          std::string_view fallback);

// auth_passwd_file: the passwd file (default $config_directory/passwd).
std::string passwdFilePath(const config::Config& cfg);

}  // namespace posthorn::auth
