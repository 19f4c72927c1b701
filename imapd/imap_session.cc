// imap_session - dispatch, state, and the commands without a file of their own
#include "imapd/imap_session.h"

#include <sys/stat.h>

#include <cerrno>
#include <exception>

#include "imapd/imap_capability.h"
#include "imapd/imap_login_session.h"
#include "imapd/mailbox_name.h"
#include "lib/log/log.h"
#include "lib/mailbox/mailbox_error.h"

namespace posthorn::imapd {

ImapSession::ImapSession(const Settings& settings, mailbox::MaildirStore& store, ImapOutput& out,
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

void ImapSession::sendUpdates(bool allowExpunge, bool scan) {
  if (!selected_) return;
  try {
    selected_->update(out_, allowExpunge, scan);
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

ImapSession::Next ImapSession::dispatch(const ImapCommand& c) {
  const std::string& n = c.name;
  {
    if (n == "NOOP" || n == "CHECK") {
      if (n == "CHECK" && !selected_) return bad(c.tag, "No mailbox selected.");
      sendUpdates(true, true);
      tagged(c.tag, "OK " + n + " completed.");
      return Next::Continue;
    }
    if (n == "CAPABILITY") return cmdCapability(c);
    if (n == "LOGOUT") {
      out_.write("* BYE Logging out\r\n");
      tagged(c.tag, "OK Logout completed.");
      return Next::Close;
    }
    if (n == "ID") return cmdId(c);
    if (n == "ENABLE") return cmdEnable(c);
    if (n == "NAMESPACE") return cmdNamespace(c);
    if (n == "IDLE") return cmdIdle(c);
    if (n == "SELECT") return cmdSelect(c, false);
    if (n == "EXAMINE") return cmdSelect(c, true);
    if (n == "CREATE") return cmdCreate(c);
    if (n == "DELETE") return cmdDelete(c);
    if (n == "RENAME") return cmdRename(c);
    if (n == "SUBSCRIBE") return cmdSubscribe(c, true);
    if (n == "UNSUBSCRIBE") return cmdSubscribe(c, false);
    if (n == "LIST") return cmdList(c, false);
    if (n == "LSUB") return cmdList(c, true);
    if (n == "STATUS") return cmdStatus(c);
    if (n == "APPEND") return cmdAppend(c);
    if (n == "LOGIN" || n == "AUTHENTICATE" || n == "STARTTLS")
      return bad(c.tag, "Already logged in.");
    // The selected state.
    static const char* const kSelected[] = {"CLOSE", "UNSELECT", "EXPUNGE", "UID EXPUNGE", "SEARCH",
                                            "UID SEARCH", "FETCH", "UID FETCH", "STORE", "UID STORE",
                                            "COPY", "UID COPY", "MOVE", "UID MOVE"};
    bool known = false;
    for (const char* k : kSelected) known = known || n == k;
    if (!known) return bad(c.tag, "Unknown command.");
    if (!selected_) return bad(c.tag, "No mailbox selected.");
    if (n == "CLOSE") return cmdClose(c, true);
    if (n == "UNSELECT") return cmdClose(c, false);
    if (n == "EXPUNGE") return cmdExpunge(c, false);
    if (n == "UID EXPUNGE") return cmdExpunge(c, true);
    if (n == "SEARCH") return cmdSearch(c, false);
    if (n == "UID SEARCH") return cmdSearch(c, true);
    if (n == "FETCH") return cmdFetch(c, false);
    if (n == "UID FETCH") return cmdFetch(c, true);
    if (n == "STORE") return cmdStore(c, false);
    if (n == "UID STORE") return cmdStore(c, true);
    if (n == "COPY") return cmdCopy(c, false, false);
    if (n == "UID COPY") return cmdCopy(c, true, false);
    if (n == "MOVE") return cmdCopy(c, false, true);
    return cmdCopy(c, true, true);
  }
}

ImapSession::Next ImapSession::cmdCapability(const ImapCommand& c) {
  if (!c.args.empty()) return bad(c.tag, "CAPABILITY takes no arguments.");
  out_.write("* CAPABILITY " + postLoginCapability() + "\r\n");
  tagged(c.tag, "OK Capability completed.");
  return Next::Continue;
}

ImapSession::Next ImapSession::cmdNamespace(const ImapCommand& c) {
  if (!c.args.empty()) return bad(c.tag, "NAMESPACE takes no arguments.");
  out_.write("* NAMESPACE ((\"\" \".\")) NIL NIL\r\n");
  tagged(c.tag, "OK Namespace completed.");
  return Next::Continue;
}

ImapSession::Next ImapSession::cmdEnable(const ImapCommand& c) {
  if (c.args.empty()) return bad(c.tag, "Syntax: ENABLE capability...");
  for (const auto& a : c.args)
    if (!a.isAtom()) return bad(c.tag, "Syntax: ENABLE capability...");
  // Nothing we announce needs enabling (no CONDSTORE, no UTF8=ACCEPT yet).
  out_.write("* ENABLED\r\n");
  tagged(c.tag, "OK Enabled.");
  return Next::Continue;
}

ImapSession::Next ImapSession::cmdId(const ImapCommand& c) {
  if (c.args.size() != 1 || (!c.args[0].isNil() && c.args[0].kind != ImapValue::Kind::List))
    return bad(c.tag, "Syntax: ID (\"name\" \"value\" ...) or ID NIL");
  const std::string id = describeId(c.args[0]);
  if (!id.empty()) log::info("user=%s: ID %s", user_.c_str(), id.c_str());
  out_.write(idResponse());
  tagged(c.tag, "OK ID completed.");
  return Next::Continue;
}

ImapSession::Next ImapSession::cmdIdle(const ImapCommand& c) {
  if (!c.args.empty()) return bad(c.tag, "IDLE takes no arguments.");
  sendUpdates(true, true);
  out_.write("+ idling\r\n");
  idleTag_ = c.tag;
  return Next::Idle;
}

ImapSession::Next ImapSession::idleChanged(bool scan) {
  if (!idling()) return Next::Idle;
  sendUpdates(true, scan);
  return inconsistent_ ? closeIfInconsistent(Next::Close) : Next::Idle;
}

ImapSession::Next ImapSession::idleLine(std::string_view line) {
  const std::string tag = std::exchange(idleTag_, {});
  if (!equalsIgnoreCase(line, "DONE")) return bad(tag, "Expected DONE.");
  sendUpdates(true);
  tagged(tag, "OK Idle completed.");
  return closeIfInconsistent(Next::Continue);
}

ImapSession::Next ImapSession::cmdClose(const ImapCommand& c, bool expunge) {
  if (!c.args.empty()) return bad(c.tag, c.name + " takes no arguments.");
  if (expunge && !selected_->readOnly()) {
    auto& folder = selected_->folder();
    folder.refresh();
    std::vector<std::uint32_t> deleted;
    for (std::uint32_t seq = 1; seq <= selected_->count(); ++seq) {
      const auto* m = folder.find(selected_->uidAt(seq));
      if (m != nullptr && m->flags.has(mailbox::kFlagDeleted)) deleted.push_back(m->uid);
    }
    folder.expunge(deleted);  // CLOSE sends no EXPUNGE responses
  }
  selected_.reset();
  tagged(c.tag, "OK " + c.name + " completed.");
  return Next::Continue;
}

}  // namespace posthorn::imapd
