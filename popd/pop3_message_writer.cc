// pop3_message_writer - a message file as POP3 sends it: CRLF line ends, dot-stuffed
#include "popd/pop3_message_writer.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

#include <span>

namespace posthorn::popd {

bool MessageWriter::feed(std::string_view bytes) {
  if (done_) return false;
  buf_.clear();
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (lineStart_ && bytes[i] == '.') buf_.push_back('.');
    // The rest of this line (up to and excluding '\n') goes out as is.
    const char* nl = static_cast<const char*>(std::memchr(bytes.data() + i, '\n', bytes.size() - i));
    const std::size_t end = nl ? static_cast<std::size_t>(nl - bytes.data()) : bytes.size();
    if (end > i) {
      // Line length without a CR that ends the line (that CR may be the
      // last byte of this piece, with its LF in the next one).
      const std::size_t n = end - i;
      lineLength_ += n + (lastCr_ ? 1 : 0);
      lastCr_ = bytes[end - 1] == '\r';
      if (lastCr_) --lineLength_;
      buf_.append(bytes.data() + i, n);
      lineStart_ = false;
    }
    if (!nl) break;
    if (!lastCr_) buf_.push_back('\r');
    buf_.push_back('\n');
    const bool blank = lineLength_ == 0;
    lineStart_ = true;
    lastCr_ = false;
    lineLength_ = 0;
    i = end + 1;
    if (bodyLines_) {
      if (inHeader_) {
        if (blank) inHeader_ = false;
      } else {
        ++bodyCount_;
      }
      if (!inHeader_ && bodyCount_ >= *bodyLines_) {
        done_ = true;
        break;
      }
    }
  }
  out_.write(buf_);
  return !done_;
}

void MessageWriter::finish() {
  if (done_ || lineStart_) return;
  out_.write(lastCr_ ? "\n" : "\r\n");
  lineStart_ = true;
}

bool writeMessageFile(int fd, net::ClientOutput& out, std::optional<std::uint64_t> bodyLines,
                      std::span<char> buf) {
  MessageWriter writer(out, bodyLines);
  while (true) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) break;
    if (!writer.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)))) return true;
  }
  writer.finish();
  return true;
}

}  // namespace posthorn::popd
