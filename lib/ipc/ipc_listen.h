// ipc_listen - Unix stream listeners for IPC services, and who is calling
//
// listenUnix() creates the socket under a temporary name, sets its mode and
// renames it into place, so that the path never exists with a looser mode
// and a stale socket from an earlier run is replaced atomically. Anything
// at the path that is not a socket is left alone (an error).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/types.h>

namespace posthorn::ipc {

// Setting up a listener failed; what() names the path and the reason.
class ListenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PeerCredentials {
  pid_t pid = -1;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
};

// A bound, listening, close-on-exec, non-blocking Unix stream socket at
// path with the given mode (e.g. 0660). Throws ListenError.
int listenUnix(const std::string& path, mode_t mode, int backlog = 128);

struct Accepted {
  int fd = -1;  // close-on-exec, blocking; the caller owns it
  PeerCredentials peer;
};

// Accepts one connection from a listener made by listenUnix(); nullopt when
// none is waiting (EAGAIN) or the client already went away. Throws
// ListenError on other errors (EMFILE: the caller should back off).
std::optional<Accepted> acceptUnix(int listenFd);

// SO_PEERCRED of a connected Unix socket; throws ListenError.
PeerCredentials peerCredentials(int fd);

}  // namespace posthorn::ipc
