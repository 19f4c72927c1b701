// client_handover - pass the client's socket (or a proxied socketpair) to the mailbox stage
#include "lib/login/client_handover.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "lib/ipc/ipc.h"

namespace posthorn::net {

namespace {

// Waits (at most a few seconds) until the mailbox stage has the client:
// it checks that this process is a login stage, so this process must not
// exit before (lib/login/mail_user.h).
void awaitAcknowledgement(const ipc::Channel& channel) {
  pollfd p{channel.fd(), POLLIN, 0};
  int r;
  do r = ::poll(&p, 1, 10000); while (r < 0 && errno == EINTR);
  if (r > 0) {
    char byte;
    (void)!::recv(channel.fd(), &byte, 1, MSG_DONTWAIT);
  }
}

}  // namespace

void handOverClient(ClientStream& stream, const std::string& socketPath, const HandoverSender& send) {
  ipc::Channel channel = ipc::Channel::connect(socketPath);
  if (!stream.flush()) return;
  std::string pending = stream.takePending();
  if (!stream.tls()) {
    send(channel, stream.fd(), std::move(pending));
    awaitAcknowledgement(channel);
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
  awaitAcknowledgement(channel);
  stream.proxy(pair[0]);
  ::close(pair[0]);
}

}  // namespace posthorn::net
