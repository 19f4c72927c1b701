// map_client - the client side of the mapd protocol (see map_client.h)
#include "lib/proto/map_client.h"

#include <utility>

#include "lib/proto/proto_mapd.h"

namespace posthorn::mapd {

std::string_view mapErrorKindName(MapErrorKind kind) {
  switch (kind) {
    case MapErrorKind::Unavailable: return "unavailable";
    case MapErrorKind::Refused: return "refused";
    case MapErrorKind::TempFail: return "tempfail";
    case MapErrorKind::Protocol: return "protocol";
  }
  return "unknown";
}

MapClient::MapClient(std::string socketPath, std::chrono::milliseconds timeout)
    : ServiceClient(std::move(socketPath), "mapd", timeout) {}

std::optional<std::string> MapClient::lookup(std::string_view table, std::string_view key) {
  ipc::MapLookupRequest request;
  request.table = std::string(table);
  request.key = std::string(key);
  ipc::MapLookupReply reply = call<ipc::MapLookupReply>(request);
  switch (reply.status) {
    case ipc::MapStatus::Found:
      return std::move(reply.value);
    case ipc::MapStatus::NotFound:
      return std::nullopt;
    case ipc::MapStatus::Refused:
      throw MapError(MapErrorKind::Refused,
                     reply.value.empty() ? "mapd refused table " + std::string(table)
                                         : "mapd: " + reply.value);
    case ipc::MapStatus::TempFail:
      break;
  }
  throw MapError(MapErrorKind::TempFail,
                 "mapd: temporary failure looking up " + std::string(table) + " key " +
                     std::string(key) + (reply.value.empty() ? "" : ": " + reply.value));
}

}  // namespace posthorn::mapd
