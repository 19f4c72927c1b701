// imap_mailbox_stage - receive the client, become the user, run the session
#include "imapd/imap_mailbox_stage.h"

#include <sys/socket.h>
#include <unistd.h>

#include <exception>
#include <memory>

#include "imapd/append_sink.h"
#include "imapd/folder_watch.h"
#include "imapd/imap_parser.h"
#include "imapd/imap_session.h"
#include "lib/login/client_stream.h"
#include "lib/ipc/ipc.h"
#include "lib/log/log.h"
#include "lib/login/mail_user.h"
#include "lib/mailbox/mailbox_io.h"
#include "lib/mailbox/maildir_store.h"
#include "lib/proto/proto_imap.h"

namespace posthorn::imapd {
namespace {

void refuse(int clientFd, const std::string& tag, const std::string& text) {
  const std::string line = tag + " " + text + "\r\n";
  (void)!::send(clientFd, line.data(), line.size(), MSG_NOSIGNAL);
}

ImapLimits sessionLimits(const Settings& settings) {
  ImapLimits l;
  l.maxLineLength = settings.maxLineLength;
  l.maxLiteralSize = settings.maxLiteralSize;
  return l;
}

// Runs the session until the client leaves; IDLE waits on the folder too.
void runSession(net::ClientStream& stream, ImapSession& session, const Settings& settings,
                const std::string& maildir) {
  ImapParser parser(sessionLimits(settings), [&maildir](const LiteralAnnouncement&) {
    return std::make_shared<FileLiteralSink>(maildir + "/tmp");
  });
  FolderWatch watch;
  const int idleTimeoutMs = static_cast<int>(settings.timeout.count() * 1000);
  while (true) {
    ImapSession::Next next = ImapSession::Next::Continue;
    switch (parser.next()) {
      case ImapParser::Event::NeedMore: {
        if (session.idling()) {
          // Wake up for the client or the folder; without inotify look every 5 s.
          const int wait = watch.fd() >= 0 ? idleTimeoutMs : 5000;
          const int which = stream.waitEither(watch.fd(), wait);
          if (which == 2 || (which == 0 && watch.fd() < 0)) {
            const auto changes = watch.drain();
            if (session.idleChanged(changes.files || watch.fd() < 0) == ImapSession::Next::Close) {
              stream.flush();
              return;
            }
            continue;
          }
          if (which == 0) {
            stream.write("* BYE Disconnected for inactivity.\r\n");
            stream.flush();
            log::info("user=%s: disconnected for inactivity in IDLE", session.user().c_str());
            return;
          }
        }
        std::string bytes;
        switch (stream.readSome(bytes)) {
          case net::ClientStream::Fill::Data: parser.feed(bytes); continue;
          case net::ClientStream::Fill::Timeout:
            stream.write("* BYE Disconnected for inactivity.\r\n");
            stream.flush();
            log::info("user=%s: disconnected for inactivity", session.user().c_str());
            return;
          case net::ClientStream::Fill::Closed:
            log::info("user=%s: connection closed", session.user().c_str());
            return;
        }
        continue;
      }
      case ImapParser::Event::Literal:
        if (parser.literal().synchronizing) {
          parser.acceptLiteral();
          stream.write("+ OK\r\n");
        }
        continue;
      case ImapParser::Event::Error: {
        const auto& e = parser.error();
        stream.write((e.tag.empty() ? std::string("*") : e.tag) + " " + e.response() + "\r\n");
        next = session.badInput();
        break;
      }
      case ImapParser::Event::Line: next = session.idleLine(parser.line()); break;
      case ImapParser::Event::Command: next = session.handle(parser.command()); break;
    }
    if (next == ImapSession::Next::Close) {
      stream.flush();
      return;
    }
    if (next == ImapSession::Next::Idle) {
      parser.expectLine();
      const std::string dir = session.watchedDirectory();
      if (dir.empty())
        watch.clear();
      else if (watch.watch(dir))
        watch.drain();  // what happened before IDLE was reported already
    }
  }
}

// The tagged reply to a client whose user the stage could not become.
const char* refusalText(mailuser::Refusal refusal) {
  switch (refusal) {
    case mailuser::Refusal::None: break;
    case mailuser::Refusal::TempFail: return "NO [UNAVAILABLE] Temporary user lookup failure.";
    case mailuser::Refusal::NoUser: return "NO [AUTHORIZATIONFAILED] No mailbox for this user.";
    case mailuser::Refusal::NoMaildir: return "NO [AUTHORIZATIONFAILED] No Maildir for this user.";
    case mailuser::Refusal::UidZero: return "NO [AUTHORIZATIONFAILED] Internal error.";
    case mailuser::Refusal::Internal: return "NO [UNAVAILABLE] Internal error.";
  }
  return "NO [UNAVAILABLE] Internal error.";
}

}  // namespace

void serveMailbox(int fd, const Settings& settings, const std::string& userdbSocket) {
  ipc::Channel channel(fd);
  int clientFd = -1;
  auto received = mailuser::receiveHandover<ipc::ImapHandover>(channel, fd, &clientFd);
  if (!received) return;
  ipc::ImapHandover& h = *received;
  struct FdGuard {
    int fd;
    ~FdGuard() { if (fd >= 0) ::close(fd); }
  } guard{clientFd};

  const mailuser::MailboxOwner owner =
      mailuser::becomeUser(h.user, userdbSocket, "imapd", settings.homeMailbox);
  if (owner.refusal != mailuser::Refusal::None) {
    refuse(clientFd, h.tag, refusalText(owner.refusal));
    return;
  }
  const ipc::UserInfo& user = owner.user;
  const std::string& maildir = owner.maildir;
  try {
    mailbox::makeDirectories(maildir, 0700);
    for (const char* sub : {"/cur", "/new", "/tmp"}) mailbox::makeDirectories(maildir + sub, 0700);
  } catch (const std::exception& e) {
    log::warning("user=%s: %s", h.user.c_str(), e.what());
    refuse(clientFd, h.tag, "NO [UNAVAILABLE] Cannot open the mailbox.");
    return;
  }
  net::ClientStream stream(clientFd, settings.timeout, settings.maxLineLength);
  guard.fd = -1;
  stream.prepend(std::move(h.pending));
  // The user's quota, as local(8) applies it: APPEND, COPY and MOVE count.
  mailbox::MaildirQuota quota;
  quota.bytes = user.quotaBytes.value_or(0);
  quota.messages = user.quotaMessages.value_or(0);
  mailbox::MaildirStore store(maildir, quota);
  ImapSession session(settings, store, stream, h.user);
  try {
    session.begin(h.tag);
    log::info("user=%s: session: client=%s%s%s%s", h.user.c_str(), h.clientAddress.c_str(),
              h.tls ? ", TLS" : "", h.clientId.empty() ? "" : ", id: ", h.clientId.c_str());
    runSession(stream, session, settings, maildir);
  } catch (const std::exception& e) {
    log::error("user=%s: %s", h.user.c_str(), e.what());
    stream.write("* BYE [SERVERBUG] Internal error.\r\n");
  }
  stream.flush();
}

}  // namespace posthorn::imapd
