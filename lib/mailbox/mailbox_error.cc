// mailbox_error - errno to DeliveryResult
#include "lib/mailbox/mailbox_error.h"

#include <cerrno>
#include <cstring>

namespace posthorn::mailbox {

MailboxError::MailboxError(const std::string& what, const std::string& path, int err)
    : std::runtime_error(what + " " + path + ": " + std::strerror(err)), path_(path), error_(err) {}

void throwMailboxError(const std::string& what, const std::string& path, int err) {
  throw MailboxError(what, path, err);
}

DeliveryResult failureResult(const MailboxError& e, const std::string& mailboxPath) {
  DeliveryResult r;
  r.kind = DeliveryResult::Kind::TempFail;
  const bool full = e.error() == ENOSPC || e.error() == EDQUOT;
  r.dsn = full ? "4.3.1" : "4.3.0";
  r.text = e.what();
  r.path = mailboxPath;
  return r;
}

}  // namespace posthorn::mailbox
