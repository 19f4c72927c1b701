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

#include "lib/proto_userdb.h"
#include "popd/pop3_settings.h"

namespace posthorn::popd {

// The Maildir of a user (as local(8) finds it): "maildir:PATH" from the
// userdb, else HOME/Maildir/ for virtual users, HOME/$home_mailbox for
// system users when it ends in '/'. nullopt (with *why) for mbox users.
std::optional<std::string> maildirOf(const ipc::UserInfo& user, const std::string& homeMailbox,
                                     std::string* why);

// Takes the POP3 lock of a Maildir (flock on posthorn-pop3.lock, held
// until the process exits). -1 when another session holds it; throws
// std::runtime_error when the file cannot be opened.
int lockMaildir(const std::string& maildir);

// Whether the process at the other end of `fd` is a popd login stage:
// a child of the same master (parent pid) running the same popd program
// (inode of /proc/PID/exe). Any mail_owner process can reach the private
// socket; a chrooted worker cannot exec popd, so this keeps a
// compromised smtpd, say, from claiming to hand over any user it likes.
// Defence in depth until authd vouches for a login itself.
bool peerIsLoginStage(int fd, std::string* why);

// Serves one handover on `fd` (the connection from the login stage).
void serveMailbox(int fd, const Settings& settings, const std::string& userdbSocket);

}  // namespace posthorn::popd
