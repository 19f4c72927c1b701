// smtpd_policy_service - the policy delegation protocol and its client
#include "smtpd/smtpd_policy_service.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace posthorn::smtpd {

namespace {

constexpr std::size_t kMaxReply = 64 * 1024;
using Clock = std::chrono::steady_clock;

// Waits for `events` on fd until deadline; false on timeout.
bool waitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) throw PolicyError(std::string("poll: ") + std::strerror(errno));
  }
}

std::string clean(std::string_view v) {
  std::string out;
  for (char c : v)
    if (c != '\r' && c != '\n' && c != '\0') out += c;
  return out;
}

}  // namespace

std::string encodePolicyRequest(const PolicyAttributes& attrs) {
  std::string out;
  for (const auto& [name, value] : attrs) out += clean(name) + "=" + clean(value) + "\n";
  out += "\n";
  return out;
}

bool PolicyReplyDecoder::feed(std::string_view bytes) {
  if (done_) return true;
  buffer_.append(bytes);
  if (buffer_.size() > kMaxReply) throw PolicyError("reply too long");
  std::size_t nl;
  while ((nl = buffer_.find('\n')) != std::string::npos) {
    std::string line = buffer_.substr(0, nl);
    buffer_.erase(0, nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      done_ = true;
      return true;
    }
    const std::size_t eq = line.find('=');
    if (eq == std::string::npos || eq == 0) throw PolicyError("malformed reply line \"" + line + "\"");
    std::string name = line.substr(0, eq);
    std::string value = line.substr(eq + 1);
    if (name == "action") action_ = value;
    attrs_[std::move(name)] = std::move(value);
  }
  return false;
}

PolicyClient::PolicyClient(std::string endpoint, std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)), timeout_(timeout) {
  std::string_view e = endpoint_;
  if (e.starts_with("unix:")) {
    unix_ = true;
    path_ = std::string(e.substr(5));
    if (path_.empty() || path_.size() >= sizeof(sockaddr_un{}.sun_path))
      throw PolicyError("bad policy service " + endpoint_);
    return;
  }
  if (e.starts_with("inet:")) e.remove_prefix(5);
  const std::size_t colon = e.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == e.size())
    throw PolicyError("bad policy service " + endpoint_ + ": expected inet:host:port or unix:/path");
  host_ = std::string(e.substr(0, colon));
  if (host_.size() > 2 && host_.front() == '[' && host_.back() == ']') host_ = host_.substr(1, host_.size() - 2);
  port_ = std::string(e.substr(colon + 1));
}

PolicyClient::~PolicyClient() { close(); }

void PolicyClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void PolicyClient::connect(Clock::time_point deadline) {
  auto attempt = [&](int family, const sockaddr* sa, socklen_t len) {
    int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) throw PolicyError(std::string("socket: ") + std::strerror(errno));
    if (::connect(fd, sa, len) != 0 && errno != EINPROGRESS) {
      const int e = errno;
      ::close(fd);
      throw PolicyError(std::string("connect: ") + std::strerror(e));
    }
    if (!waitFor(fd, POLLOUT, deadline)) {
      ::close(fd);
      throw PolicyError("connect: timed out");
    }
    int err = 0;
    socklen_t elen = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
    if (err != 0) {
      ::close(fd);
      throw PolicyError(std::string("connect: ") + std::strerror(err));
    }
    fd_ = fd;
  };
  if (unix_) {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, path_.c_str(), path_.size() + 1);
    attempt(AF_UNIX, reinterpret_cast<const sockaddr*>(&sun), sizeof sun);
    return;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host_.c_str(), port_.c_str(), &hints, &res); rc != 0)
    throw PolicyError(host_ + ": " + ::gai_strerror(rc));
  std::string lastError;
  for (addrinfo* ai = res; ai && fd_ < 0; ai = ai->ai_next) {
    try {
      attempt(ai->ai_family, ai->ai_addr, ai->ai_addrlen);
    } catch (const PolicyError& e) {
      lastError = e.what();
    }
  }
  ::freeaddrinfo(res);
  if (fd_ < 0) throw PolicyError(lastError);
}

std::string PolicyClient::ask(const PolicyAttributes& attrs) {
  const Clock::time_point deadline = Clock::now() + timeout_;
  try {
    if (fd_ >= 0) {
      // A server that closed an idle connection: notice before writing.
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 0) > 0) close();
    }
    if (fd_ < 0) connect(deadline);
    const std::string request = encodePolicyRequest(attrs);
    std::size_t sent = 0;
    while (sent < request.size()) {
      if (!waitFor(fd_, POLLOUT, deadline)) throw PolicyError("write: timed out");
      const ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR)
        throw PolicyError(std::string("write: ") + std::strerror(errno));
      if (n > 0) sent += static_cast<std::size_t>(n);
    }
    PolicyReplyDecoder decoder;
    char buf[4096];
    for (;;) {
      if (!waitFor(fd_, POLLIN, deadline)) throw PolicyError("read: timed out");
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) throw PolicyError("read: connection closed by the server");
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        throw PolicyError(std::string("read: ") + std::strerror(errno));
      }
      if (decoder.feed(std::string_view(buf, static_cast<std::size_t>(n)))) break;
    }
    if (decoder.action().empty()) throw PolicyError("reply without action=");
    return decoder.action();
  } catch (const PolicyError&) {
    close();
    throw;
  }
}

}  // namespace posthorn::smtpd
