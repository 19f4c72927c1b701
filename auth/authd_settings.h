// authd_settings - authd's configuration, read and checked once at start
//
// Parameters (posthorn.conf(5), authd(8)):
//   auth_passwd_file      the passwd file (empty: no passwd-file users)
//   virtual_mailbox_maps, virtual_uid_maps, virtual_gid_maps,
//   virtual_mailbox_base, virtual_minimum_uid
//                         the Postfix-style second source
//   mydestination         domains whose bare logins and system users answer
//   recipient_delimiter   "alice+ext" falls back to "alice"
//   mailbox_size_limit    the base of relative quota rules
//   mail_owner, max_use, max_idle, ipc_timeout   as for every daemon
// and for the passdb side (authd passdb):
//   auth_allow_plaintext_passwords   {PLAIN} passwords are accepted (no)
//   auth_pam_service                 PAM service for system users ("": none)
//   auth_failure_delay, auth_failure_delay_limit, auth_client_lockout_threshold,
//   auth_account_lockout_threshold, auth_lockout_time   the throttle
//                                    (auth/auth_throttle.h)
// Every default comes from the parameter table (lib/config/config_defaults.cc).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/auth/auth_params.h"
#include "auth/auth_throttle.h"
#include "auth/passdb.h"
#include "auth/virtual_maps_userdb.h"
#include "lib/config/config.h"

namespace posthorn::auth {

struct Settings {
  std::string passwdFile;
  VirtualMapsSettings virtualMaps;
  std::vector<std::string> localDomains;  // mydestination's domain names
  std::string recipientDelimiter;
  std::uint64_t defaultQuotaBytes{};
  std::chrono::seconds clientTimeout{};
  PassdbSettings passdb;
  ThrottleSettings throttle;
  // Things worth a warning at start (mydestination entries that are
  // tables, virtual maps without a base, ...).
  std::vector<std::string> warnings;

  // The only way to make one. Throws config::ConfigError for a value of
  // the wrong type.
  explicit Settings(const config::Config& cfg);
};

// "2s", "500ms", "1m", "0" as milliseconds; throws config::ConfigError
// naming the parameter for anything else.
std::chrono::milliseconds millisParameter(const config::Config& cfg, std::string_view name);

}  // namespace posthorn::auth
