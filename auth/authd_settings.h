// authd_settings - authd's configuration, read and checked once at start
//
// Parameters (posthorn.conf(5), authd(8)):
//   auth_passwd_file      the passwd file (default $config_directory/passwd;
//                         empty: no passwd-file users)
//   virtual_mailbox_maps, virtual_uid_maps, virtual_gid_maps,
//   virtual_mailbox_base, virtual_minimum_uid (default 100)
//                         the Postfix-style second source
//   mydestination         domains whose bare logins and system users answer
//   recipient_delimiter   "alice+ext" falls back to "alice"
//   mailbox_size_limit    the base of relative quota rules
//   mail_owner, max_use, max_idle, ipc_timeout   as for every daemon
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auth/auth_params.h"
#include "auth/virtual_maps_userdb.h"
#include "lib/config.h"

namespace posthorn::auth {

struct Settings {
  std::string passwdFile;
  VirtualMapsSettings virtualMaps;
  std::vector<std::string> localDomains;  // mydestination's domain names
  std::string recipientDelimiter;
  std::uint64_t defaultQuotaBytes = 0;
  std::string mailOwner;
  int maxUse = 100;
  std::chrono::seconds maxIdle{100};
  std::chrono::seconds clientTimeout{3600};
  // Things worth a warning at start (mydestination entries that are
  // tables, virtual maps without a base, ...).
  std::vector<std::string> warnings;

  // Throws config::ConfigError for a value of the wrong type.
  explicit Settings(const config::Config& cfg);
};

}  // namespace posthorn::auth
