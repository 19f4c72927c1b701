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
  std::string mailboxService = "pop3-mailbox";  // popd_mailbox_service
  bool tlsWrapperMode = false;        // popd_tls_wrappermode (995)
  std::string tlsCertFile;            // popd_tls_cert_file: STLS is offered when set
  std::string tlsKeyFile;
  std::string tlsProtocols = ">=TLSv1.2";
  std::string tlsCiphers;
  bool disablePlaintextAuth = true;   // popd_disable_plaintext_auth
  std::chrono::seconds timeout{600};  // popd_timeout: idle client
  std::size_t lineLengthLimit = 4096; // popd_line_length_limit
  int maxBadCommands = 20;            // popd_max_bad_commands
  int maxUse = 100;
  std::chrono::seconds maxIdle{100};

  Settings() = default;
  // Throws config::ConfigError naming the bad parameter.
  explicit Settings(const config::Config& cfg);

  bool tlsAvailable() const { return !tlsCertFile.empty(); }
};

}  // namespace posthorn::popd
