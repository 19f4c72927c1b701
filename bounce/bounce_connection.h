// bounce_connection - one qmgr connection to the bounce service
//
// qmgr sends BounceRequests (lib/proto/proto_bounce.h) one at a time; each
// gets the service's BounceReply. A request whose qmgr went away while it
// waited is left alone: the next qmgr asks again, and answering it now as
// well would send the DSN twice.
#pragma once

#include <string>

namespace posthorn::bounce {

class BounceService;

// Serves requests on `fd` until qmgr closes it or misbehaves (logged with
// `peer`), then closes fd.
void serveConnection(int fd, const std::string& peer, BounceService& service);

}  // namespace posthorn::bounce
