// pop3_settings - popd's parameters from posthorn.conf (see popd(8))
#include "popd/pop3_settings.h"

namespace posthorn::popd {

Settings::Settings(const config::Config& cfg) : StageSettings(cfg, "popd") {
  timeout = cfg.getTime("popd_timeout");
  if (timeout.count() <= 0) throw config::ConfigError("popd_timeout: must be more than 0");
  const long long limit = cfg.getInt("popd_line_length_limit");
  if (limit < 255 || limit > 1048576)
    throw config::ConfigError("popd_line_length_limit: must be between 255 and 1048576");
  lineLengthLimit = static_cast<std::size_t>(limit);
  const long long bad = cfg.getInt("popd_max_bad_commands");
  if (bad < 1) throw config::ConfigError("popd_max_bad_commands: must be at least 1");
  maxBadCommands = static_cast<int>(bad);
}

}  // namespace posthorn::popd
