// imap_settings - imapd's parameters from posthorn.conf, read and checked once
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lib/config/config.h"

namespace posthorn::imapd {

struct SpecialUse {
  std::string folder;     // "Sent" (modified UTF-7, as on disk)
  std::string attribute;  // "\\Sent"
};

struct Settings {
  std::string queueDirectory;
  std::string mailOwner;
  std::string homeMailbox;               // home_mailbox, for system users
  std::string mailboxService;            // imapd_mailbox_service
  bool tlsWrapperMode{};                 // imapd_tls_wrappermode (993)
  std::string tlsCertFile;               // STARTTLS is offered when set
  std::string tlsKeyFile;
  std::string tlsProtocols;
  std::string tlsCiphers;
  bool disablePlaintextAuth{};
  std::chrono::seconds loginTimeout{};   // imapd_login_timeout: before login
  std::chrono::seconds timeout{};        // imapd_timeout: logged in (RFC 3501: at least 30 min)
  std::size_t maxLineLength{};           // imapd_max_line_length
  std::uint64_t maxLiteralSize{};        // imapd_max_literal_size (APPEND)
  int maxBadCommands{};
  std::vector<SpecialUse> specialUse;    // imapd_special_use_folders
  int maxUse{};
  std::chrono::seconds maxIdle{};

  // The only way to make one (defaults: the parameter table). Throws
  // config::ConfigError naming the bad parameter and value.
  explicit Settings(const config::Config& cfg);

  bool tlsAvailable() const { return !tlsCertFile.empty(); }
};

}  // namespace posthorn::imapd
