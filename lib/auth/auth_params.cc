// auth_params - reads the parameters authd and `posthorn passwd` share (see auth_params.h)
#include "lib/auth/auth_params.h"

namespace posthorn::auth {

std::string authParameter(const config::Config& cfg, std::string_view name,
                          std::string_view fallback) {
  if (config::findParameter(name) != nullptr || cfg.isSet(name)) return cfg.get(name);
  return cfg.expand(fallback);
}

std::string passwdFilePath(const config::Config& cfg) {
  return authParameter(cfg, "auth_passwd_file", "$config_directory/passwd");
}

}  // namespace posthorn::auth
