// pop3_output - where a POP3 session writes its replies (the client stream, or a test's string)
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace posthorn::popd {

class Pop3Output {
 public:
  virtual ~Pop3Output() = default;
  virtual void write(std::string_view bytes) = 0;
};

class StringOutput : public Pop3Output {
 public:
  void write(std::string_view bytes) override { text.append(bytes); }
  std::string take() { return std::exchange(text, {}); }
  std::string text;
};

}  // namespace posthorn::popd
