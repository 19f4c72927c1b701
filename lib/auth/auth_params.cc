// auth_params - reads the parameters authd and `posthorn passwd` share (see auth_params.h)
#include "lib/auth/auth_params.h"

namespace posthorn::auth {

std::string passwdFilePath(const config::Config& cfg) { return cfg.get("auth_passwd_file"); }

}  // namespace posthorn::auth
