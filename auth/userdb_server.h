// userdb_server - authd's answer to a userdb lookup
//
// authd's userdb side serves its clients through server::RequestServer (one
// session per client, a stream of UserdbLookup frames each answered by one
// UserdbReply in order; malformed requests, slow and silent clients and
// the stop at SIGTERM are handled there). This is what one request means:
// the user database's answer, logged; a reply too long for a frame becomes
// a TempFail.
//
// Clients keep their connection open between lookups, so an authd told to
// stop (SIGTERM from master at reload or shutdown) closes every connection
// once its replies are written; clients reconnect to the next authd.
#pragma once

#include "lib/server/request_server.h"

namespace posthorn::auth {

class Userdb;

// Decodes a UserdbLookup and returns its reply frame; throws
// ipc::ProtocolError for anything else.
server::RequestServer::Answer userdbAnswer(Userdb& userdb);

}  // namespace posthorn::auth
