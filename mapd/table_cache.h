// table_cache - the tables mapd serves: opened on first use and kept open
//
// Only tables in the allowed set (proxy_read_maps) are ever opened, so a
// compromised worker cannot make mapd read an arbitrary file. An open table
// stays open for the life of the process; the maps layer notices when
// `posthorn map` has replaced the file and reads the new one. A table that
// cannot be opened or read is not kept: the next request opens it again.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "lib/proto/proto_mapd.h"

namespace posthorn::map {
class LookupTable;
}

namespace posthorn::mapd {

class TableCache {
 public:
  explicit TableCache(std::set<std::string, std::less<>> allowed);
  ~TableCache();
  TableCache(const TableCache&) = delete;
  TableCache& operator=(const TableCache&) = delete;

  // Answers one request; `peer` names the client in log lines. Never throws
  // for a bad table or key: those become Refused or TempFail replies.
  ipc::MapLookupReply lookup(const ipc::MapLookupRequest& request, std::string_view peer);

  bool allowed(std::string_view table) const { return allowed_.count(table) != 0; }

 private:
  std::set<std::string, std::less<>> allowed_;
  std::map<std::string, std::unique_ptr<map::LookupTable>, std::less<>> open_;
};

}  // namespace posthorn::mapd
