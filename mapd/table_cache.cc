// table_cache - opens allowed tables on first use and answers lookups
#include "mapd/table_cache.h"

#include <exception>
#include <utility>

#include "lib/log/log.h"
#include "lib/map/lookup_table.h"

namespace posthorn::mapd {

namespace {

// Text from a client, made safe for one log line: control characters
// become '?', and it is cut at 200 characters.
std::string printable(std::string_view text) {
  constexpr std::size_t kMax = 200;
  std::string out;
  for (const char c : text.substr(0, kMax)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? '?' : c);
  }
  if (text.size() > kMax) out += "...";
  return out;
}

}  // namespace

TableCache::TableCache(std::set<std::string, std::less<>> allowed)
    : allowed_(std::move(allowed)) {}

TableCache::~TableCache() = default;

ipc::MapLookupReply TableCache::lookup(const ipc::MapLookupRequest& request,
                                       std::string_view peer) {
  ipc::MapLookupReply reply;
  const std::string& table = request.table;
  if (!allowed(table)) {
    log::warning("table %s is not listed in proxy_read_maps; refused a lookup from %.*s",
                 printable(table).c_str(), static_cast<int>(peer.size()), peer.data());
    reply.status = ipc::MapStatus::Refused;
    reply.value = "table " + table + " is not listed in proxy_read_maps";
    return reply;
  }
  try {
    auto it = open_.find(table);
    if (it == open_.end()) {
      it = open_.emplace(table, map::openTable(table)).first;
      log::debug("opened table %s", table.c_str());
    }
    auto value = it->second->lookup(request.key);
    reply.status = value ? ipc::MapStatus::Found : ipc::MapStatus::NotFound;
    if (value) reply.value = std::move(*value);
  } catch (const std::exception& e) {
    // Forget the table, so that the next request opens it afresh.
    open_.erase(table);
    log::warning("table %s: %s", table.c_str(), e.what());
    reply.status = ipc::MapStatus::TempFail;
    reply.value = "table " + table + " is unavailable";
  }
  return reply;
}

}  // namespace posthorn::mapd
