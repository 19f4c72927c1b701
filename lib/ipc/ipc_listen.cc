// ipc_listen - creates Unix stream listeners and accepts with SO_PEERCRED
#include "lib/ipc/ipc_listen.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace posthorn::ipc {

namespace {

[[noreturn]] void failErrno(const std::string& what) {
  throw ListenError(what + ": " + std::strerror(errno));
}

sockaddr_un unixAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path))
    throw ListenError("socket path '" + path + "' is empty or longer than " +
                      std::to_string(sizeof(addr.sun_path) - 1) + " bytes");
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

}  // namespace

int listenUnix(const std::string& path, mode_t mode, int backlog) {
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 && !S_ISSOCK(st.st_mode))
    throw ListenError("listen " + path + ": exists and is not a socket");

  std::string tmp = path + ".tmp" + std::to_string(::getpid());
  sockaddr_un addr = unixAddress(tmp);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) failErrno("socket");
  auto fail = [&](const std::string& what) {
    int saved = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    errno = saved;
    failErrno(what);
  };
  ::unlink(tmp.c_str());  // left over from a crashed process with our pid
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    failErrno("bind " + tmp);
  }
  if (::chmod(tmp.c_str(), mode) < 0) fail("chmod " + tmp);
  if (::listen(fd, backlog) < 0) fail("listen " + tmp);
  if (::rename(tmp.c_str(), path.c_str()) < 0) fail("rename " + tmp + " to " + path);
  return fd;
}

PeerCredentials peerCredentials(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) failErrno("SO_PEERCRED");
  return PeerCredentials{cred.pid, cred.uid, cred.gid};
}

std::optional<Accepted> acceptUnix(int listenFd) {
  for (;;) {
    int fd = ::accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      Accepted a;
      a.fd = fd;
      try {
        a.peer = peerCredentials(fd);
      } catch (...) {
        ::close(fd);
        throw;
      }
      return a;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED) return std::nullopt;
    failErrno("accept");
  }
}

}  // namespace posthorn::ipc
