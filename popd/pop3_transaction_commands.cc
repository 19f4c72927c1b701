// pop3_transaction_commands - the TRANSACTION state's commands (RFC 1939 5, 7; RFC 2449 CAPA):
// STAT, LIST, UIDL, RETR, TOP, DELE, NOOP, RSET, QUIT (and the UPDATE it starts), CAPA
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>

#include "lib/log/log.h"
#include "lib/mailbox/mailbox_io.h"
#include "popd/pop3_commands.h"
#include "popd/pop3_mail_session.h"
#include "popd/pop3_message_writer.h"

namespace posthorn::popd {

bool MailSession::cmdStat(const Pop3Command&) {
  const Totals t = totals();
  reply("+OK " + std::to_string(t.count) + " " + std::to_string(t.bytes));
  return true;
}

bool MailSession::cmdList(const Pop3Command& c) {
  const Show size = [](const MailSession&, const Entry& e) { return std::to_string(e.size); };
  if (!c.args.empty()) return listOne(c.args[0], size);
  const Totals t = totals();
  reply("+OK " + std::to_string(t.count) + " messages (" + std::to_string(t.bytes) + " octets)");
  listAll(size);
  return true;
}

bool MailSession::cmdUidl(const Pop3Command& c) {
  const Show uidl = [](const MailSession& s, const Entry& e) { return pop3Uidl(s.folder_, e.uid); };
  if (!c.args.empty()) return listOne(c.args[0], uidl);
  reply("+OK");
  listAll(uidl);
  return true;
}

bool MailSession::listOne(std::string_view arg, Show show) {
  bool keepGoing = true;
  Entry* e = message(arg, &keepGoing);
  if (e == nullptr) return keepGoing;
  reply("+OK " + std::string(arg) + " " + show(*this, *e));
  return true;
}

void MailSession::listAll(Show show) {
  std::string lines;
  for (std::size_t i = 0; i < messages_.size(); ++i) {
    if (messages_[i].deleted) continue;
    lines += std::to_string(i + 1) + " " + show(*this, messages_[i]) + "\r\n";
  }
  out_.write(lines);
  reply(".");
}

bool MailSession::cmdRetr(const Pop3Command& c) { return retrieve(c, false); }

bool MailSession::cmdTop(const Pop3Command& c) { return retrieve(c, true); }

bool MailSession::retrieve(const Pop3Command& c, bool top) {
  bool keepGoing = true;
  Entry* e = message(c.args[0], &keepGoing);
  if (e == nullptr) return keepGoing;
  std::optional<std::uint64_t> lines;
  if (top) {
    lines = parseCount(c.args[1]);
    if (!lines) return bad("-ERR Invalid number of lines: " + c.args[1]);
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

bool MailSession::cmdDele(const Pop3Command& c) {
  bool keepGoing = true;
  Entry* e = message(c.args[0], &keepGoing);
  if (e == nullptr) return keepGoing;
  e->deleted = true;
  reply("+OK Marked to be deleted.");
  return true;
}

bool MailSession::cmdNoop(const Pop3Command&) {
  reply("+OK");
  return true;
}

bool MailSession::cmdRset(const Pop3Command&) {
  for (auto& e : messages_) e.deleted = false;
  reply("+OK");
  return true;
}

bool MailSession::cmdCapa(const Pop3Command&) {
  reply("+OK Capability list follows");
  for (const auto& c : commonCapabilities()) reply(c);
  reply("IMPLEMENTATION posthorn");
  reply(".");
  return true;
}

// The UPDATE state: the marked messages go, durably, before "+OK".
bool MailSession::cmdQuit(const Pop3Command&) {
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
