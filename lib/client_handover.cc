// client_handover - pass the client's socket (or a proxied socketpair) to the mailbox stage
#include "lib/client_handover.h"

#include <sys/socket.h>
#include <unistd.h>

#include "lib/ipc.h"

namespace posthorn::net {

void handOverClient(ClientStream& stream, const std::string& socketPath, const HandoverSender& send) {
  ipc::Channel channel = ipc::Channel::connect(socketPath);
  if (!stream.flush()) return;
  std::string pending = stream.takePending();
  if (!stream.tls()) {
    send(channel, stream.fd(), std::move(pending));
    return;  // our copy of the socket closes with the stream
  }
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    throw ipc::ChannelClosed("socketpair failed");
  try {
    send(channel, pair[1], std::move(pending));
  } catch (...) {
    ::close(pair[0]);
    ::close(pair[1]);
    throw;
  }
  ::close(pair[1]);
  stream.proxy(pair[0]);
  ::close(pair[0]);
}

}  // namespace posthorn::net
