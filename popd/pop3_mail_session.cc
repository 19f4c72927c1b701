// pop3_mail_session - POP3's TRANSACTION and UPDATE states (RFC 1939, 2449)
#include "popd/pop3_mail_session.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <exception>
#include <unistd.h>

#include "lib/log/log.h"
#include "lib/mailbox/mailbox_io.h"
#include "popd/pop3_command.h"
#include "popd/pop3_login_session.h"
#include "popd/pop3_message_writer.h"

namespace posthorn::popd {

std::string pop3Uidl(const mailbox::MaildirFolder& folder, std::uint32_t uid) {
  // The store's UIDL is Dovecot's, byte for byte (clients compare them).
  return folder.uidl(uid);
}

MailSession::MailSession(mailbox::MaildirFolder& folder, Pop3Output& out, std::string user,
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
  const auto cmd = parseCommand(line);
  if (!cmd) return bad("-ERR Unknown command.");
  const std::string& k = cmd->keyword;
  const auto& a = cmd->args;
  if (k == "STAT") return a.empty() ? cmdStat() : bad("-ERR STAT takes no arguments.");
  if (k == "LIST") return a.size() <= 1 ? cmdList(a) : bad("-ERR Syntax: LIST [msg]");
  if (k == "UIDL") return a.size() <= 1 ? cmdUidl(a) : bad("-ERR Syntax: UIDL [msg]");
  if (k == "RETR") return a.size() == 1 ? cmdRetr(a, false) : bad("-ERR Syntax: RETR msg");
  if (k == "TOP") return a.size() == 2 ? cmdRetr(a, true) : bad("-ERR Syntax: TOP msg lines");
  if (k == "DELE") return a.size() == 1 ? cmdDele(a) : bad("-ERR Syntax: DELE msg");
  if (k == "NOOP") {
    if (!a.empty()) return bad("-ERR NOOP takes no arguments.");
    reply("+OK");
    return true;
  }
  if (k == "RSET") {
    if (!a.empty()) return bad("-ERR RSET takes no arguments.");
    for (auto& e : messages_) e.deleted = false;
    reply("+OK");
    return true;
  }
  if (k == "QUIT") return a.empty() ? cmdQuit() : bad("-ERR QUIT takes no arguments.");
  if (k == "CAPA") {
    if (!a.empty()) return bad("-ERR CAPA takes no arguments.");
    reply("+OK Capability list follows");
    for (const auto& c : commonCapabilities()) reply(c);
    reply("IMPLEMENTATION posthorn");
    reply(".");
    return true;
  }
  if (k == "USER" || k == "PASS" || k == "AUTH" || k == "APOP" || k == "STLS")
    return bad("-ERR Unknown TRANSACTION state command.");
  return bad("-ERR Unknown command.");
}

bool MailSession::cmdStat() {
  std::uint64_t bytes = 0;
  std::size_t n = 0;
  for (const auto& e : messages_) {
    if (e.deleted) continue;
    ++n;
    bytes += e.size;
  }
  reply("+OK " + std::to_string(n) + " " + std::to_string(bytes));
  return true;
}

bool MailSession::cmdList(const std::vector<std::string>& args) {
  if (!args.empty()) {
    bool keepGoing = true;
    Entry* e = message(args[0], &keepGoing);
    if (e == nullptr) return keepGoing;
    reply("+OK " + args[0] + " " + std::to_string(e->size));
    return true;
  }
  std::size_t n = 0;
  std::uint64_t bytes = 0;
  for (const auto& e : messages_) {
    if (e.deleted) continue;
    ++n;
    bytes += e.size;
  }
  reply("+OK " + std::to_string(n) + " messages (" + std::to_string(bytes) + " octets)");
  std::string lines;
  for (std::size_t i = 0; i < messages_.size(); ++i) {
    if (messages_[i].deleted) continue;
    lines += std::to_string(i + 1) + " " + std::to_string(messages_[i].size) + "\r\n";
  }
  out_.write(lines);
  reply(".");
  return true;
}

bool MailSession::cmdUidl(const std::vector<std::string>& args) {
  if (!args.empty()) {
    bool keepGoing = true;
    Entry* e = message(args[0], &keepGoing);
    if (e == nullptr) return keepGoing;
    reply("+OK " + args[0] + " " + pop3Uidl(folder_, e->uid));
    return true;
  }
  reply("+OK");
  std::string lines;
  for (std::size_t i = 0; i < messages_.size(); ++i) {
    if (messages_[i].deleted) continue;
    lines += std::to_string(i + 1) + " " + pop3Uidl(folder_, messages_[i].uid) + "\r\n";
  }
  out_.write(lines);
  reply(".");
  return true;
}

bool MailSession::cmdRetr(const std::vector<std::string>& args, bool top) {
  bool keepGoing = true;
  Entry* e = message(args[0], &keepGoing);
  if (e == nullptr) return keepGoing;
  std::optional<std::uint64_t> lines;
  if (top) {
    lines = parseCount(args[1]);
    if (!lines) return bad("-ERR Invalid number of lines: " + args[1]);
  }
  const int fd = folder_.openMessage(e->uid);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) {
      reply("-ERR Message was deleted by another session.");
      return true;
    }
    log::warning("user=%s: cannot open message uid %u: %s", user_.c_str(), e->uid,
                 std::strerror(err));
    reply("-ERR [SYS/TEMP] Cannot open the message.");
    return true;
  }
  reply(top ? std::string("+OK") : "+OK " + std::to_string(e->size) + " octets");
  if (readBuffer_.empty()) readBuffer_.resize(128 * 1024);
  const bool ok = writeMessageFile(fd, out_, lines, readBuffer_);
  ::close(fd);
  if (!ok) {
    // Part of the message is out already: the client must not take it whole.
    log::warning("user=%s: read error in message uid %u: closing", user_.c_str(), e->uid);
    return false;
  }
  reply(".");
  if (!top) {
    retrievedBytes_ += e->size;
    ++retrieved_;
  }
  return true;
}

bool MailSession::cmdDele(const std::vector<std::string>& args) {
  bool keepGoing = true;
  Entry* e = message(args[0], &keepGoing);
  if (e == nullptr) return keepGoing;
  e->deleted = true;
  reply("+OK Marked to be deleted.");
  return true;
}

bool MailSession::cmdQuit() {
  std::vector<std::uint32_t> uids;
  for (const auto& e : messages_)
    if (e.deleted) uids.push_back(e.uid);
  std::size_t expunged = 0;
  if (!uids.empty()) {
    try {
      expunged = folder_.expunge(uids).size();
      mailbox::fsyncDirectory(folder_.directory() + "/cur");
      mailbox::fsyncDirectory(folder_.directory() + "/new");
    } catch (const std::exception& e) {
      log::warning("user=%s: expunge failed: %s", user_.c_str(), e.what());
      reply("-ERR [SYS/TEMP] Some deleted messages were not removed.");
      return false;
    }
  }
  log::info("user=%s: logout: retr=%zu/%llu, del=%zu/%zu", user_.c_str(), retrieved_,
            static_cast<unsigned long long>(retrievedBytes_), expunged, messages_.size());
  reply(uids.empty() ? "+OK Logging out." : "+OK Logging out, messages deleted.");
  return false;
}

}  // namespace posthorn::popd
