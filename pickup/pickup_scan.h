// pickup_scan - one pass of pickup(8) over maildrop/
//
//   Pickup p({.maildropDir = "/maildrop", .cleanupSocket = "/public/cleanup"});
//   p.scan();   // at start, and on every trigger or master wakeup
//
// For each complete file maildrop/ID (temporary ".ID.tmp" files are
// postdrop's, still being written): the file is opened without following
// links and must be a regular file with one link; MaildropReader checks
// it; its envelope goes to cleanup with kLocalSubmission (and
// kExtractRecipients when sendmail -t asked for it); the content follows.
// Logged as "QUEUEID: uid=UID from=<SENDER>" (UID: the file's owner, the
// user who ran sendmail). Then:
//   250          the file is removed: the message is in incoming/;
//   4xx, or no cleanup, or a read error
//                the file stays for the next pass, which is also where
//                this pass stops (cleanup is not taking mail now);
//   5xx          logged as a warning and removed (nothing can take it);
//   a file that fails its checks (truncated, damaged, not a maildrop
//   file) is logged and removed, as Postfix does.
// An envelope sender or recipient without a domain gets @$myorigin.
// Only the sender, full name, recipients, ENVID, RET and BODY come from
// the file: a local user cannot claim a client address, TLS or SASL
// identity. The arrival time is the file's modification time, so mail that
// waited for the daemons keeps its submission time.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "lib/proto/cleanup_client.h"

namespace posthorn::pickup {

struct PickupSettings {
  std::string maildropDir;    // "/maildrop" when chrooted into the queue directory
  std::string cleanupSocket;  // "/public/cleanup"
  // Unqualified envelope addresses ("jane", from the login name) get
  // "@myorigin", as local submissions do in Postfix. Empty: left alone.
  std::string myorigin;
  // Temporary files of a postdrop that died mid-message are removed after
  // this (daemon_timeout).
  std::chrono::seconds staleTempAge{};
};

struct ScanResult {
  std::size_t submitted = 0;  // now in incoming/
  std::size_t removed = 0;    // bad files and permanent refusals
  std::size_t deferred = 0;   // left for the next pass
};

class Pickup {
 public:
  explicit Pickup(PickupSettings settings);
  ScanResult scan();

 private:
  enum class Outcome { Submitted, Removed, Deferred, Stop, Gone };
  Outcome pickOne(const std::string& id);
  Outcome removeBad(const std::string& id, unsigned uid, const std::string& why);

  PickupSettings settings_;
  cleanup::CleanupClient client_;
};

}  // namespace posthorn::pickup
