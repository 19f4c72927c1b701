// mail_user - what the POP3 and IMAP mailbox stages check before they
// serve a user: that the login stage handed the client over, and where
// the user's Maildir is; then they become the user
//
//   ipc::Channel channel(fd);
//   int clientFd = -1;
//   auto h = mailuser::receiveHandover<ipc::Pop3Handover>(channel, fd, &clientFd);
//   if (!h) return;                                  // logged
//   auto owner = mailuser::becomeUser(h->user, userdbSocket, "popd", homeMailbox);
//   if (owner.refusal != mailuser::Refusal::None) ... // logged; answer the client
#pragma once

#include <chrono>
#include <exception>
#include <optional>
#include <string>

#include "lib/ipc/ipc.h"
#include "lib/proto/proto_userdb.h"

namespace posthorn::mailuser {

// The Maildir of a user (as local(8) finds it): "maildir:PATH" from the
// userdb, else HOME/Maildir/ for virtual users, HOME/$home_mailbox for
// system users when it ends in '/'. nullopt (with *why) for mbox users.
std::optional<std::string> maildirOf(const ipc::UserInfo& user, const std::string& homeMailbox,
                                     std::string* why);

// Whether the process at the other end of `fd` is a login stage: a child
// of the same master (parent pid) running the login stage's program
// (inode of /proc/PID/exe): this very program (popd serves both stages),
// or the one setLoginStageProgram() named. Any mail_owner process can
// reach the private socket; a chrooted worker cannot exec popd or imapd,
// so this keeps a compromised smtpd, say, from claiming to hand over any
// user it likes. Defence in depth until authd vouches for a login itself.
bool peerIsLoginStage(int fd, std::string* why);

// The login stage runs `program`, found in the directory of this process's
// own executable, rather than this program (imapd-mailbox: "imapd").
void setLoginStageProgram(const std::string& program);

namespace detail {
// Tells the login stage the handover arrived (shutdown: EOF on its side).
// It waits for that before it exits, so that it is still there to be
// checked by peerIsLoginStage (a login process at its max_use would
// otherwise be gone, and the check fail, now and then).
void acknowledgeHandover(int fd);
void logRefusedHandover(const std::string& why);
void logBadHandover(const char* what);
void logHandoverWithoutSocket(const std::string& user);
}  // namespace detail

// Receives the login stage's handover message (Pop3Handover,
// ImapHandover) on `channel`, whose socket is `fd`: checks the peer
// (peerIsLoginStage), waits at most 10 s, and wants the client's socket
// along (*clientFd, owned by the caller from then on). nullopt, with a
// warning logged, when any of that fails; the client gets no answer then.
template <class Handover>
std::optional<Handover> receiveHandover(ipc::Channel& channel, int fd, int* clientFd) {
  std::string why;
  if (!peerIsLoginStage(fd, &why)) {
    detail::logRefusedHandover(why);
    return std::nullopt;
  }
  channel.setTimeout(std::chrono::seconds(10));
  std::optional<Handover> h;
  try {
    h = channel.receive<Handover>(clientFd);
  } catch (const std::exception& e) {
    detail::logBadHandover(e.what());
    return std::nullopt;
  }
  if (*clientFd < 0) {
    detail::logHandoverWithoutSocket(h->user);
    return std::nullopt;
  }
  // Received: the login stage, waiting for this, may now exit.
  detail::acknowledgeHandover(fd);
  return h;
}

// Why becomeUser() did not become the user; each daemon words its own reply.
enum class Refusal {
  None,
  TempFail,   // the userdb lookup failed (temporary)
  NoUser,     // the userdb does not know the user (permanent)
  NoMaildir,  // no Maildir for the user: maildirOf() said why (permanent)
  UidZero,    // the user is uid 0, never served (permanent)
  Internal,   // the privilege drop failed (temporary)
};

struct MailboxOwner {
  Refusal refusal = Refusal::None;
  ipc::UserInfo user;   // with Refusal::None
  std::string maildir;  // with Refusal::None: maildirOf()
};

// Looks `name` up in authd's userdb at `userdbSocket` (as `service`),
// finds the Maildir (maildirOf, `homeMailbox`) and, when running as root,
// drops to the user's uid and gid for good (privilege::jail). A refusal
// comes with its log line ("user=NAME: ...") written.
MailboxOwner becomeUser(const std::string& name, const std::string& userdbSocket,
                        const std::string& service, const std::string& homeMailbox);

}  // namespace posthorn::mailuser
