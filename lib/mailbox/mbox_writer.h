// mbox_writer - appends one message to an mbox file, durably and whole
//
// deliverToMbox() appends "From <sender or MAILER-DAEMON> <asctime date>\n",
// the message with mboxrd From-quoting (a line matching ^>*From  gets one
// more '>'), a final newline if the message lacks one, and a blank line.
// It holds a dotlock (<path>.lock, link() method, stale after 5 minutes)
// and an fcntl write lock on the whole file meanwhile, fsyncs, and on any
// failure (I/O error, size limit, a source that throws) truncates the file
// back to its original size so no half message stays. A missing file is
// created with mode 0600. Symlinks, non-regular files and files with more
// than one link are refused.
//
// sizeLimit (mailbox_size_limit, 0 = none) bounds the file size after the
// append: over it → TempFail 4.2.2 with overQuota. Lock timeout → TempFail
// 4.2.0. I/O errors → TempFail 4.3.0, ENOSPC/EDQUOT → 4.3.1.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>

#include "lib/mailbox/delivery_result.h"
#include "lib/mailbox/message_source.h"

namespace posthorn::mailbox {

struct MboxOptions {
  // How long to wait for the dotlock and then the fcntl lock, together.
  std::chrono::milliseconds lockTimeout{20000};
  // When the directory does not let us create <path>.lock (a root-owned
  // /var/mail without group mail), deliver under the fcntl lock alone
  // (false), or fail with TempFail 4.2.0 (true).
  bool requireDotlock = false;
  // The time in the From_ line; 0 = now.
  std::time_t arrivalTime = 0;
};

DeliveryResult deliverToMbox(const std::string& path, const std::string& envelopeSender,
                             MessageSource& source, std::uint64_t sizeLimit);
DeliveryResult deliverToMbox(const std::string& path, const std::string& envelopeSender,
                             MessageSource& source, std::uint64_t sizeLimit,
                             const MboxOptions& options);

// "From sender Mon Nov 23 15:58:59 2026\n" (local time, asctime layout);
// an empty sender is MAILER-DAEMON, white space and controls become '_'.
std::string mboxFromLine(const std::string& envelopeSender, std::time_t when);

// mboxrd quoting of a stream given in pieces: a line that starts with
// zero or more '>' and then "From " gets one more '>'.
class MboxQuoter {
 public:
  void feed(const char* data, std::size_t size, std::string& out);
  // Ends the message: a missing final newline is added.
  void finish(std::string& out);

 private:
  bool atLineStart_ = true;  // matching the line's start against >*From
  std::size_t quotes_ = 0;   // '>' seen at this line's start
  std::size_t matched_ = 0;  // chars of "From " matched after them
  bool sawAny_ = false;
  bool lastWasNewline_ = false;
};

}  // namespace posthorn::mailbox
