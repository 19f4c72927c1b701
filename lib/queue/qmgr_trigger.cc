// qmgr_trigger - the non-blocking wakeup byte for qmgr
#include "lib/queue/qmgr_trigger.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace posthorn::queue {
namespace {

bool viaSocket(const std::string& path, int type) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool sent = false;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
    sent = ::send(fd, &kQmgrWakeup, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1;
  } else if (errno == EPROTOTYPE && type == SOCK_STREAM) {
    ::close(fd);
    return viaSocket(path, SOCK_DGRAM);
  }
  ::close(fd);
  return sent;
}

}  // namespace

bool wakeQmgr(const std::string& path) noexcept {
  if (path.empty()) return false;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  if (S_ISFIFO(st.st_mode)) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return false;  // ENXIO: nobody reads it
    const bool sent = ::write(fd, &kQmgrWakeup, 1) == 1;
    ::close(fd);
    return sent;
  }
  if (S_ISSOCK(st.st_mode)) return viaSocket(path, SOCK_STREAM);
  return false;
}

}  // namespace posthorn::queue
