// postdrop_store - what postdrop(1) does with a message: check the maildrop
// stream on an input descriptor and store it durably as maildrop/ID
//
//   auto r = postdrop::storeMaildrop(input, "/var/spool/posthorn/maildrop", limit);
//   if (r.exitCode != EX_OK) print(r.error);
//
// The stream is copied into maildrop/.ID.tmp (O_EXCL, mode 0644: the
// maildrop directory itself is closed to others) while MaildropParser
// checks it, then fsync, rename to maildrop/ID (never replacing a file),
// and the directory is synced (fsync of the directory when it can be read,
// syncfs(2) otherwise: maildrop is write-only for the postdrop group).
// Any failure removes the temporary file: nothing half-written stays.
#pragma once

#include <sysexits.h>

#include <cstdint>
#include <string>

namespace posthorn::postdrop {

struct StoreResult {
  int exitCode = EX_OK;  // sysexits.h: EX_OK, EX_DATAERR, EX_CANTCREAT, EX_TEMPFAIL, EX_IOERR
  std::string queueId;   // set on success
  std::string error;     // what went wrong, for stderr and the log
};

// maxContent 0 = no limit (message_size_limit = 0).
StoreResult storeMaildrop(int input, const std::string& maildropDir, std::uint64_t maxContent);

}  // namespace posthorn::postdrop
