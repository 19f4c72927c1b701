// pop3_settings - popd's parameters from posthorn.conf, read and checked once
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "lib/config/config.h"

namespace posthorn::popd {

struct Settings {
  std::string queueDirectory;
  std::string mailOwner;
  std::string homeMailbox;            // home_mailbox, for system users
  std::string mailboxService;         // popd_mailbox_service
  bool tlsWrapperMode{};              // popd_tls_wrappermode (995)
  std::string tlsCertFile;            // popd_tls_cert_file: STLS is offered when set
  std::string tlsKeyFile;
  std::string tlsProtocols;
  std::string tlsCiphers;
  bool disablePlaintextAuth{};        // popd_disable_plaintext_auth
  std::chrono::seconds timeout{};     // popd_timeout: idle client
  std::size_t lineLengthLimit{};      // popd_line_length_limit
  int maxBadCommands{};               // popd_max_bad_commands
  int maxUse{};
  std::chrono::seconds maxIdle{};

  // The only way to make one (defaults: the parameter table). Throws
  // config::ConfigError naming the bad parameter.
  explicit Settings(const config::Config& cfg);

  bool tlsAvailable() const { return !tlsCertFile.empty(); }
};

}  // namespace posthorn::popd
