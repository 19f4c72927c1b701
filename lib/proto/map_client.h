// map_client - how a (chrooted) worker reads a table through mapd
//
//   mapd::MapClient maps(ipc::servicePath(queueDir, chrooted, mapd::kMapdService));
//   try {
//     if (auto v = maps.lookup("hash:/etc/mail/aliases", "postmaster")) use(*v);
//     else notFound();
//   } catch (const mapd::MapError& e) {
//     reply("451 4.3.0 temporary lookup failure");   // never treat as a miss
//   }
//
// The client keeps one connection to mapd and reuses it for every lookup;
// when that connection was dropped (mapd exited after max_use or max_idle,
// or was restarted) it reconnects once and retries the lookup (see
// ipc::RequestClient). Anything other than "found" or "not found" is a
// MapError, so that a caller answers with a temporary error instead of
// mistaking an outage for a miss.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "lib/ipc/request_client.h"
#include "lib/ipc/service_path.h"

namespace posthorn::mapd {

// Why a lookup gave no answer.
enum class MapErrorKind {
  Unavailable,  // mapd could not be reached, or the connection failed twice
  Refused,      // the table is not listed in proxy_read_maps
  TempFail,     // mapd could not open or read the table
  Protocol,     // mapd sent something that is not a valid reply
};

using MapError = ipc::ServiceError<MapErrorKind>;

// "unavailable", "refused", "tempfail", "protocol".
std::string_view mapErrorKindName(MapErrorKind kind);

// mapd's socket: QUEUE_DIR/private/mapd (ipc::servicePath).
inline constexpr ipc::ServiceName kMapdService{ipc::Visibility::Private, "mapd"};

class MapClient : public ipc::ServiceClient<MapErrorKind> {
 public:
  explicit MapClient(std::string socketPath,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // The value of `key` in `table` ("hash:/etc/mail/aliases"), or nullopt
  // when the table has no such key. Throws MapError otherwise.
  std::optional<std::string> lookup(std::string_view table, std::string_view key);
};

}  // namespace posthorn::mapd
