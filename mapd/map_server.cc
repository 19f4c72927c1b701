// map_server - mapd's answer to one lookup frame (see map_server.h)
#include "mapd/map_server.h"

#include <cstdint>
#include <string>

#include "lib/ipc/ipc.h"
#include "lib/log/log.h"
#include "lib/proto/proto_mapd.h"
#include "mapd/table_cache.h"

namespace posthorn::mapd {

namespace {

// The reply's frame; a value too long for one frame becomes a TempFail.
std::string replyBytes(const ipc::MapLookupReply& reply, const std::string& peer) {
  std::string body = ipc::encode(reply);
  if (body.size() > ipc::kMaxFrameBody) {
    log::warning("value too long for a reply to %s (%zu bytes)", peer.c_str(),
                 reply.value.size());
    ipc::MapLookupReply fail;
    fail.status = ipc::MapStatus::TempFail;
    fail.value = "value too long";
    body = ipc::encode(fail);
  }
  return ipc::frameBytes(static_cast<std::uint32_t>(ipc::MapLookupReply::kType),
                         ipc::MapLookupReply::kVersion, body);
}

}  // namespace

server::RequestServer::Answer lookupAnswer(TableCache& tables) {
  return [&tables](const ipc::Frame& frame, const std::string& peer) {
    const auto request = ipc::decode<ipc::MapLookupRequest>(frame);
    return replyBytes(tables.lookup(request, peer), peer);
  };
}

}  // namespace posthorn::mapd
