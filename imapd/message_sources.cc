// message_sources - file and CRLF-stripping message sources
#include "imapd/message_sources.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace posthorn::imapd {

std::size_t FdSource::read(char* buf, std::size_t size) {
  while (true) {
    const ssize_t n = ::read(fd_, buf, size);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) throw std::runtime_error(std::string("read error: ") + std::strerror(errno));
  }
}

std::size_t CrlfToLfSource::read(char* buf, std::size_t size) {
  // Each call reads at most size - 1 bytes: a CR held back from the last
  // call may come out in front of them.
  if (size < 2) throw std::invalid_argument("CrlfToLfSource: buffer under 2 bytes");
  std::size_t out = 0;
  in_.resize(size - 1);
  std::vector<char>& in = in_;
  while (out == 0 && !eof_) {
    const std::size_t n = inner_.read(in.data(), in.size());
    if (n == 0) {
      eof_ = true;
      if (pendingCr_) buf[out++] = '\r';
      pendingCr_ = false;
      break;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const char c = in[i];
      if (pendingCr_) {
        pendingCr_ = false;
        if (c != '\n') buf[out++] = '\r';
      }
      if (c == '\r') {
        pendingCr_ = true;
        continue;
      }
      buf[out++] = c;
    }
  }
  return out;
}

}  // namespace posthorn::imapd
