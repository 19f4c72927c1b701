// bounce_connection - one qmgr connection to the bounce service (see bounce_connection.h)
#include "bounce/bounce_connection.h"

#include <poll.h>

#include <chrono>
#include <exception>

#include "bounce/bounce_service.h"
#include "lib/ipc/ipc.h"
#include "lib/log/log.h"
#include "lib/proto/proto_bounce.h"

namespace posthorn::bounce {

void serveConnection(int fd, const std::string& peer, BounceService& service) {
  ipc::Channel channel(fd);
  channel.setTimeout(std::chrono::seconds(600));
  try {
    for (;;) {
      ipc::BounceRequest request;
      try {
        request = channel.receive<ipc::BounceRequest>();
      } catch (const ipc::ChannelClosed&) {
        break;  // qmgr is done with this connection
      }
      pollfd p{fd, POLLRDHUP, 0};
      if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP))) {
        log::info("%s: requester went away; %s notification left to the next qmgr",
                  request.queueId.c_str(), std::string(ipc::dsnKindName(request.kind)).c_str());
        break;
      }
      channel.send(service.handle(request));
    }
  } catch (const std::exception& e) {
    log::warning("%s: %s", peer.c_str(), e.what());
  }
}

}  // namespace posthorn::bounce
