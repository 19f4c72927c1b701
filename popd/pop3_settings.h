// pop3_settings - popd's parameters from posthorn.conf, read and checked once
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "lib/config/config.h"
#include "lib/login/stage_settings.h"

namespace posthorn::popd {

// The parameters both stages share are stage::StageSettings's (popd_*).
struct Settings : stage::StageSettings {
  std::chrono::seconds timeout{};     // popd_timeout: idle client
  std::size_t lineLengthLimit{};      // popd_line_length_limit
  int maxBadCommands{};               // popd_max_bad_commands

  // The only way to make one (defaults: the parameter table). Throws
  // config::ConfigError naming the bad parameter.
  explicit Settings(const config::Config& cfg);
};

}  // namespace posthorn::popd
