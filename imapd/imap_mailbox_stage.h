// imap_mailbox_stage - the mailbox stage: one authenticated client, as its owner
//
// A private unix service started as root and not chrooted (master.conf
// `imap-mailbox unix - n n - - imapd mailbox`). It receives the login
// stage's ImapHandover with the client's socket, checks that a login
// stage sent it, asks authd's userdb for the user's uid, gid and mail
// location, drops to that uid and gid for good before it reads a byte
// from the client, and serves the authenticated and selected states.
// One session per process (max_use 1): a process that has become a user
// is never reused for another. Several sessions of one user may run at
// once; the mailbox index keeps them consistent.
#pragma once

#include <string>

#include "imapd/imap_settings.h"

namespace posthorn::imapd {

// Serves one handover on `fd` (the connection from the login stage).
void serveMailbox(int fd, const Settings& settings, const std::string& userdbSocket);

}  // namespace posthorn::imapd
