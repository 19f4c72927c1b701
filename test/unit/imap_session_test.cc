// imap_session_test - the mailbox stage's command table: the state each
// command needs, and during which commands another session's EXPUNGE is
// reported (RFC 3501 7.4.1: not during FETCH, STORE, SEARCH)
#include <gtest/gtest.h>

#include <string>

#include "imapd/imap_parser.h"
#include "imapd/imap_session.h"
#include "imapd/imap_settings.h"
#include "lib/login/client_output.h"
#include "lib/mailbox/maildir_store.h"
#include "lib/mailbox/message_source.h"
#include "test/unit/mailbox_test_util.h"

namespace posthorn::imapd {
namespace {

// One logged-in session: runs command lines, returns what it answered.
class Client {
 public:
  Client(const Settings& settings, mailbox::MaildirStore& store) : session_(settings, store, out_, "alice") {}

  // command: "tag NAME args" without the final CRLF (literals inline).
  std::string run(const std::string& command) {
    ImapParser parser;
    parser.feed(command + "\r\n");
    ImapParser::Event e = parser.next();
    while (e == ImapParser::Event::Literal) {
      if (parser.literal().synchronizing) parser.acceptLiteral();
      e = parser.next();
    }
    EXPECT_EQ(e, ImapParser::Event::Command) << command;
    if (e == ImapParser::Event::Command) last_ = session_.handle(parser.command());
    return out_.take();
  }
  ImapSession::Next last() const { return last_; }

 private:
  net::StringOutput out_;
  ImapSession session_;
  ImapSession::Next last_ = ImapSession::Next::Continue;
};

class ImapSessionTest : public ::testing::Test {
 protected:
  ImapSessionTest() { settings_.maxBadCommands = 1000; }

  mailbox::testing::TempDir dir_;
  mailbox::MaildirStore store_{dir_ / "Maildir"};
  Settings settings_{config::Config::defaults()};
};

TEST_F(ImapSessionTest, StateIsCheckedBeforeTheCommand) {
  Client a(settings_, store_);
  for (const char* command : {"CHECK", "CLOSE", "UNSELECT", "EXPUNGE", "UID EXPUNGE 1", "FETCH 1 FLAGS",
                              "UID FETCH 1 FLAGS", "STORE 1 +FLAGS (\\Seen)", "UID STORE 1 +FLAGS (\\Seen)",
                              "SEARCH ALL", "UID SEARCH ALL", "COPY 1 Trash", "UID COPY 1 Trash", "MOVE 1 Trash",
                              "UID MOVE 1 Trash"})
    EXPECT_EQ(a.run(std::string("t ") + command), "t BAD No mailbox selected.\r\n") << command;
  for (const char* command : {"LOGIN alice secret", "AUTHENTICATE PLAIN", "STARTTLS"})
    EXPECT_EQ(a.run(std::string("t ") + command), "t BAD Already logged in.\r\n") << command;
  EXPECT_EQ(a.run("t XYZZY"), "t BAD Unknown command.\r\n");
  EXPECT_EQ(a.run("t NOOP"), "t OK NOOP completed.\r\n");
  EXPECT_EQ(a.last(), ImapSession::Next::Continue);
  EXPECT_EQ(a.run("t LOGOUT"), "* BYE Logging out\r\nt OK Logout completed.\r\n");
  EXPECT_EQ(a.last(), ImapSession::Next::Close);
}

struct ExpungeCase {
  const char* command;
  bool reportsExpunge;
};

class OtherSessionsExpungeTest : public ImapSessionTest, public ::testing::WithParamInterface<ExpungeCase> {};

TEST_P(OtherSessionsExpungeTest, ReportedOnlyWhereNumbersMayShift) {
  for (const char* subject : {"one", "two", "three"}) {
    mailbox::StringSource m(std::string("Subject: ") + subject + "\n\nbody\n");
    ASSERT_TRUE(store_.deliver("INBOX", m).ok());
  }
  ASSERT_TRUE(store_.createFolder("Other"));
  Client a(settings_, store_), b(settings_, store_);
  a.run("a SELECT INBOX");
  b.run("b SELECT INBOX");
  b.run("b STORE 1 +FLAGS (\\Deleted)");
  ASSERT_NE(b.run("b EXPUNGE").find("* 1 EXPUNGE\r\n"), std::string::npos);

  const std::string got = a.run(std::string("t ") + GetParam().command);
  EXPECT_EQ(got.find("* 1 EXPUNGE\r\n") != std::string::npos, GetParam().reportsExpunge) << got;
  EXPECT_TRUE(got.find("t OK ") != std::string::npos || got.ends_with("+ idling\r\n")) << got;
}

INSTANTIATE_TEST_SUITE_P(
    Commands, OtherSessionsExpungeTest,
    ::testing::Values(ExpungeCase{"FETCH 2 FLAGS", false}, ExpungeCase{"STORE 2 +FLAGS (\\Seen)", false},
                      ExpungeCase{"SEARCH ALL", false}, ExpungeCase{"COPY 2 Other", false},
                      ExpungeCase{"STATUS INBOX (MESSAGES)", false}, ExpungeCase{"APPEND Other {1+}\r\nx", false},
                      ExpungeCase{"CLOSE", false}, ExpungeCase{"UNSELECT", false},
                      ExpungeCase{"LIST \"\" *", false}, ExpungeCase{"CAPABILITY", false},
                      ExpungeCase{"UID FETCH 2 FLAGS", true}, ExpungeCase{"UID STORE 2 +FLAGS (\\Seen)", true},
                      ExpungeCase{"UID SEARCH ALL", true}, ExpungeCase{"UID COPY 2 Other", true},
                      ExpungeCase{"MOVE 2 Other", true}, ExpungeCase{"UID MOVE 2 Other", true},
                      ExpungeCase{"EXPUNGE", true}, ExpungeCase{"UID EXPUNGE 3", true}, ExpungeCase{"NOOP", true},
                      ExpungeCase{"CHECK", true}, ExpungeCase{"IDLE", true}));

}  // namespace
}  // namespace posthorn::imapd
