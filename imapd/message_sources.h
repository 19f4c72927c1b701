// message_sources - what imapd stores: a message file's bytes, or a
// client's (CRLF) bytes turned into the store's LF line ends
#pragma once

#include <string>
#include <vector>

#include "lib/mailbox/message_source.h"

namespace posthorn::imapd {

// Reads an open file from its current offset; owns nothing.
class FdSource : public mailbox::MessageSource {
 public:
  explicit FdSource(int fd) : fd_(fd) {}
  std::size_t read(char* buf, std::size_t size) override;  // throws std::runtime_error on EIO

 private:
  int fd_;
};

// CRLF -> LF (a CR not before LF is kept): Maildir files end lines in LF,
// and their W= size counts each LF as two bytes.
class CrlfToLfSource : public mailbox::MessageSource {
 public:
  explicit CrlfToLfSource(mailbox::MessageSource& inner) : inner_(inner) {}
  std::size_t read(char* buf, std::size_t size) override;

 private:
  mailbox::MessageSource& inner_;
  bool pendingCr_ = false;  // a CR ended the last chunk
  bool eof_ = false;
  std::vector<char> in_;
};

}  // namespace posthorn::imapd
