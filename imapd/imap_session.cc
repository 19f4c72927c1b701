// imap_session - the session's state, its answers, and what every command shares
#include "imapd/imap_session.h"

#include <sys/stat.h>

#include <cerrno>
#include <exception>

#include "imapd/imap_capability.h"
#include "imapd/mailbox_name.h"
#include "lib/log/log.h"
#include "lib/mailbox/mailbox_error.h"

namespace posthorn::imapd {

ImapSession::ImapSession(const Settings& settings, mailbox::MaildirStore& store, net::ClientOutput& out,
                         std::string user)
    : settings_(settings), store_(store), out_(out), user_(std::move(user)) {}

void ImapSession::tagged(const std::string& tag, std::string_view text) {
  out_.write(tag);
  out_.write(" ");
  out_.write(text);
  out_.write("\r\n");
}

ImapSession::Next ImapSession::badInput() {
  if (++badCommands_ >= settings_.maxBadCommands) {
    out_.write("* BYE Too many invalid IMAP commands.\r\n");
    log::info("user=%s: disconnected: too many bad commands", user_.c_str());
    return Next::Close;
  }
  return Next::Continue;
}

ImapSession::Next ImapSession::bad(const std::string& tag, const std::string& text) {
  tagged(tag, "BAD " + text);
  return badInput();
}

ImapSession::Next ImapSession::no(const std::string& tag, const std::string& text) {
  tagged(tag, "NO " + text);
  return Next::Continue;
}

void ImapSession::begin(const std::string& loginTag) {
  try {
    createSpecialUse();
  } catch (const std::exception& e) {
    log::warning("user=%s: cannot create the special-use folders: %s", user_.c_str(), e.what());
  }
  tagged(loginTag, "OK [CAPABILITY " + postLoginCapability() + "] Logged in");
}

void ImapSession::sendUpdates(bool scan) {
  if (!selected_) return;
  try {
    selected_->update(out_, (running_ & kBreaksSeqs) != 0, scan);
  } catch (const mailbox::MailboxError&) {
    if (!selectedFolderGone()) throw;
    inconsistent_ = true;  // the command's own answer stands; then BYE
  }
}

bool ImapSession::selectedFolderGone() const {
  struct stat st{};
  return selected_ && ::stat((selected_->folder().directory() + "/cur").c_str(), &st) != 0 && errno == ENOENT;
}

ImapSession::Next ImapSession::handle(const ImapCommand& c) {
  Next next = Next::Continue;
  try {
    next = dispatch(c);
  } catch (const mailbox::MailboxError& e) {
    if (selectedFolderGone()) {
      inconsistent_ = true;
      tagged(c.tag, "NO [NONEXISTENT] The selected mailbox was deleted or renamed.");
    } else {
      log::warning("user=%s: %s: %s", user_.c_str(), c.name.c_str(), e.what());
      tagged(c.tag, "NO [SERVERBUG] Internal error occurred. Refer to server log for more information.");
    }
  } catch (const std::invalid_argument& e) {
    tagged(c.tag, std::string("NO [CANNOT] ") + e.what());
  }
  return closeIfInconsistent(next);
}

ImapSession::Next ImapSession::closeIfInconsistent(Next next) {
  if (!inconsistent_) return next;
  // Another session deleted or renamed the selected folder: as Dovecot,
  // end the session rather than guess what the client's numbers mean now.
  out_.write("* BYE IMAP session state is inconsistent, please relogin.\r\n");
  log::info("user=%s: selected folder %s went away, session closed", user_.c_str(),
            selected_ ? selected_->name().c_str() : "");
  return Next::Close;
}

std::optional<std::string> ImapSession::folderArgument(const ImapCommand& c, const ImapValue& v) {
  if (!v.isString()) {
    bad(c.tag, "Mailbox name expected.");
    return std::nullopt;
  }
  std::string name = v.text;
  if (equalsIgnoreCase(name, "INBOX")) return std::string("INBOX");
  // INBOX's children too: "inbox.sub" is INBOX.sub (RFC 3501 5.1: INBOX
  // is case-insensitive), as Dovecot files it.
  if (name.size() > 6 && name[5] == '.' && equalsIgnoreCase(std::string_view(name).substr(0, 5), "INBOX"))
    name.replace(0, 5, "INBOX");
  const std::string why = checkMailboxName(name);
  if (!why.empty()) {
    no(c.tag, "[CANNOT] Invalid mailbox name: " + why);
    return std::nullopt;
  }
  return name;
}

std::string ImapSession::watchedDirectory() const {
  return selected_ ? selected_->folder().directory() : std::string();
}

}  // namespace posthorn::imapd
