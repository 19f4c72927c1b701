// listener - the sockets master binds for its services
//
// An inet service is named "port", "host:port" or "[v6addr]:port" in
// master.conf (lib/config/master_conf.h splits and resolves it). A bare port is bound
// once per inet_interfaces address: `all` means 0.0.0.0 and ::,
// `loopback-only` 127.0.0.1 and ::1, anything else is a list of addresses
// or host names. IPv6 sockets are IPV6_V6ONLY so 0.0.0.0 and :: can share
// a port. A unix service lives at QUEUE_DIR/private/NAME (mode 0600) or
// QUEUE_DIR/public/NAME (mode 0666).
//
// Every listening socket is non-blocking and close-on-exec: master never
// accepts on it, it only watches for readability and hands the fd to the
// worker it spawns.
#pragma once

#include <stdexcept>
#include <string>
#include <sys/types.h>
#include <vector>

namespace posthorn::master {

struct ListenAddress {
  enum class Kind { Inet, Unix };
  Kind kind = Kind::Inet;
  std::string host;  // numeric address (inet) or socket path (unix)
  std::string port;  // numeric port (inet)
  bool implicit = false;  // came from `all`/`loopback-only`: may be skipped
                          // when the host has no such address family

  std::string describe() const;  // "127.0.0.1:25", "[::1]:25", "/path"
  bool operator==(const ListenAddress&) const = default;
};

// The addresses an inet service binds: `host` (empty or "*" = every
// inet_interfaces address; a name or a numeric address, brackets allowed)
// and `port`. `interfaces` is inet_interfaces as a list, `protocols`
// inet_protocols ("all", or any of "ipv4", "ipv6"). Throws
// std::runtime_error naming the bad host or setting.
std::vector<ListenAddress> inetListenAddresses(const std::string& serviceName,
                                               const std::string& host, int port,
                                               const std::vector<std::string>& interfaces,
                                               const std::vector<std::string>& protocols);

// The path of a unix service's socket.
ListenAddress unixListenAddress(const std::string& queueDir, const std::string& serviceName,
                                bool privateService);

// An implicit address of a family the host does not have (no IPv6).
class UnsupportedFamily : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Who owns a unix socket and its mode.
struct UnixSocketAccess {
  mode_t mode = 0600;
  uid_t uid = static_cast<uid_t>(-1);  // -1 = leave as created
  gid_t gid = static_cast<gid_t>(-1);
};

// One bound, listening socket. Move-only; closes its fd (and, for unix
// sockets, leaves the path: a later master replaces it).
class Listener {
 public:
  // Binds and listens; throws std::runtime_error ("bind 0.0.0.0 port 25:
  // Address already in use"). An implicit IPv6 address on a host without
  // IPv6 throws UnsupportedFamily, which callers skip with a warning.
  static Listener open(const ListenAddress& address, const UnixSocketAccess& access);

  Listener() = default;
  ~Listener();
  Listener(Listener&& other) noexcept;
  Listener& operator=(Listener&& other) noexcept;

  int fd() const { return fd_; }
  const ListenAddress& address() const { return address_; }

 private:
  Listener(int fd, ListenAddress address) : fd_(fd), address_(std::move(address)) {}
  int fd_ = -1;
  ListenAddress address_;
};

}  // namespace posthorn::master
