// trigger - what a connection to qmgr's public socket asks for (see trigger.h)
#include "qmgr/trigger.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace posthorn::qmgr {

Trigger readTrigger(int fd) {
  char buf[64];
  ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  }
  ::close(fd);
  const bool flush = n > 0 && std::memchr(buf, 'F', static_cast<std::size_t>(n)) != nullptr;
  return flush ? Trigger::Flush : Trigger::Incoming;
}

}  // namespace posthorn::qmgr
