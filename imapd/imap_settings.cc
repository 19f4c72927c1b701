// imap_settings - imapd's parameters from posthorn.conf (see imapd(8))
#include "imapd/imap_settings.h"

#include "imapd/mailbox_name.h"

namespace posthorn::imapd {
namespace {

const char* const kAttributes[] = {"\\All", "\\Archive", "\\Drafts", "\\Flagged",
                                   "\\Junk", "\\Sent", "\\Trash"};

std::vector<SpecialUse> parseSpecialUse(const std::vector<std::string>& items) {
  std::vector<SpecialUse> out;
  for (const auto& item : items) {
    const std::size_t colon = item.rfind(':');
    const std::string bad = "imapd_special_use_folders: \"" + item + "\": ";
    if (colon == std::string::npos || colon == 0)
      throw config::ConfigError(bad + "expected folder:\\Attribute, e.g. Sent:\\Sent");
    SpecialUse use{item.substr(0, colon), item.substr(colon + 1)};
    bool known = false;
    for (const char* a : kAttributes) known = known || use.attribute == a;
    if (!known) throw config::ConfigError(bad + "unknown attribute " + use.attribute + " (RFC 6154)");
    const std::string why = checkMailboxName(use.folder);
    if (!why.empty()) throw config::ConfigError(bad + why);
    out.push_back(std::move(use));
  }
  return out;
}

}  // namespace

Settings::Settings(const config::Config& cfg) : StageSettings(cfg, "imapd") {
  loginTimeout = cfg.getTime("imapd_login_timeout");
  if (loginTimeout.count() <= 0) throw config::ConfigError("imapd_login_timeout: must be more than 0");
  timeout = cfg.getTime("imapd_timeout");
  if (timeout.count() <= 0) throw config::ConfigError("imapd_timeout: must be more than 0");
  const long long line = cfg.getInt("imapd_max_line_length");
  if (line < 1024 || line > 16 * 1048576)
    throw config::ConfigError("imapd_max_line_length: must be between 1024 and 16777216");
  maxLineLength = static_cast<std::size_t>(line);
  maxLiteralSize = cfg.getSize("imapd_max_literal_size");
  if (maxLiteralSize < 1024) throw config::ConfigError("imapd_max_literal_size: must be at least 1024");
  const long long bad = cfg.getInt("imapd_max_bad_commands");
  if (bad < 1) throw config::ConfigError("imapd_max_bad_commands: must be at least 1");
  maxBadCommands = static_cast<int>(bad);
  specialUse = parseSpecialUse(cfg.getList("imapd_special_use_folders"));
}

}  // namespace posthorn::imapd
