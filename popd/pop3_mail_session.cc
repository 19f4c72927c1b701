// pop3_mail_session - POP3's TRANSACTION state: the session's snapshot and its dispatcher
#include "popd/pop3_mail_session.h"

#include "lib/log/log.h"
#include "popd/pop3_commands.h"

namespace posthorn::popd {

std::string pop3Uidl(const mailbox::MaildirFolder& folder, std::uint32_t uid) {
  // The store's UIDL is Dovecot's, byte for byte (clients compare them).
  return folder.uidl(uid);
}

MailSession::MailSession(mailbox::MaildirFolder& folder, net::ClientOutput& out, std::string user,
                         int maxBadCommands)
    : folder_(folder), out_(out), user_(std::move(user)), maxBadCommands_(maxBadCommands) {}

void MailSession::reply(std::string_view line) {
  out_.write(line);
  out_.write("\r\n");
}

void MailSession::begin() {
  messages_.clear();
  for (const auto& m : folder_.messages()) {
    Entry e;
    e.uid = m.uid;
    e.size = m.vsize != mailbox::kUnknownSize ? m.vsize : folder_.virtualSize(m.uid);
    if (e.size == mailbox::kUnknownSize) continue;  // gone since the sync
    messages_.push_back(e);
  }
  reply("+OK Logged in.");
}

std::size_t MailSession::deletedCount() const {
  std::size_t n = 0;
  for (const auto& e : messages_) n += e.deleted ? 1 : 0;
  return n;
}

MailSession::Totals MailSession::totals() const {
  Totals t;
  for (const auto& e : messages_) {
    if (e.deleted) continue;
    ++t.count;
    t.bytes += e.size;
  }
  return t;
}

bool MailSession::bad(const std::string& text) {
  reply(text);
  if (++badCommands_ >= maxBadCommands_) {
    reply("-ERR Too many bad commands, closing connection.");
    log::info("user=%s: disconnected: too many bad commands", user_.c_str());
    return false;
  }
  return true;
}

bool MailSession::lineTooLong() { return bad("-ERR Line too long."); }

MailSession::Entry* MailSession::message(std::string_view arg, bool* keepGoing) {
  const auto n = parseMessageNumber(arg, messages_.size());
  if (!n) {
    *keepGoing = bad("-ERR There's no message " + std::string(arg) + ".");
    return nullptr;
  }
  Entry& e = messages_[*n - 1];
  if (e.deleted) {
    *keepGoing = bad("-ERR Message is deleted.");
    return nullptr;
  }
  return &e;
}

bool MailSession::handleLine(std::string_view line) {
  const Pop3Dispatch d = dispatch(line, kTransaction);
  if (d.spec == nullptr) return bad(d.error);
  return (this->*d.spec->handler.mail)(d.command);
}

}  // namespace posthorn::popd
