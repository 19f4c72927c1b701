// client_output - where a POP3 or IMAP session writes its replies: the
// client's connection (ClientStream), or a test's string
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace posthorn::net {

class ClientOutput {
 public:
  virtual ~ClientOutput() = default;
  virtual void write(std::string_view bytes) = 0;
  // Sends what is buffered (before a wait, or a handshake). False when the client is gone.
  virtual bool flush() { return true; }
};

class StringOutput : public ClientOutput {
 public:
  void write(std::string_view bytes) override { text.append(bytes); }
  std::string take() { return std::exchange(text, {}); }
  std::string text;
};

}  // namespace posthorn::net
