// smtp_stream - non-blocking socket I/O with deadlines, and TLS over it
#include "smtp/smtp_stream.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lib/tls/tls.h"

namespace posthorn::smtp {

namespace {

int remainingMs(Deadline deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

SmtpStream::SmtpStream(int fd) : fd_(fd) {
  const int flags = ::fcntl(fd_, F_GETFL);
  ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
}

SmtpStream::~SmtpStream() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<SmtpStream> SmtpStream::connect(const std::string& address, int port,
                                                Deadline deadline) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(port));
    len = sizeof *v4;
  } else if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(port));
    len = sizeof *v6;
  } else {
    throw StreamError("not a numeric address: " + address, false);
  }
  const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw StreamError(std::string("socket: ") + std::strerror(errno), false);
  auto stream = std::make_unique<SmtpStream>(fd);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    if (errno != EINPROGRESS) throw StreamError(std::strerror(errno), false);
    try {
      stream->waitFor(POLLOUT, deadline, "connect");
    } catch (const StreamError& e) {
      if (e.timeout()) throw StreamError("Connection timed out", true);
      throw;
    }
    int err = 0;
    socklen_t errlen = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen);
    if (err != 0) throw StreamError(std::strerror(err), false);
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return stream;
}

void SmtpStream::waitFor(short events, Deadline deadline, const char* what) {
  for (;;) {
    pollfd p{fd_, events, 0};
    const int n = ::poll(&p, 1, remainingMs(deadline));
    if (n > 0) return;
    if (n == 0) throw StreamError(std::string("timeout while waiting to ") + what, true);
    if (errno != EINTR) throw StreamError(std::string("poll: ") + std::strerror(errno), false);
  }
}

void SmtpStream::write(std::string_view data, Deadline deadline) {
  while (!data.empty()) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      const int n = SSL_write(ssl_, data.data(), static_cast<int>(std::min<std::size_t>(data.size(), 1 << 20)));
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      const int e = SSL_get_error(ssl_, n);
      if (e == SSL_ERROR_WANT_WRITE) waitFor(POLLOUT, deadline, "send");
      else if (e == SSL_ERROR_WANT_READ) waitFor(POLLIN, deadline, "send");
      else throw StreamError("TLS write: " + tls::errorText("connection lost"), false);
      continue;
    }
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) waitFor(POLLOUT, deadline, "send");
    else if (errno != EINTR) throw StreamError(std::string("write: ") + std::strerror(errno), false);
  }
}

void SmtpStream::fill(Deadline deadline) {
  char buf[16384];
  for (;;) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      const int n = SSL_read(ssl_, buf, sizeof buf);
      if (n > 0) {
        in_.append(buf, static_cast<std::size_t>(n));
        return;
      }
      const int e = SSL_get_error(ssl_, n);
      if (e == SSL_ERROR_WANT_READ) waitFor(POLLIN, deadline, "receive");
      else if (e == SSL_ERROR_WANT_WRITE) waitFor(POLLOUT, deadline, "receive");
      else if (e == SSL_ERROR_ZERO_RETURN) throw StreamError("lost connection", false);
      else throw StreamError("TLS read: " + tls::errorText("lost connection"), false);
      continue;
    }
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      in_.append(buf, static_cast<std::size_t>(n));
      return;
    }
    if (n == 0) throw StreamError("lost connection", false);
    if (errno == EAGAIN || errno == EWOULDBLOCK) waitFor(POLLIN, deadline, "receive");
    else if (errno != EINTR) throw StreamError(std::string("read: ") + std::strerror(errno), false);
  }
}

std::string SmtpStream::readLine(Deadline deadline) {
  for (;;) {
    const auto nl = in_.find('\n');
    if (nl != std::string::npos) {
      std::string line = in_.substr(0, nl);
      in_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.size() > 4096) line.resize(4096);
      return line;
    }
    if (in_.size() > 65536) in_.erase(4096, in_.size() - 4096 * 2);  // an endless line
    fill(deadline);
  }
}

bool SmtpStream::hasPendingInput() {
  if (!in_.empty()) return true;
  if (ssl_ != nullptr && SSL_pending(ssl_) > 0) return true;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;
}

void SmtpStream::startTls(const tls::Context& ctx, const std::string& serverName, Deadline deadline,
                          const std::string& verifyHost, const std::function<void(ssl_st*)>& prepare) {
  in_.clear();  // nothing read before the handshake counts afterwards
  ssl_ = ctx.newSsl();
  SSL_set_fd(ssl_, fd_);
  if (!serverName.empty()) SSL_set_tlsext_host_name(ssl_, serverName.c_str());
  if (!verifyHost.empty()) {
    SSL_set_hostflags(ssl_, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    SSL_set1_host(ssl_, verifyHost.c_str());
  }
  if (prepare) prepare(ssl_);
  for (;;) {
    ERR_clear_error();
    const int n = SSL_connect(ssl_);
    if (n == 1) {
      settleAfterHandshake(deadline);
      return;
    }
    const int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_WANT_READ) waitFor(POLLIN, deadline, "complete the TLS handshake");
    else if (e == SSL_ERROR_WANT_WRITE) waitFor(POLLOUT, deadline, "complete the TLS handshake");
    else throw StreamError("TLS handshake failed: " + tls::errorText("connection lost"), false);
  }
}

// TLS 1.3: SSL_connect returns once our Finished is sent, and a command
// written at once travels in the same segment. Some servers (libevent
// filters among them) then hold the command until more bytes arrive. The
// server's session tickets follow its receipt of our Finished, so waiting
// briefly for them (and reading them) separates the two.
void SmtpStream::settleAfterHandshake(Deadline deadline) {
  if (SSL_version(ssl_) < TLS1_3_VERSION) return;
  const Deadline settle = std::min(deadline, Clock::now() + std::chrono::milliseconds(200));
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, remainingMs(settle)) <= 0) return;
  char byte;
  ERR_clear_error();
  const int n = SSL_peek(ssl_, &byte, 1);  // processes the tickets; keeps any data
  if (n <= 0) {
    const int e = SSL_get_error(ssl_, n);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
      throw StreamError("TLS read: " + tls::errorText("lost connection"), false);
  }
}

std::string SmtpStream::tlsDescription() const {
  if (ssl_ == nullptr) return "";
  return tls::sessionInfo(ssl_).describe();
}

bool SmtpStream::peerCertificate() const {
  return ssl_ != nullptr && SSL_get0_peer_certificate(ssl_) != nullptr;
}

bool SmtpStream::peerVerified() const {
  return ssl_ != nullptr && SSL_get_verify_result(ssl_) == X509_V_OK &&
         SSL_get0_peer_certificate(ssl_) != nullptr;
}

std::string SmtpStream::localAddress() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "";
  char text[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET)
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, text, sizeof text);
  else if (ss.ss_family == AF_INET6)
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, text, sizeof text);
  return text;
}

}  // namespace posthorn::smtp
