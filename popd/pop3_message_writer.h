// pop3_message_writer - a message file as POP3 sends it: CRLF line ends, dot-stuffed
//
// Whatever is on disk (LF or CRLF line ends), each line goes out ending in
// CRLF and a line that starts with '.' gets one more '.'; a last line
// without a newline is ended. The terminating ".\r\n" is the caller's.
// For TOP, only the header, the blank line and the first `bodyLines`
// lines of the body are sent.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "lib/login/client_output.h"

namespace posthorn::popd {

class MessageWriter {
 public:
  explicit MessageWriter(net::ClientOutput& out, std::optional<std::uint64_t> bodyLines = std::nullopt)
      : out_(out), bodyLines_(bodyLines) {}
  // Feeds file bytes; false once TOP has sent all it needs (stop reading).
  bool feed(std::string_view bytes);
  // Ends an unterminated last line.
  void finish();

 private:
  net::ClientOutput& out_;
  std::optional<std::uint64_t> bodyLines_;
  std::string buf_;
  bool lineStart_ = true;
  bool lastCr_ = false;
  bool inHeader_ = true;
  std::size_t lineLength_ = 0;  // bytes of the current line, CR excluded
  std::uint64_t bodyCount_ = 0;
  bool done_ = false;
};

// Reads fd to the end through a MessageWriter, `buffer` at a time; false
// on a read error.
bool writeMessageFile(int fd, net::ClientOutput& out, std::optional<std::uint64_t> bodyLines,
                      std::span<char> buffer);

}  // namespace posthorn::popd
