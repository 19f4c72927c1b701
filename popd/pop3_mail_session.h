// pop3_mail_session - POP3's TRANSACTION and UPDATE states over a Maildir folder
//
// The mailbox stage creates one after it has dropped to the user's uid,
// opened (and synced) INBOX and taken the POP3 lock. begin() takes the
// session's snapshot (message numbers, sizes from the index: W= or the
// cached vsize, never by reading every file) and says "+OK Logged in.".
// DELE only marks; QUIT expunges the marked messages through
// MaildirFolder::expunge and fsyncs new/ and cur/ before "+OK". A session
// that ends any other way (dropped connection, timeout) deletes nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/mailbox/maildir_folder.h"
#include "popd/pop3_command.h"
#include "lib/login/client_output.h"

namespace posthorn::popd {

// The UIDL of a message as Dovecot's pop3 shows it by default
// (pop3_uidl_format = %08Xu%08Xv): UID and UIDVALIDITY in lower-case hex.
std::string pop3Uidl(const mailbox::MaildirFolder& folder, std::uint32_t uid);

class MailSession {
 public:
  MailSession(mailbox::MaildirFolder& folder, net::ClientOutput& out, std::string user,
              int maxBadCommands = 20);

  void begin();
  // False: the session is over (QUIT, or too many bad commands).
  bool handleLine(std::string_view line);
  bool lineTooLong();

  std::size_t count() const { return messages_.size(); }
  std::size_t deletedCount() const;
  std::uint64_t retrievedBytes() const { return retrievedBytes_; }

  // The TRANSACTION commands (pop3_transaction_commands.cc), run through
  // the command table (pop3_commands.cc) with their arguments counted.
  bool cmdStat(const Pop3Command& c);
  bool cmdList(const Pop3Command& c);
  bool cmdUidl(const Pop3Command& c);
  bool cmdRetr(const Pop3Command& c);
  bool cmdTop(const Pop3Command& c);
  bool cmdDele(const Pop3Command& c);
  bool cmdNoop(const Pop3Command& c);
  bool cmdRset(const Pop3Command& c);
  bool cmdQuit(const Pop3Command& c);
  bool cmdCapa(const Pop3Command& c);

 private:
  struct Entry {
    std::uint32_t uid = 0;
    std::uint64_t size = 0;
    bool deleted = false;
  };
  struct Totals {
    std::size_t count = 0;  // of the messages not marked deleted
    std::uint64_t bytes = 0;
  };
  // What LIST and UIDL say about a message.
  using Show = std::string (*)(const MailSession&, const Entry&);

  bool bad(const std::string& text);
  void reply(std::string_view line);
  // The entry for a message-number argument, or nullptr after an -ERR.
  Entry* message(std::string_view arg, bool* keepGoing);
  Totals totals() const;
  // LIST's and UIDL's answer for one message, and the lines for all.
  bool listOne(std::string_view arg, Show show);
  void listAll(Show show);
  bool retrieve(const Pop3Command& c, bool top);

  mailbox::MaildirFolder& folder_;
  net::ClientOutput& out_;
  std::string user_;
  int maxBadCommands_;
  int badCommands_ = 0;
  std::vector<Entry> messages_;
  std::uint64_t retrievedBytes_ = 0;
  std::size_t retrieved_ = 0;
  std::vector<char> readBuffer_;  // for RETR/TOP, allocated once
};

}  // namespace posthorn::popd
