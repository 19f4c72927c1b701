// append_sink - where a big APPEND literal goes while it arrives: an
// unlinked temporary file in the user's Maildir tmp/, never memory
#pragma once

#include <string>
#include <string_view>

#include "imapd/imap_command.h"
#include "lib/mailbox/mailbox_io.h"

namespace posthorn::imapd {

class FileLiteralSink : public LiteralSink {
 public:
  // Throws mailbox::MailboxError when the file cannot be made.
  explicit FileLiteralSink(const std::string& directory);
  void write(std::string_view bytes) override;
  void finish() override {}
  // The file, rewound; -1 when a write failed (disk full: NO to the APPEND).
  int rewound();
  bool failed() const { return failed_; }

 private:
  mailbox::Fd fd_;
  bool failed_ = false;
};

}  // namespace posthorn::imapd
