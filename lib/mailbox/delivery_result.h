// delivery_result - what one mailbox delivery did, for the log and the DSN
#pragma once

#include <cstdint>
#include <string>

namespace posthorn::mailbox {

struct DeliveryResult {
  enum class Kind { Ok, TempFail, PermFail };
  Kind kind = Kind::Ok;
  // Enhanced status code: "2.0.0"; "4.2.2" over quota; "4.3.0" I/O error;
  // "4.3.1" disk full; "4.2.0" mailbox locked. Turning 4.2.2 into 5.2.2 at
  // the end of the queue lifetime is the caller's decision.
  std::string dsn;
  // One line for the log and the DSN: "delivered to maildir", "mailbox full: ...",
  // "cannot create /x/tmp: Permission denied".
  std::string text;
  // The file written (the Maildir new/ file) or the mbox path.
  std::string path;
  bool overQuota = false;
  // Maildir: the UID the folder's index gave the message (0 when the
  // index could not record it; the next sync gives it one).
  std::uint32_t uid = 0;

  bool ok() const { return kind == Kind::Ok; }
};

}  // namespace posthorn::mailbox
