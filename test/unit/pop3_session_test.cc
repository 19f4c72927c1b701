// pop3_session_test - popd's protocol engine, driven by scripted transcripts
//
// The AUTHORIZATION state runs against a fake authd (login_test_util.h:
// the SASL bytes it was given are checked); TRANSACTION and UPDATE run against a real
// Maildir with its index in a scratch directory, so sizes, UIDLs and
// expunges are the store's own.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "lib/mailbox/maildir_store.h"
#include "lib/proto/passdb_client.h"
#include "popd/pop3_command.h"
#include "popd/pop3_login_session.h"
#include "popd/pop3_mail_session.h"
#include "popd/pop3_message_writer.h"
#include "test/unit/login_test_util.h"
#include "test/unit/mailbox_test_util.h"

namespace posthorn::popd {
namespace {

using mailbox::testing::TempDir;

using FakeAuth = login::testing::FakePassdb;

struct Login {
  explicit Login(bool tls = false, bool plaintextOk = false) {
    settings.disablePlaintextAuth = !plaintextOk;
    settings.tlsCertFile = "/nonexistent/cert.pem";  // only "is TLS configured" matters here
    settings.maxBadCommands = 5;
    session = std::make_unique<LoginSession>(settings, auth, out, "192.0.2.7", tls);
  }
  // Feeds one line; returns the output it produced.
  std::string line(const std::string& l, LoginResult* result = nullptr) {
    LoginResult r = session->handleLine(l);
    if (result) *result = r;
    return out.take();
  }
  Settings settings{config::Config::defaults()};
  FakeAuth auth;
  net::StringOutput out;
  std::unique_ptr<LoginSession> session;
};

TEST(Pop3Command, ParsesKeywordsAndNumbers) {
  auto c = parseCommand("list 3");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->keyword, "LIST");
  ASSERT_EQ(c->args.size(), 1u);
  EXPECT_EQ(c->args[0], "3");
  EXPECT_FALSE(parseCommand(""));
  EXPECT_FALSE(parseCommand("RETRIEVE 1"));
  EXPECT_FALSE(parseCommand("RE1R 1"));
  EXPECT_FALSE(parseCommand(" LIST"));
  auto p = parseCommand("PASS a b  c");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->rest, "a b  c");
  EXPECT_EQ(parseMessageNumber("2", 3), 2u);
  EXPECT_FALSE(parseMessageNumber("0", 3));
  EXPECT_FALSE(parseMessageNumber("4", 3));
  EXPECT_FALSE(parseMessageNumber("-1", 3));
  EXPECT_FALSE(parseMessageNumber("1x", 3));
  EXPECT_FALSE(parseMessageNumber("", 3));
  EXPECT_FALSE(parseMessageNumber("99999999999999999999", 3));
  EXPECT_EQ(parseCount("0"), 0u);
}

TEST(Pop3Login, GreetingAndCapaWithoutTls) {
  Login s;
  s.session->greet();
  EXPECT_EQ(s.out.take(), "+OK posthorn POP3 server ready.\r\n");
  const std::string capa = s.line("CAPA");
  EXPECT_EQ(capa.rfind("+OK", 0), 0u);
  EXPECT_NE(capa.find("\r\nTOP\r\n"), std::string::npos);
  EXPECT_NE(capa.find("\r\nUIDL\r\n"), std::string::npos);
  EXPECT_NE(capa.find("\r\nRESP-CODES\r\n"), std::string::npos);
  EXPECT_NE(capa.find("\r\nPIPELINING\r\n"), std::string::npos);
  EXPECT_NE(capa.find("\r\nAUTH-RESP-CODE\r\n"), std::string::npos);
  EXPECT_NE(capa.find("\r\nSTLS\r\n"), std::string::npos);
  // Plain-text mechanisms are not offered before TLS; SCRAM is.
  EXPECT_NE(capa.find("\r\nSASL SCRAM-SHA-256\r\n"), std::string::npos);
  EXPECT_EQ(capa.find("\r\nUSER\r\n"), std::string::npos);
  EXPECT_EQ(capa.substr(capa.size() - 5), "\r\n.\r\n");
}

TEST(Pop3Login, CapaAfterTls) {
  Login s(true);
  const std::string capa = s.line("capa");
  EXPECT_NE(capa.find("\r\nUSER\r\n"), std::string::npos);
  EXPECT_NE(capa.find("\r\nSASL SCRAM-SHA-256 PLAIN LOGIN\r\n"), std::string::npos);
  EXPECT_EQ(capa.find("STLS"), std::string::npos);
}

TEST(Pop3Login, PlaintextRefusedWithoutTls) {
  Login s;
  EXPECT_EQ(s.line("USER alice"),
            "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.\r\n");
  EXPECT_EQ(s.line("AUTH PLAIN AGFsaWNlAHNlY3JldA==").rfind("-ERR [AUTH] Plaintext", 0), 0u);
  EXPECT_EQ(s.auth.last.mechanism, "");  // authd never asked
}

TEST(Pop3Login, UserPassAfterTls) {
  Login s(true);
  EXPECT_EQ(s.line("USER alice"), "+OK\r\n");
  LoginResult r;
  EXPECT_EQ(s.line("PASS secret", &r), "");  // the mailbox stage answers +OK
  EXPECT_EQ(r.kind, LoginResult::Kind::Authenticated);
  EXPECT_EQ(r.user, "alice@example.com");
  EXPECT_EQ(s.auth.last.service, "popd");
  EXPECT_EQ(s.auth.last.clientAddress, "192.0.2.7");
  EXPECT_TRUE(s.auth.last.tls);
}

TEST(Pop3Login, WrongPasswordAndPassWithoutUser) {
  Login s(false, true);
  EXPECT_EQ(s.line("PASS secret"), "-ERR No username given.\r\n");
  s.line("USER alice");
  LoginResult r;
  EXPECT_EQ(s.line("PASS wrong", &r), "-ERR [AUTH] Authentication failed.\r\n");
  EXPECT_EQ(r.kind, LoginResult::Kind::Continue);
  // USER is forgotten after a PASS.
  EXPECT_EQ(s.line("PASS secret"), "-ERR No username given.\r\n");
  s.line("USER temp");
  EXPECT_EQ(s.line("PASS x"), "-ERR [SYS/TEMP] Temporary authentication failure.\r\n");
}

TEST(Pop3Login, AuthdDownIsTemporary) {
  Login s(true);
  s.auth.down = true;
  s.line("USER alice");
  EXPECT_EQ(s.line("PASS secret"), "-ERR [SYS/TEMP] Temporary authentication failure.\r\n");
}

TEST(Pop3Login, AuthPlainInitialResponseAndContinuation) {
  Login s(true);
  LoginResult r;
  EXPECT_EQ(s.line("AUTH PLAIN " + passdb::encodeBase64(std::string("\0alice\0secret", 13)), &r), "");
  EXPECT_EQ(r.kind, LoginResult::Kind::Authenticated);

  Login c(true);
  EXPECT_EQ(c.line("AUTH plain"), "+ \r\n");
  EXPECT_EQ(c.line(passdb::encodeBase64(std::string("\0alice\0secret", 13)), &r), "");
  EXPECT_EQ(r.kind, LoginResult::Kind::Authenticated);
}

TEST(Pop3Login, AuthScramOverPlainConnection) {
  Login s;  // SCRAM is allowed without TLS: no password crosses the wire
  EXPECT_EQ(s.line("AUTH SCRAM-SHA-256 " + passdb::encodeBase64("n,,n=alice,r=abc")),
            "+ " + passdb::encodeBase64("challenge") + "\r\n");
  EXPECT_EQ(s.auth.last.initialResponse, "n,,n=alice,r=abc");
  LoginResult r;
  EXPECT_EQ(s.line(passdb::encodeBase64("proof"), &r), "");
  EXPECT_EQ(r.kind, LoginResult::Kind::Authenticated);
}

TEST(Pop3Login, AuthErrors) {
  Login s(true);
  EXPECT_EQ(s.line("AUTH CRAM-MD5"), "-ERR Unsupported authentication mechanism.\r\n");
  EXPECT_EQ(s.line("AUTH PLAIN !!!"), "-ERR Invalid base64 data in initial response.\r\n");
  EXPECT_EQ(s.line("AUTH SCRAM-SHA-256"), "+ " + passdb::encodeBase64("challenge") + "\r\n");
  EXPECT_EQ(s.line("*"), "-ERR [AUTH] Authentication aborted by client.\r\n");
  EXPECT_EQ(s.line("AUTH SCRAM-SHA-256 ="), "+ " + passdb::encodeBase64("challenge") + "\r\n");
  EXPECT_EQ(s.auth.last.hasInitialResponse, true);
  EXPECT_EQ(s.auth.last.initialResponse, "");
  EXPECT_EQ(s.line("not base64!"), "-ERR [AUTH] Invalid base64 data in continued response.\r\n");
  const std::string list = s.line("AUTH");
  EXPECT_EQ(list, "+OK\r\nSCRAM-SHA-256\r\nPLAIN\r\nLOGIN\r\n.\r\n");
}

TEST(Pop3Login, StlsAndStateErrors) {
  Login s;
  LoginResult r;
  EXPECT_EQ(s.line("STAT"), "-ERR Unknown AUTHORIZATION state command.\r\n");
  EXPECT_EQ(s.line("XYZZY"), "-ERR Unknown command.\r\n");
  EXPECT_EQ(s.line("STLS", &r), "+OK Begin TLS negotiation now.\r\n");
  EXPECT_EQ(r.kind, LoginResult::Kind::StartTls);
  s.session->tlsStarted();
  EXPECT_EQ(s.line("STLS"), "-ERR TLS is already active.\r\n");
  EXPECT_EQ(s.line("USER alice"), "+OK\r\n");
  EXPECT_EQ(s.line("QUIT", &r), "+OK Logging out.\r\n");
  EXPECT_EQ(r.kind, LoginResult::Kind::Close);
}

TEST(Pop3Login, StlsWithoutCertificate) {
  Login s;
  s.settings.tlsCertFile.clear();
  EXPECT_EQ(s.line("STLS"), "-ERR TLS support isn't enabled.\r\n");
  EXPECT_EQ(s.line("CAPA").find("STLS"), std::string::npos);
}

TEST(Pop3Login, TooManyBadCommandsCloses) {
  Login s;
  LoginResult r;
  for (int i = 0; i < 4; ++i) {
    s.line("BOGUS", &r);
    EXPECT_EQ(r.kind, LoginResult::Kind::Continue);
  }
  r = s.session->lineTooLong();
  EXPECT_EQ(r.kind, LoginResult::Kind::Close);
  EXPECT_EQ(s.out.take(), "-ERR Line too long.\r\n-ERR Too many bad commands, closing connection.\r\n");
}

TEST(Pop3Login, TableChecksArgumentsAndState) {
  Login s(true);
  EXPECT_EQ(s.line("CAPA now"), "-ERR CAPA takes no arguments.\r\n");
  EXPECT_EQ(s.line("STLS now"), "-ERR STLS takes no arguments.\r\n");
  EXPECT_EQ(s.line("AUTH PLAIN x y"), "-ERR Syntax: AUTH mechanism [initial-response]\r\n");
  EXPECT_EQ(s.line("AUTH "), "-ERR Syntax: AUTH mechanism [initial-response]\r\n");
  Login t(true);
  EXPECT_EQ(t.line("APOP alice 0123456789abcdef"), "-ERR APOP is not supported.\r\n");
  EXPECT_EQ(t.line("top 1 2"), "-ERR Unknown AUTHORIZATION state command.\r\n");
  EXPECT_EQ(t.line("UIDL"), "-ERR Unknown AUTHORIZATION state command.\r\n");
  EXPECT_EQ(t.line("RETRIEVE 1"), "-ERR Unknown command.\r\n");
  Login q;
  LoginResult r;
  EXPECT_EQ(q.line("QUIT now", &r), "+OK Logging out.\r\n");  // QUIT before login takes anything
  EXPECT_EQ(r.kind, LoginResult::Kind::Close);
}

// --- the message writer ----------------------------------------------------

std::string converted(const std::string& file, std::optional<std::uint64_t> top = std::nullopt,
                      std::size_t chunk = 0) {
  net::StringOutput out;
  MessageWriter w(out, top);
  if (chunk == 0) {
    w.feed(file);
  } else {
    for (std::size_t i = 0; i < file.size(); i += chunk)
      if (!w.feed(std::string_view(file).substr(i, chunk))) break;
  }
  w.finish();
  return out.text;
}

TEST(Pop3MessageWriter, CrlfAndDotStuffing) {
  EXPECT_EQ(converted("A: b\n\n.hidden\n..two\nx.y\n"), "A: b\r\n\r\n..hidden\r\n...two\r\nx.y\r\n");
  EXPECT_EQ(converted("A: b\r\n\r\n.\r\nend"), "A: b\r\n\r\n..\r\nend\r\n");
  for (std::size_t chunk : {1, 2, 3, 7}) {
    EXPECT_EQ(converted("A: b\r\n\r\n.\nx\r\n.", std::nullopt, chunk),
              "A: b\r\n\r\n..\r\nx\r\n..\r\n")
        << chunk;
  }
}

TEST(Pop3MessageWriter, Top) {
  const std::string m = "A: 1\nB: 2\n\nl1\nl2\n.l3\n";
  EXPECT_EQ(converted(m, 0), "A: 1\r\nB: 2\r\n\r\n");
  EXPECT_EQ(converted(m, 2), "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n");
  EXPECT_EQ(converted(m, 3, 1), "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n..l3\r\n");
  EXPECT_EQ(converted(m, 100), "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n..l3\r\n");
  EXPECT_EQ(converted("A: 1\r\n\r\nbody\r\n", 0, 1), "A: 1\r\n\r\n");
}

// --- TRANSACTION and UPDATE over a real Maildir ------------------------------

class MailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root = dir / "Maildir";
    store = std::make_unique<mailbox::MaildirStore>(root);
  }
  void deliver(const std::string& text) {
    mailbox::StringSource src(text);
    store->deliver("INBOX", src);
  }
  // Starts a session on INBOX; returns the greeting.
  std::string start() {
    folder = std::make_unique<mailbox::MaildirFolder>(root, root);
    folder->open();
    folder->sync();
    session = std::make_unique<MailSession>(*folder, out, "alice@example.com", 5);
    session->begin();
    return out.take();
  }
  std::string line(const std::string& l, bool* keep = nullptr) {
    bool k = session->handleLine(l);
    if (keep) *keep = k;
    return out.take();
  }
  std::size_t files() {
    std::size_t n = 0;
    for (const char* sub : {"/new", "/cur"})
      n += mailbox::testing::listDir(root + sub).size();
    return n;
  }

  TempDir dir;
  std::string root;
  std::unique_ptr<mailbox::MaildirStore> store;
  std::unique_ptr<mailbox::MaildirFolder> folder;
  net::StringOutput out;
  std::unique_ptr<MailSession> session;
};

// Undoes dot-stuffing of a multi-line reply body (what a client does).
std::string unstuff(const std::string& body) {
  std::string r;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find("\r\n", pos);
    std::string l = body.substr(pos, end - pos);
    if (!l.empty() && l[0] == '.') l.erase(0, 1);
    r += l + "\r\n";
    pos = end + 2;
  }
  return r;
}

TEST_F(MailTest, StatListRetrSizesAreExact) {
  deliver("Subject: one\n\nhello\n.dot line\n");
  deliver("Subject: two\r\n\r\nworld\r\n");
  EXPECT_EQ(start(), "+OK Logged in.\r\n");
  const std::string one = "Subject: one\r\n\r\nhello\r\n.dot line\r\n";
  const std::string two = "Subject: two\r\n\r\nworld\r\n";
  EXPECT_EQ(line("STAT"), "+OK 2 " + std::to_string(one.size() + two.size()) + "\r\n");
  EXPECT_EQ(line("LIST"), "+OK 2 messages (" + std::to_string(one.size() + two.size()) +
                              " octets)\r\n1 " + std::to_string(one.size()) + "\r\n2 " +
                              std::to_string(two.size()) + "\r\n.\r\n");
  EXPECT_EQ(line("LIST 2"), "+OK 2 " + std::to_string(two.size()) + "\r\n");
  const std::string retr = line("RETR 1");
  const std::string head = "+OK " + std::to_string(one.size()) + " octets\r\n";
  ASSERT_EQ(retr.rfind(head, 0), 0u);
  ASSERT_EQ(retr.substr(retr.size() - 3), ".\r\n");
  const std::string body = retr.substr(head.size(), retr.size() - head.size() - 3);
  EXPECT_EQ(body, "Subject: one\r\n\r\nhello\r\n..dot line\r\n");
  EXPECT_EQ(unstuff(body), one);
  EXPECT_EQ(line("TOP 1 0"), "+OK\r\nSubject: one\r\n\r\n.\r\n");
  EXPECT_EQ(line("TOP 1 1"), "+OK\r\nSubject: one\r\n\r\nhello\r\n.\r\n");
}

TEST_F(MailTest, BareLfFileWithoutSizesInName) {
  // A file another program put there: no S=/W= in its name, LF line ends.
  start();
  const std::string name = root + "/cur/1700000000.M1P1.host:2,S";
  std::ofstream(name, std::ios::binary) << "Subject: bare\n\n.a\nb";
  session.reset();
  start();
  const std::string want = "Subject: bare\r\n\r\n.a\r\nb\r\n";
  // vsize counts the CRLF ends; the unterminated last line is ended on the wire.
  EXPECT_EQ(line("LIST 1"), "+OK 1 " + std::to_string(want.size() - 2) + "\r\n");
  const std::string retr = line("RETR 1");
  EXPECT_NE(retr.find("\r\nSubject: bare\r\n\r\n..a\r\nb\r\n.\r\n"), std::string::npos) << retr;
}

TEST_F(MailTest, UidlIsDovecotsAndStable) {
  deliver("Subject: a\n\na\n");
  deliver("Subject: b\n\nb\n");
  start();
  const auto& h = folder->header();
  char want[40];
  std::snprintf(want, sizeof want, "%08x%08x", folder->messages()[0].uid, h.uidValidity);
  const std::string all = line("UIDL");
  EXPECT_EQ(all.rfind("+OK\r\n1 " + std::string(want) + "\r\n2 ", 0), 0u) << all;
  const std::string again = line("UIDL 1");
  EXPECT_EQ(again, "+OK 1 " + std::string(want) + "\r\n");
  session.reset();
  start();
  EXPECT_EQ(line("UIDL"), all);
}

TEST_F(MailTest, DeleRsetQuit) {
  for (int i = 0; i < 3; ++i) deliver("Subject: " + std::to_string(i) + "\n\nx\n");
  start();
  EXPECT_EQ(line("DELE 2"), "+OK Marked to be deleted.\r\n");
  EXPECT_EQ(line("DELE 2"), "-ERR Message is deleted.\r\n");
  EXPECT_EQ(line("RETR 2"), "-ERR Message is deleted.\r\n");
  EXPECT_EQ(line("LIST 2"), "-ERR Message is deleted.\r\n");
  EXPECT_EQ(line("STAT").rfind("+OK 2 ", 0), 0u);
  const std::string list = line("LIST");
  EXPECT_EQ(list.find("\r\n2 "), std::string::npos);
  EXPECT_EQ(line("RSET"), "+OK\r\n");
  EXPECT_EQ(line("STAT").rfind("+OK 3 ", 0), 0u);
  line("DELE 1");
  line("DELE 3");
  EXPECT_EQ(files(), 3u);
  bool keep = true;
  EXPECT_EQ(line("QUIT", &keep), "+OK Logging out, messages deleted.\r\n");
  EXPECT_FALSE(keep);
  EXPECT_EQ(files(), 1u);
  session.reset();
  start();
  EXPECT_EQ(line("STAT").rfind("+OK 1 ", 0), 0u);
  EXPECT_NE(line("TOP 1 0").find("Subject: 1\r\n"), std::string::npos);
}

TEST_F(MailTest, SessionEndingWithoutQuitDeletesNothing) {
  deliver("Subject: a\n\na\n");
  start();
  line("DELE 1");
  session.reset();  // the connection dropped
  EXPECT_EQ(files(), 1u);
  start();
  EXPECT_EQ(line("STAT").rfind("+OK 1 ", 0), 0u);
}

TEST_F(MailTest, MalformedCommandsGetErr) {
  deliver("Subject: a\n\na\n");
  start();
  EXPECT_EQ(line("RETR"), "-ERR Syntax: RETR msg\r\n");
  EXPECT_EQ(line("RETR 0"), "-ERR There's no message 0.\r\n");
  EXPECT_EQ(line("RETR 2"), "-ERR There's no message 2.\r\n");
  EXPECT_EQ(line("TOP 1 x"), "-ERR Invalid number of lines: x\r\n");
  bool keep = true;
  EXPECT_EQ(line("USER bob", &keep),
            "-ERR Unknown TRANSACTION state command.\r\n"
            "-ERR Too many bad commands, closing connection.\r\n");
  EXPECT_FALSE(keep);  // the fifth bad command with maxBadCommands 5
}

TEST_F(MailTest, TableChecksArgumentsAndState) {
  deliver("Subject: a\n\na\n");
  start();
  EXPECT_EQ(line("STAT 1"), "-ERR STAT takes no arguments.\r\n");
  EXPECT_EQ(line("LIST 1 2"), "-ERR Syntax: LIST [msg]\r\n");
  EXPECT_EQ(line("UIDL 1 2"), "-ERR Syntax: UIDL [msg]\r\n");
  EXPECT_EQ(line("TOP 1"), "-ERR Syntax: TOP msg lines\r\n");
  session.reset();
  start();
  EXPECT_EQ(line("DELE"), "-ERR Syntax: DELE msg\r\n");
  EXPECT_EQ(line("NOOP x"), "-ERR NOOP takes no arguments.\r\n");
  EXPECT_EQ(line("RSET x"), "-ERR RSET takes no arguments.\r\n");
  EXPECT_EQ(line("QUIT x"), "-ERR QUIT takes no arguments.\r\n");
  session.reset();
  start();
  EXPECT_EQ(line("CAPA x"), "-ERR CAPA takes no arguments.\r\n");
  EXPECT_EQ(line("stls"), "-ERR Unknown TRANSACTION state command.\r\n");
  EXPECT_EQ(line("APOP a b"), "-ERR Unknown TRANSACTION state command.\r\n");
  EXPECT_EQ(line("XYZZY"), "-ERR Unknown command.\r\n");
  EXPECT_EQ(line("LIST "), "-ERR There's no message .\r\n"
                           "-ERR Too many bad commands, closing connection.\r\n");
}

TEST_F(MailTest, MessageGoneMeanwhile) {
  deliver("Subject: a\n\na\n");
  start();
  mailbox::MaildirFolder other(root, root);
  other.open();
  other.expunge({other.messages()[0].uid});
  EXPECT_EQ(line("RETR 1"), "-ERR Message was deleted by another session.\r\n");
  line("DELE 1");
  EXPECT_EQ(line("QUIT"), "+OK Logging out, messages deleted.\r\n");
}

TEST_F(MailTest, EmptyMailboxAndCapaNoop) {
  EXPECT_EQ(start(), "+OK Logged in.\r\n");
  EXPECT_EQ(line("STAT"), "+OK 0 0\r\n");
  EXPECT_EQ(line("LIST"), "+OK 0 messages (0 octets)\r\n.\r\n");
  EXPECT_EQ(line("UIDL"), "+OK\r\n.\r\n");
  EXPECT_EQ(line("NOOP"), "+OK\r\n");
  const std::string capa = line("CAPA");
  EXPECT_NE(capa.find("\r\nUIDL\r\n"), std::string::npos);
  EXPECT_EQ(capa.find("USER"), std::string::npos);
  EXPECT_EQ(line("QUIT"), "+OK Logging out.\r\n");
}

}  // namespace
}  // namespace posthorn::popd
