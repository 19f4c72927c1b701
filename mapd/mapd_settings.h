// mapd_settings - mapd's configuration, read and checked once at start
#pragma once

#include <chrono>
#include <set>
#include <string>

#include "lib/config/config.h"

namespace posthorn::mapd {

struct Settings {
  // The tables mapd may serve: proxy_read_maps, $name-expanded, each a map
  // spec such as "hash:/etc/mail/aliases" (a leading "proxy:" is dropped,
  // so a Postfix-style "proxy:hash:/etc/aliases" entry also works).
  std::set<std::string, std::less<>> allowedTables;
  std::chrono::seconds clientTimeout{};     // ipc_timeout: an idle client is dropped

  // The only way to make one (defaults: the parameter table).
  explicit Settings(const config::Config& cfg);
};

// The allowed-table entry that a proxy_read_maps word names, or "" when the
// word is not a table spec ("type:name") and is ignored.
std::string allowedTableEntry(const std::string& word);

}  // namespace posthorn::mapd
