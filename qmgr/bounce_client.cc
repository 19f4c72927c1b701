// bounce_client - asks the bounce service for one DSN (see bounce_client.h)
#include "qmgr/bounce_client.h"

#include <sys/stat.h>

#include <cerrno>
#include <exception>

#include "lib/ipc/ipc.h"

namespace posthorn::qmgr {

BounceClient::Result BounceClient::send(const ipc::BounceRequest& request,
                                        std::string* detail) const {
  struct stat st {};
  if (::stat(socketPath_.c_str(), &st) != 0 && errno == ENOENT) {
    *detail = "no bounce service (" + socketPath_ + " does not exist)";
    return Result::NoService;
  }
  try {
    ipc::Channel channel = ipc::Channel::connect(socketPath_);
    channel.setTimeout(timeout_);
    channel.send(request);
    const auto reply = channel.receive<ipc::BounceReply>();
    *detail = reply.sent ? reply.dsnQueueId : reply.text;
    return reply.sent ? Result::Sent : Result::Failed;
  } catch (const std::exception& e) {
    *detail = std::string("bounce service: ") + e.what();
    return Result::Failed;
  }
}

}  // namespace posthorn::qmgr
