// unix_message - recvmsg() with ancillary data (see unix_message.h)
#include "lib/ipc/unix_message.h"

#include <cstring>

namespace posthorn::ipc {

ssize_t receiveMessage(int fd, char* buf, std::size_t len, char* control, std::size_t controlLen,
                       msghdr* msg) {
  // msg_iov must stay valid only for the call.
  iovec iov{buf, len};
  *msg = msghdr{};
  msg->msg_iov = &iov;
  msg->msg_iovlen = 1;
  msg->msg_control = control;
  msg->msg_controllen = controlLen;
  const ssize_t n = ::recvmsg(fd, msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  msg->msg_iov = nullptr;
  msg->msg_iovlen = 0;
  return n;
}

std::vector<int> passedFds(const cmsghdr* c) {
  std::vector<int> fds;
  if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) return fds;
  const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
  for (std::size_t i = 0; i < count; ++i) {
    int fd;
    std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
    fds.push_back(fd);
  }
  return fds;
}

}  // namespace posthorn::ipc
