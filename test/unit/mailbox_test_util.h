// mailbox_test_util - what the mailbox tests add to test_util: a message
// source that gives its bytes in pieces and can fail part way
#pragma once

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "lib/mailbox/message_source.h"
#include "test/unit/test_util.h"

namespace posthorn::testing {

// Gives `size`-byte pieces (the last one shorter), then throws once
// `throwAfter` bytes have been given (never when throwAfter is 0).
class PieceSource : public mailbox::MessageSource {
 public:
  PieceSource(std::string data, std::size_t piece, std::size_t throwAfter = 0)
      : data_(std::move(data)), piece_(piece), throwAfter_(throwAfter) {}
  std::size_t read(char* buf, std::size_t size) override {
    if (throwAfter_ > 0 && pos_ >= throwAfter_) throw std::runtime_error("queue file checksum error");
    const std::size_t n = std::min({size, piece_, data_.size() - pos_});
    std::memcpy(buf, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  std::size_t piece_;
  std::size_t throwAfter_;
  std::size_t pos_ = 0;
};

}  // namespace posthorn::testing

// pop3_session_test still spells these mailbox::testing::TempDir etc.
namespace posthorn::mailbox::testing {
using namespace posthorn::testing;
}  // namespace posthorn::mailbox::testing
