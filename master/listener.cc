// listener - resolving and binding master's listening sockets (see listener.h)
#include "master/listener.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace posthorn::master {

namespace {

constexpr int kBacklog = 128;

std::string errnoText(int err) { return std::strerror(err); }

// Numeric addresses for a host (itself when already numeric).
std::vector<std::string> hostAddresses(const std::string& serviceName, const std::string& host,
                                       bool want4, bool want6) {
  struct addrinfo hints {};
  hints.ai_family = want4 && want6 ? AF_UNSPEC : want4 ? AF_INET : AF_INET6;
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0)
    throw std::runtime_error("inet service " + serviceName + ": cannot resolve host " + host +
                             ": " + ::gai_strerror(rc));
  std::vector<std::string> out;
  for (auto* ai = res; ai != nullptr; ai = ai->ai_next) {
    char buf[INET6_ADDRSTRLEN];
    const void* src = ai->ai_family == AF_INET
                          ? static_cast<const void*>(
                                &reinterpret_cast<struct sockaddr_in*>(ai->ai_addr)->sin_addr)
                          : static_cast<const void*>(
                                &reinterpret_cast<struct sockaddr_in6*>(ai->ai_addr)->sin6_addr);
    if (::inet_ntop(ai->ai_family, src, buf, sizeof buf) == nullptr) continue;
    std::string a = buf;
    bool seen = false;
    for (const auto& x : out) seen = seen || x == a;
    if (!seen) out.push_back(a);
  }
  ::freeaddrinfo(res);
  if (out.empty())
    throw std::runtime_error("inet service " + serviceName + ": no usable address for " + host);
  return out;
}

bool isV6(const std::string& numericHost) { return numericHost.find(':') != std::string::npos; }

}  // namespace

std::string ListenAddress::describe() const {
  if (kind == Kind::Unix) return host;
  return isV6(host) ? "[" + host + "]:" + port : host + ":" + port;
}

std::vector<ListenAddress> inetListenAddresses(const std::string& serviceName,
                                               const std::string& hostField, int portNumber,
                                               const std::vector<std::string>& interfaces,
                                               const std::vector<std::string>& protocols) {
  bool want4 = false, want6 = false;
  for (const auto& p : protocols) {
    if (p == "all") want4 = want6 = true;
    else if (p == "ipv4") want4 = true;
    else if (p == "ipv6") want6 = true;
    else
      throw std::runtime_error("inet_protocols: bad value \"" + p +
                               "\" (use all, ipv4 or ipv6)");
  }
  if (!want4 && !want6) throw std::runtime_error("inet_protocols is empty");
  if (portNumber <= 0 || portNumber > 65535)
    throw std::runtime_error("inet service " + serviceName + ": bad port " +
                             std::to_string(portNumber));
  std::string port = std::to_string(portNumber);
  std::string host = hostField;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);

  std::vector<ListenAddress> out;
  auto add = [&](const std::string& h, bool implicit) {
    if ((isV6(h) && !want6) || (!isV6(h) && !want4)) return;
    ListenAddress a{ListenAddress::Kind::Inet, h, port, implicit};
    for (const auto& x : out)
      if (x.host == a.host) return;
    out.push_back(a);
  };
  if (!host.empty() && host != "*") {
    for (const auto& h : hostAddresses(serviceName, host, want4, want6)) add(h, false);
  } else {
    if (interfaces.empty())
      throw std::runtime_error("inet service " + serviceName + ": inet_interfaces is empty");
    for (const auto& itf : interfaces) {
      if (itf == "all") {
        add("0.0.0.0", true);
        add("::", true);
      } else if (itf == "loopback-only") {
        add("127.0.0.1", true);
        add("::1", true);
      } else {
        std::string h = itf;
        if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
        for (const auto& x : hostAddresses(serviceName, h, want4, want6)) add(x, false);
      }
    }
  }
  if (out.empty())
    throw std::runtime_error("inet service " + serviceName +
                             ": no address to bind (inet_interfaces, inet_protocols)");
  return out;
}

ListenAddress unixListenAddress(const std::string& queueDir, const std::string& serviceName,
                                bool privateService) {
  if (serviceName.empty() || serviceName.find('/') != std::string::npos ||
      serviceName == "." || serviceName == "..")
    throw std::runtime_error("unix service name \"" + serviceName +
                             "\" must be a plain file name");
  ListenAddress a;
  a.kind = ListenAddress::Kind::Unix;
  a.host = queueDir + (privateService ? "/private/" : "/public/") + serviceName;
  return a;
}

Listener Listener::open(const ListenAddress& a, const UnixSocketAccess& access) {
  if (a.kind == ListenAddress::Kind::Unix) {
    struct sockaddr_un sun {};
    sun.sun_family = AF_UNIX;
    if (a.host.size() >= sizeof sun.sun_path)
      throw std::runtime_error("socket path too long: " + a.host);
    std::memcpy(sun.sun_path, a.host.c_str(), a.host.size() + 1);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) throw std::runtime_error("socket: " + errnoText(errno));
    struct stat st {};
    if (::lstat(a.host.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) {
        ::close(fd);
        throw std::runtime_error(a.host + " exists and is not a socket");
      }
      ::unlink(a.host.c_str());
    }
    // Bind under a restrictive umask so the socket is never briefly open
    // to everyone, then set the final mode and owner.
    mode_t old = ::umask(0077);
    int rc = ::bind(fd, reinterpret_cast<struct sockaddr*>(&sun), sizeof sun);
    int err = errno;
    ::umask(old);
    if (rc < 0) {
      ::close(fd);
      throw std::runtime_error("bind " + a.host + ": " + errnoText(err));
    }
    if ((access.uid != static_cast<uid_t>(-1) || access.gid != static_cast<gid_t>(-1)) &&
        ::lchown(a.host.c_str(), access.uid, access.gid) < 0) {
      err = errno;
      ::close(fd);
      throw std::runtime_error("chown " + a.host + ": " + errnoText(err));
    }
    if (::chmod(a.host.c_str(), access.mode) < 0 || ::listen(fd, kBacklog) < 0) {
      err = errno;
      ::close(fd);
      throw std::runtime_error("listen " + a.host + ": " + errnoText(err));
    }
    return Listener(fd, a);
  }

  bool v6 = isV6(a.host);
  int family = v6 ? AF_INET6 : AF_INET;
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    int err = errno;
    if (a.implicit && (err == EAFNOSUPPORT || err == EPROTONOSUPPORT))
      throw UnsupportedFamily("no IPv6 on this host: " + errnoText(err));
    throw std::runtime_error("socket: " + errnoText(err));
  }
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (v6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  struct sockaddr_storage ss {};
  socklen_t len = 0;
  unsigned long port = std::stoul(a.port);
  if (v6) {
    auto* s6 = reinterpret_cast<struct sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET6, a.host.c_str(), &s6->sin6_addr);
    len = sizeof *s6;
  } else {
    auto* s4 = reinterpret_cast<struct sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, a.host.c_str(), &s4->sin_addr);
    len = sizeof *s4;
  }
  if (::bind(fd, reinterpret_cast<struct sockaddr*>(&ss), len) < 0 ||
      ::listen(fd, kBacklog) < 0) {
    int err = errno;
    ::close(fd);
    if (a.implicit && v6 && (err == EADDRNOTAVAIL || err == EAFNOSUPPORT))
      throw UnsupportedFamily("bind " + a.describe() + ": " + errnoText(err));
    throw std::runtime_error("bind " + a.host + " port " + a.port + ": " + errnoText(err));
  }
  return Listener(fd, a);
}

Listener::~Listener() {
  if (fd_ >= 0) ::close(fd_);
}

Listener::Listener(Listener&& other) noexcept
    : fd_(other.fd_), address_(std::move(other.address_)) {
  other.fd_ = -1;
}

Listener& Listener::operator=(Listener&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    address_ = std::move(other.address_);
    other.fd_ = -1;
  }
  return *this;
}

}  // namespace posthorn::master
