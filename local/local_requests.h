// local_requests - the local agent's side of a qmgr connection
//
// Each recipient of a DeliveryRequest is delivered in turn and answered at
// once. A delivery that made a copy is marked in the queue file (fdatasync)
// before it is reported, so that a kill at any instant repeats at most the
// recipient being copied; a recipient already marked is answered Delivered
// without a second copy. A queue file that cannot be opened, or whose
// marking failed, defers what is left.
#pragma once

#include "lib/ipc/ipc.h"

namespace posthorn::local {

class LocalDelivery;
struct Settings;

// Until qmgr closes the connection; throws ipc::ProtocolError on a
// malformed request.
void serveRequests(ipc::Channel& channel, const Settings& settings, LocalDelivery& delivery);

}  // namespace posthorn::local
