// imap_settings - imapd's parameters from posthorn.conf, read and checked once
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lib/config/config.h"
#include "lib/login/stage_settings.h"

namespace posthorn::imapd {

struct SpecialUse {
  std::string folder;     // "Sent" (modified UTF-7, as on disk)
  std::string attribute;  // "\\Sent"
};

// The parameters both stages share are stage::StageSettings's (imapd_*).
struct Settings : stage::StageSettings {
  std::chrono::seconds loginTimeout{};   // imapd_login_timeout: before login
  std::chrono::seconds timeout{};        // imapd_timeout: logged in (RFC 3501: at least 30 min)
  std::size_t maxLineLength{};           // imapd_max_line_length
  std::uint64_t maxLiteralSize{};        // imapd_max_literal_size (APPEND)
  int maxBadCommands{};                  // imapd_max_bad_commands
  std::vector<SpecialUse> specialUse;    // imapd_special_use_folders

  // The only way to make one (defaults: the parameter table). Throws
  // config::ConfigError naming the bad parameter and value.
  explicit Settings(const config::Config& cfg);
};

}  // namespace posthorn::imapd
