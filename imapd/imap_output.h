// imap_output - where an IMAP session writes its responses (the client, or a test's string)
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "lib/login/client_stream.h"

namespace posthorn::imapd {

class ImapOutput {
 public:
  virtual ~ImapOutput() = default;
  virtual void write(std::string_view bytes) = 0;
  // Sends what is buffered (before a wait, or a handshake). False when the client is gone.
  virtual bool flush() { return true; }
};

class StringOutput : public ImapOutput {
 public:
  void write(std::string_view bytes) override { text.append(bytes); }
  std::string take() { return std::exchange(text, {}); }
  std::string text;
};

class StreamOutput : public ImapOutput {
 public:
  explicit StreamOutput(net::ClientStream& stream) : stream_(stream) {}
  void write(std::string_view bytes) override { stream_.write(bytes); }
  bool flush() override { return stream_.flush(); }

 private:
  net::ClientStream& stream_;
};

}  // namespace posthorn::imapd
