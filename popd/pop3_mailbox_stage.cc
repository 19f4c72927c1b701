// pop3_mailbox_stage - the mailbox stage: one authenticated client, as its owner
#include "popd/pop3_mailbox_stage.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>

#include "lib/ipc/ipc.h"
#include "lib/log/log.h"
#include "lib/mailbox/mailbox_io.h"
#include "lib/mailbox/maildir_folder.h"
#include "lib/login/client_stream.h"
#include "lib/login/mail_user.h"
#include "lib/proto/proto_pop3.h"
#include "popd/pop3_mail_session.h"

namespace posthorn::popd {
namespace {

void refuse(int clientFd, const std::string& reply) {
  const std::string line = reply + "\r\n";
  (void)!::send(clientFd, line.data(), line.size(), MSG_NOSIGNAL);
}

// The reply to a client whose user the stage could not become.
const char* refusalText(mailuser::Refusal refusal) {
  switch (refusal) {
    case mailuser::Refusal::None: break;
    case mailuser::Refusal::TempFail: return "-ERR [SYS/TEMP] Temporary user lookup failure.";
    case mailuser::Refusal::NoUser: return "-ERR [SYS/PERM] No mailbox for this user.";
    case mailuser::Refusal::NoMaildir: return "-ERR [SYS/PERM] No Maildir for this user.";
    case mailuser::Refusal::UidZero: return "-ERR [SYS/PERM] Internal error.";
    case mailuser::Refusal::Internal: return "-ERR [SYS/TEMP] Internal error.";
  }
  return "-ERR [SYS/TEMP] Internal error.";
}

}  // namespace

int lockMaildir(const std::string& maildir) {
  const std::string path = maildir + "/posthorn-pop3.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) return -1;
    throw std::runtime_error("cannot lock " + path + ": " + std::strerror(err));
  }
  return fd;  // held until exit
}

void serveMailbox(int fd, const Settings& settings, const std::string& userdbSocket) {
  ipc::Channel channel(fd);
  int clientFd = -1;
  auto received = mailuser::receiveHandover<ipc::Pop3Handover>(channel, fd, &clientFd);
  if (!received) return;
  ipc::Pop3Handover& h = *received;
  // Until the ClientStream owns it.
  struct FdGuard {
    int fd;
    ~FdGuard() { if (fd >= 0) ::close(fd); }
  } guard{clientFd};

  const mailuser::MailboxOwner owner =
      mailuser::becomeUser(h.user, userdbSocket, "popd", settings.homeMailbox);
  if (owner.refusal != mailuser::Refusal::None) {
    refuse(clientFd, refusalText(owner.refusal));
    return;
  }
  const std::string& maildir = owner.maildir;
  int lockFd = -1;
  try {
    mailbox::makeDirectories(maildir, 0700);
    lockFd = lockMaildir(maildir);
  } catch (const std::exception& e) {
    log::warning("user=%s: %s", h.user.c_str(), e.what());
    refuse(clientFd, "-ERR [SYS/TEMP] Cannot open the mailbox.");
    return;
  }
  if (lockFd < 0) {
    log::info("user=%s: mailbox in use by another POP3 session", h.user.c_str());
    refuse(clientFd, "-ERR [IN-USE] Mailbox is locked by another POP3 session.");
    return;
  }
  FdGuard lockGuard{lockFd};  // released when the session is over
  net::ClientStream stream(clientFd, settings.timeout, settings.lineLengthLimit);
  guard.fd = -1;
  stream.prepend(std::move(h.pending));
  mailbox::MaildirFolder folder(maildir, maildir);
  try {
    folder.open();
    folder.sync();
  } catch (const std::exception& e) {
    log::warning("user=%s: cannot open %s: %s", h.user.c_str(), maildir.c_str(), e.what());
    stream.write("-ERR [SYS/TEMP] Cannot open the mailbox.\r\n");
    stream.flush();
    return;
  }
  MailSession session(folder, stream, h.user, settings.maxBadCommands);
  try {
    session.begin();
    log::info("user=%s: session: client=%s, messages=%zu%s", h.user.c_str(),
              h.clientAddress.c_str(), session.count(), h.tls ? ", TLS" : "");
    std::string line;
    bool more = true;
    while (more) {
      switch (stream.readLine(line)) {
        case net::ClientStream::Read::Line: more = session.handleLine(line); break;
        case net::ClientStream::Read::TooLong: more = session.lineTooLong(); break;
        case net::ClientStream::Read::Timeout:
          stream.write("-ERR Disconnected for inactivity.\r\n");
          log::info("user=%s: disconnected for inactivity, nothing deleted", h.user.c_str());
          more = false;
          break;
        case net::ClientStream::Read::Closed:
          log::info("user=%s: connection closed before QUIT, nothing deleted", h.user.c_str());
          more = false;
          break;
      }
    }
  } catch (const std::exception& e) {
    log::error("user=%s: %s", h.user.c_str(), e.what());
    stream.write("-ERR [SYS/TEMP] Internal error.\r\n");
  }
  stream.flush();
}

}  // namespace posthorn::popd
