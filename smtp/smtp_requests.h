// smtp_requests - the smtp agent's side of a qmgr connection
//
// Each DeliveryRequest goes to SmtpDelivery (smtp_delivery.h); a queue file
// that cannot be opened or read defers every recipient. The queue file is
// closed before the results go back, so that qmgr can record the deferred
// ones at once. Between requests, cached connections that have aged are
// closed while the agent waits.
#pragma once

#include <string>

#include "lib/ipc/ipc.h"

namespace posthorn::smtp {

class SmtpDelivery;

// Until qmgr closes the connection; throws ipc::ProtocolError on a
// malformed request.
void serveRequests(ipc::Channel& channel, int fd, const std::string& queueRoot,
                   SmtpDelivery& delivery);

}  // namespace posthorn::smtp
