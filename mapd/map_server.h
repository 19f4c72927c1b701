// map_server - mapd's answer to a lookup request
//
// mapd serves its clients through server::RequestServer (one session per
// client, a stream of MapLookupRequest frames each answered by one
// MapLookupReply in order; malformed requests, slow and silent clients and
// the stop at SIGTERM are handled there). This is what one request means:
// the table's answer, from mapd's TableCache; a value too long for one frame
// becomes a TempFail.
//
// Clients keep their connection open between lookups, so a mapd that is
// told to stop (SIGTERM from master at reload or shutdown) closes every
// connection once its replies are written instead of waiting for clients
// to leave; clients reconnect to the next mapd by themselves.
#pragma once

#include "lib/server/request_server.h"

namespace posthorn::mapd {

class TableCache;

// Decodes a MapLookupRequest and returns its reply frame; throws
// ipc::ProtocolError for anything else.
server::RequestServer::Answer lookupAnswer(TableCache& tables);

}  // namespace posthorn::mapd
