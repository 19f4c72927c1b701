// stage_settings - the parameters popd and imapd share, each under its own
// prefix (popd_tls_cert_file, imapd_tls_cert_file, ...), read once at start
#pragma once

#include <string>
#include <string_view>

#include "lib/config/config.h"

namespace posthorn::stage {

// What both stages of a POP3 or IMAP server read. A server's Settings
// derives from it, adds its own parameters and is built only from a
// config::Config: every default comes from the parameter table.
struct StageSettings {
  std::string queueDirectory;
  std::string homeMailbox;      // home_mailbox, for system users
  std::string mailboxService;   // PREFIX_mailbox_service: the mailbox stage
  bool tlsWrapperMode{};        // PREFIX_tls_wrappermode (995, 993)
  std::string tlsCertFile;      // PREFIX_tls_cert_file: STLS/STARTTLS is offered when set
  std::string tlsKeyFile;       // PREFIX_tls_key_file
  std::string tlsProtocols;     // PREFIX_tls_protocols
  std::string tlsCiphers;       // PREFIX_tls_ciphers
  bool disablePlaintextAuth{};  // PREFIX_disable_plaintext_auth

  bool tlsAvailable() const { return !tlsCertFile.empty(); }

 protected:
  // prefix: "popd" or "imapd". Throws config::ConfigError naming the bad
  // parameter.
  StageSettings(const config::Config& cfg, std::string_view prefix);
};

}  // namespace posthorn::stage
