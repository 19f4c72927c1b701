// map_client - the client side of the mapd protocol (see map_client.h)
#include "lib/proto/map_client.h"

#include <utility>

#include "lib/ipc/ipc.h"
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
    : socketPath_(std::move(socketPath)), timeout_(timeout) {}

MapClient::~MapClient() = default;
MapClient::MapClient(MapClient&&) noexcept = default;
MapClient& MapClient::operator=(MapClient&&) noexcept = default;

void MapClient::disconnect() { channel_.reset(); }

void MapClient::connect() {
  channel_.reset();
  try {
    auto channel = ipc::Channel::connect(socketPath_, timeout_);
    channel.setTimeout(timeout_);
    channel_ = std::make_unique<ipc::Channel>(std::move(channel));
    ++connects_;
  } catch (const std::exception& e) {
    throw MapError(MapErrorKind::Unavailable,
                   "mapd unavailable at " + socketPath_ + ": " + e.what());
  }
}

std::optional<std::string> MapClient::lookup(std::string_view table, std::string_view key) {
  // A connection that was already open may have been closed by mapd in the
  // meantime (max_idle, max_use, restart): then reconnect once and retry.
  const bool reused = channel_ != nullptr;
  if (!reused) connect();
  try {
    return lookupOnce(table, key);
  } catch (const ipc::ChannelClosed& e) {
    disconnect();
    if (!reused) {
      throw MapError(MapErrorKind::Unavailable,
                     "mapd at " + socketPath_ + ": " + e.what());
    }
  }
  connect();
  try {
    return lookupOnce(table, key);
  } catch (const ipc::ChannelClosed& e) {
    disconnect();
    throw MapError(MapErrorKind::Unavailable,
                   "mapd at " + socketPath_ + ": " + e.what());
  }
}

std::optional<std::string> MapClient::lookupOnce(std::string_view table, std::string_view key) {
  ipc::MapLookupReply reply;
  try {
    ipc::MapLookupRequest request;
    request.table = std::string(table);
    request.key = std::string(key);
    channel_->send(request);
    reply = channel_->receive<ipc::MapLookupReply>();
  } catch (const ipc::ProtocolError& e) {
    disconnect();
    throw MapError(MapErrorKind::Protocol,
                   "mapd at " + socketPath_ + ": protocol error: " + e.what());
  }
  const std::string what = std::string(table) + " key " + std::string(key);
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
                 "mapd: temporary failure looking up " + what +
                     (reply.value.empty() ? "" : ": " + reply.value));
}

}  // namespace posthorn::mapd
