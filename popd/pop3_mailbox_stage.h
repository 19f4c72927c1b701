// pop3_mailbox_stage - the mailbox stage: one authenticated client, as its owner
//
// A private unix service started as root and not chrooted (master.conf
// `pop3-mailbox unix - n n - - popd mailbox`). It receives the login
// stage's Pop3Handover with the client's socket, asks authd's userdb for
// the user's uid, gid and mail location, drops to that uid and gid for
// good (setgroups, setgid, setuid) before it reads a byte from the
// client, takes the mailbox's POP3 lock (a second session gets
// -ERR [IN-USE]), opens INBOX and serves TRANSACTION and UPDATE. One
// session per process (max_use 1): a process that has become a user is
// never reused for another.
#pragma once

#include <optional>
#include <string>

#include "lib/proto/proto_userdb.h"
#include "popd/pop3_settings.h"

namespace posthorn::popd {

// Takes the POP3 lock of a Maildir (flock on posthorn-pop3.lock, held
// until the process exits). -1 when another session holds it; throws
// std::runtime_error when the file cannot be opened.
int lockMaildir(const std::string& maildir);

// Serves one handover on `fd` (the connection from the login stage).
void serveMailbox(int fd, const Settings& settings, const std::string& userdbSocket);

}  // namespace posthorn::popd
