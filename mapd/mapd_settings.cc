// mapd_settings - reads mapd's parameters from posthorn.conf
#include "mapd/mapd_settings.h"

#include "lib/access/restriction_list.h"

namespace posthorn::mapd {

std::string allowedTableEntry(const std::string& word) {
  std::string spec = word;
  constexpr std::string_view kProxy = "proxy:";
  if (spec.compare(0, kProxy.size(), kProxy) == 0) spec.erase(0, kProxy.size());
  const auto colon = spec.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size()) return "";
  return spec;
}

Settings::Settings(const config::Config& cfg) {
  // The restriction lists in it name access tables and policy servers.
  for (const auto& word : access::withoutPolicyServers(cfg.getList("proxy_read_maps"))) {
    auto entry = allowedTableEntry(word);
    if (!entry.empty()) allowedTables.insert(std::move(entry));
  }
  clientTimeout = cfg.getTime("ipc_timeout");
}

}  // namespace posthorn::mapd
