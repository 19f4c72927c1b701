// mail_user - what the POP3 and IMAP mailbox stages check before they
// serve a user: that the login stage handed the client over, and where
// the user's Maildir is
#pragma once

#include <optional>
#include <string>

#include "lib/proto_userdb.h"

namespace posthorn::mailuser {

// The Maildir of a user (as local(8) finds it): "maildir:PATH" from the
// userdb, else HOME/Maildir/ for virtual users, HOME/$home_mailbox for
// system users when it ends in '/'. nullopt (with *why) for mbox users.
std::optional<std::string> maildirOf(const ipc::UserInfo& user, const std::string& homeMailbox,
                                     std::string* why);

// Whether the process at the other end of `fd` is a login stage of the same program:
// a child of the same master (parent pid) running the same program
// (inode of /proc/PID/exe). Any mail_owner process can reach the private
// socket; a chrooted worker cannot exec popd or imapd, so this keeps a
// compromised smtpd, say, from claiming to hand over any user it likes.
// Defence in depth until authd vouches for a login itself.
bool peerIsLoginStage(int fd, std::string* why);

}  // namespace posthorn::mailuser
