// user_privileges - local(8) acting as a mailbox owner
//
//   { AsUser as(uid, gid); write the mailbox; }   // back to root after
//
// local keeps root only to change to the recipient (or an alias file's
// owner) before it opens anything of theirs: effective IDs for mailbox
// writes in this process (local is single-threaded and serves one
// delivery at a time), real ones in a child for commands.
#pragma once

#include <sys/types.h>

namespace posthorn::local {

class AsUser {
 public:
  // Without root (an unprivileged test instance) this changes nothing.
  AsUser(uid_t uid, gid_t gid);
  ~AsUser();
  AsUser(const AsUser&) = delete;
  AsUser& operator=(const AsUser&) = delete;

 private:
  bool switched_ = false;
};

// For a child about to exec: all IDs, for good. Returns false on failure.
bool becomeUser(uid_t uid, gid_t gid);

}  // namespace posthorn::local
