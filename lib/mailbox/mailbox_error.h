// mailbox_error - a failed system call on a mailbox, and the result it becomes
//
// The writers throw MailboxError internally and turn it into a TempFail
// DeliveryResult at their edge: ENOSPC/EDQUOT give 4.3.1 (disk full), every
// other errno 4.3.0. The text names the operation, the path and strerror.
#pragma once

#include <stdexcept>
#include <string>

#include "lib/mailbox/delivery_result.h"

namespace posthorn::mailbox {

class MailboxError : public std::runtime_error {
 public:
  // what: "cannot create", "cannot write", ...; err: an errno value.
  MailboxError(const std::string& what, const std::string& path, int err);
  const std::string& path() const { return path_; }
  int error() const { return error_; }

 private:
  std::string path_;
  int error_;
};

[[noreturn]] void throwMailboxError(const std::string& what, const std::string& path, int err);

// TempFail 4.3.1 for ENOSPC/EDQUOT, else TempFail 4.3.0; text = e.what().
DeliveryResult failureResult(const MailboxError& e, const std::string& mailboxPath);

}  // namespace posthorn::mailbox
