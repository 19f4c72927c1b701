// client_stream - the client's connection: lines or bytes in, buffered replies out
// (through ClientStream::Tls once TLS started: lib/login/client_tls.cc)
#include "lib/login/client_stream.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace posthorn::net {

std::string clientAddressOf(const std::string& peer) {
  if (!peer.empty() && peer[0] == '[') {
    const std::size_t end = peer.find(']');
    return end == std::string::npos ? peer : peer.substr(1, end - 1);
  }
  const std::size_t colon = peer.rfind(':');
  return colon == std::string::npos ? peer : peer.substr(0, colon);
}


ClientStream::ClientStream(int fd, std::chrono::seconds timeout, std::size_t lineLimit)
    : fd_(fd), timeout_(timeout), lineLimit_(lineLimit) {
  // A backstop for blocking calls inside TLS and for writes to a
  // client that stopped reading.
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout_.count());
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

ClientStream::~ClientStream() {
  if (tls_ != nullptr && !failed_) tls_->shutdown();
  tls_.reset();
  if (fd_ >= 0) ::close(fd_);
}

void ClientStream::write(std::string_view bytes) {
  if (failed_) return;
  if (bytes.size() >= 64 * 1024) {  // a big piece of a message: no copy
    if (!flush() || !rawWrite(bytes)) failed_ = true;
    return;
  }
  out_.append(bytes);
  if (out_.size() >= 64 * 1024) flush();
}

bool ClientStream::flush() {
  if (failed_) return false;
  if (out_.empty()) return true;
  const bool ok = rawWrite(out_);
  out_.clear();
  if (!ok) failed_ = true;
  return ok;
}

bool ClientStream::rawWrite(std::string_view bytes) {
  while (!bytes.empty()) {
    if (tls_ != nullptr) {
      const long n = tls_->write(bytes);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    } else {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  return true;
}

long ClientStream::rawRead(char* buf, std::size_t n) {
  while (true) {
    if (tls_ != nullptr) {
      const long r = tls_->read(buf, n);
      return r > 0 ? r : 0;
    }
    const ssize_t r = ::read(fd_, buf, n);
    if (r < 0 && errno == EINTR) continue;
    return r > 0 ? r : 0;
  }
}

long ClientStream::fill() {
  if (tls_ == nullptr || !tls_->pending()) {
    pollfd p{fd_, POLLIN, 0};
    while (true) {
      const int r = ::poll(&p, 1, static_cast<int>(timeout_.count() * 1000));
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) return -1;
      if (r < 0) return 0;
      break;
    }
  }
  char buf[16384];
  const long n = rawRead(buf, sizeof buf);
  if (n > 0) in_.append(buf, static_cast<std::size_t>(n));
  return n;
}

ClientStream::Fill ClientStream::readSome(std::string& into) {
  if (in_.empty()) {
    if (!flush()) return Fill::Closed;
    const long n = fill();
    if (n < 0) return Fill::Timeout;
    if (n == 0) return Fill::Closed;
  }
  into.append(in_);
  in_.clear();
  return Fill::Data;
}

int ClientStream::waitEither(int other, int timeoutMs) {
  if (!in_.empty() || (tls_ != nullptr && tls_->pending())) return 1;
  if (!flush()) return -1;
  pollfd p[2] = {{fd_, POLLIN, 0}, {other, POLLIN, 0}};
  while (true) {
    const int r = ::poll(p, 2, timeoutMs);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) return 0;
    return p[0].revents != 0 ? 1 : 2;
  }
}

ClientStream::Read ClientStream::readLine(std::string& line) {
  std::size_t scanned = 0;
  while (true) {
    const std::size_t nl = in_.find('\n', scanned);
    if (nl != std::string::npos) {
      const bool tooLong = discarding_ || nl > lineLimit_;
      std::size_t end = nl;
      if (end > 0 && in_[end - 1] == '\r') --end;
      line.assign(in_, 0, end);
      in_.erase(0, nl + 1);
      discarding_ = false;
      return tooLong ? Read::TooLong : Read::Line;
    }
    if (in_.size() > lineLimit_) {
      discarding_ = true;
      in_.clear();
    }
    scanned = in_.size();
    if (!flush()) return Read::Closed;
    const long n = fill();
    if (n < 0) return Read::Timeout;
    if (n == 0) return Read::Closed;
  }
}

std::string ClientStream::tlsDescription() const {
  return tls_ != nullptr ? tls_->describe() : std::string();
}

std::string ClientStream::takePending() { return std::exchange(in_, {}); }

void ClientStream::proxy(int other) {
  if (!flush()) return;
  char buf[65536];
  while (true) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {other, POLLIN, 0}};
    const bool sslBuffered = tls_ != nullptr && tls_->pending();
    if (!sslBuffered) {
      const int r = ::poll(p, 2, -1);
      if (r < 0) {
        if (errno == EINTR) continue;
        return;
      }
    } else {
      p[0].revents = POLLIN;
    }
    if (p[0].revents != 0) {
      const long n = rawRead(buf, sizeof buf);
      if (n <= 0) return;
      std::string_view data(buf, static_cast<std::size_t>(n));
      while (!data.empty()) {
        const ssize_t w = ::send(other, data.data(), data.size(), MSG_NOSIGNAL);
        if (w < 0) {
          if (errno == EINTR) continue;
          return;
        }
        data.remove_prefix(static_cast<std::size_t>(w));
      }
    }
    if (p[1].revents != 0) {
      ssize_t n;
      do n = ::read(other, buf, sizeof buf); while (n < 0 && errno == EINTR);
      if (n <= 0) return;
      if (!rawWrite(std::string_view(buf, static_cast<std::size_t>(n)))) {
        failed_ = true;
        return;
      }
    }
  }
}

}  // namespace posthorn::net
