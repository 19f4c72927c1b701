// imap_login_test - imapd's login stage (the not-authenticated state), driven by transcripts
//
// Commands are parsed by the real IMAP parser and answered by the login
// session against a fake authd (login_test_util.h) whose SASL bytes are
// checked, as pop3_session_test does for POP3's AUTHORIZATION state.
#include <gtest/gtest.h>

#include <memory>

#include "imapd/imap_login_session.h"
#include "imapd/imap_parser.h"
#include "lib/proto/passdb_client.h"
#include "test/unit/login_test_util.h"

namespace posthorn::imapd {
namespace {

using FakeAuth = login::testing::FakePassdb;

struct Login {
  explicit Login(bool tls = false, bool plaintextOk = false) {
    settings.disablePlaintextAuth = !plaintextOk;
    settings.tlsCertFile = "/nonexistent/cert.pem";  // only "is TLS configured" matters here
    settings.maxBadCommands = 5;
    session = std::make_unique<LoginSession>(settings, auth, out, "192.0.2.7", tls);
  }
  // Feeds one command line (CRLF added); returns what it produced.
  std::string command(const std::string& line, LoginResult* result = nullptr) {
    parser.feed(line + "\r\n");
    LoginResult r;
    switch (parser.next()) {
      case ImapParser::Event::Command: r = session->handle(parser.command()); break;
      case ImapParser::Event::Line: r = session->saslLine(parser.line()); break;
      case ImapParser::Event::Error: {
        const auto& e = parser.error();
        out.write((e.tag.empty() ? std::string("*") : e.tag) + " " + e.response() + "\r\n");
        r = session->badInput();
        break;
      }
      default: ADD_FAILURE() << "no command in " << line;
    }
    if (r.kind == LoginResult::Kind::SaslResponse) parser.expectLine();
    if (result) *result = r;
    return out.take();
  }
  Settings settings{config::Config::defaults()};
  FakeAuth auth;
  net::StringOutput out;
  ImapParser parser;
  std::unique_ptr<LoginSession> session;
};

const std::string kCapsPlain = "IMAP4rev1 SASL-IR LITERAL+ ID ENABLE IDLE STARTTLS AUTH=SCRAM-SHA-256 LOGINDISABLED";

TEST(ImapLogin, GreetingAndCapability) {
  Login s;
  s.session->greet();
  EXPECT_EQ(s.out.take(), "* OK [CAPABILITY " + kCapsPlain + "] posthorn IMAP server ready.\r\n");
  EXPECT_EQ(s.command("a CAPABILITY"),
            "* CAPABILITY " + kCapsPlain + "\r\n"
            "a OK Pre-login capabilities listed, post-login capabilities have more.\r\n");
  EXPECT_EQ(s.command("b capability now"), "b BAD CAPABILITY takes no arguments.\r\n");
  Login t(true);
  EXPECT_EQ(t.command("a CAPABILITY"),
            "* CAPABILITY IMAP4rev1 SASL-IR LITERAL+ ID ENABLE IDLE AUTH=SCRAM-SHA-256 "
            "AUTH=PLAIN AUTH=LOGIN\r\n"
            "a OK Pre-login capabilities listed, post-login capabilities have more.\r\n");
}

TEST(ImapLogin, NoopLogoutAndStates) {
  Login s;
  EXPECT_EQ(s.command("a NOOP"), "a OK NOOP completed.\r\n");
  EXPECT_EQ(s.command("b NOOP extra"), "b OK NOOP completed.\r\n");
  EXPECT_EQ(s.command("c SELECT INBOX"), "c BAD Command not valid before login.\r\n");
  EXPECT_EQ(s.command("d UID FETCH 1 FLAGS"), "d BAD Command not valid before login.\r\n");
  EXPECT_EQ(s.command("e XYZZY"), "e BAD Unknown command.\r\n");
  LoginResult r;
  EXPECT_EQ(s.command("f LOGOUT", &r), "* BYE Logging out\r\nf OK Logout completed.\r\n");
  EXPECT_EQ(r.kind, LoginResult::Kind::Close);
}

TEST(ImapLogin, Starttls) {
  Login s;
  LoginResult r;
  EXPECT_EQ(s.command("a STARTTLS", &r), "a OK Begin TLS negotiation now.\r\n");
  EXPECT_EQ(r.kind, LoginResult::Kind::StartTls);
  s.session->tlsStarted();
  EXPECT_EQ(s.command("b STARTTLS"), "b BAD TLS is already active.\r\n");
  Login t;
  t.settings.tlsCertFile.clear();
  EXPECT_EQ(t.command("a STARTTLS"), "a BAD TLS support isn't enabled.\r\n");
}

TEST(ImapLogin, LoginNeedsTlsThenWorks) {
  Login s;
  EXPECT_EQ(s.command("a LOGIN alice secret"),
            "a NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) "
            "connections.\r\n");
  EXPECT_EQ(s.auth.last.mechanism, "");  // authd never asked
  s.session->tlsStarted();
  EXPECT_EQ(s.command("b LOGIN alice"), "b BAD Syntax: LOGIN user password\r\n");
  LoginResult r;
  EXPECT_EQ(s.command("c LOGIN alice wrong", &r),
            "c NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
  EXPECT_EQ(r.kind, LoginResult::Kind::Continue);
  EXPECT_EQ(s.command("d LOGIN temp x"), "d NO [UNAVAILABLE] Temporary authentication failure.\r\n");
  EXPECT_EQ(s.command("e LOGIN locked x"),
            "e NO [UNAVAILABLE] Too many failed logins, try again later.\r\n");
  EXPECT_EQ(s.command("f LOGIN alice secret", &r), "");  // the mailbox stage answers
  EXPECT_EQ(r.kind, LoginResult::Kind::Authenticated);
  EXPECT_EQ(r.user, "alice@example.com");
  EXPECT_EQ(r.tag, "f");
  EXPECT_EQ(s.auth.last.service, "imapd");
  EXPECT_EQ(s.auth.last.clientAddress, "192.0.2.7");
  EXPECT_TRUE(s.auth.last.tls);
  EXPECT_EQ(s.auth.last.mechanism, "PLAIN");
}

TEST(ImapLogin, AuthenticateWithChallengeAndInitialResponse) {
  Login s;  // SCRAM is offered without TLS
  LoginResult r;
  EXPECT_EQ(s.command("a AUTHENTICATE scram-sha-256", &r),
            "+ " + passdb::encodeBase64("challenge") + "\r\n");
  EXPECT_EQ(r.kind, LoginResult::Kind::SaslResponse);
  EXPECT_FALSE(s.auth.last.hasInitialResponse);
  EXPECT_EQ(s.command(passdb::encodeBase64("proof"), &r), "");
  EXPECT_EQ(r.kind, LoginResult::Kind::Authenticated);
  EXPECT_EQ(r.tag, "a");

  Login t(true);
  EXPECT_EQ(t.command("b AUTHENTICATE PLAIN " + passdb::encodeBase64(std::string("\0alice\0secret", 13)), &r), "");
  EXPECT_EQ(r.kind, LoginResult::Kind::Authenticated);
  EXPECT_EQ(r.tag, "b");
  EXPECT_EQ(t.command("c AUTHENTICATE PLAIN =", &r),
            "c NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
  EXPECT_TRUE(t.auth.last.hasInitialResponse);
  EXPECT_EQ(t.auth.last.initialResponse, "");
  EXPECT_EQ(t.command("e AUTHENTICATE PLAIN"), "+ \r\n");
  EXPECT_EQ(t.command("*"), "e BAD Authentication aborted by client.\r\n");
  EXPECT_EQ(t.command("d AUTHENTICATE SCRAM-SHA-256"), "+ " + passdb::encodeBase64("challenge") + "\r\n");
  EXPECT_EQ(t.command("not base64!"), "d BAD Invalid base64 data in continued response.\r\n");
}

TEST(ImapLogin, AuthenticateErrors) {
  Login s;
  EXPECT_EQ(s.command("a AUTHENTICATE"), "a BAD Syntax: AUTHENTICATE mechanism [initial-response]\r\n");
  EXPECT_EQ(s.command("b AUTHENTICATE CRAM-MD5"), "b NO Unsupported authentication mechanism.\r\n");
  EXPECT_EQ(s.command("c AUTHENTICATE PLAIN"),
            "c NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) "
            "connections.\r\n");
  LoginResult r;
  EXPECT_EQ(s.command("d AUTHENTICATE SCRAM-SHA-256 !!!", &r),
            "d BAD Invalid base64 data in initial response.\r\n");
  EXPECT_EQ(r.kind, LoginResult::Kind::Continue);
  EXPECT_EQ(s.command("e AUTHENTICATE SCRAM-SHA-256 x y z", &r),
            "e BAD Syntax: AUTHENTICATE mechanism [initial-response]\r\n"
            "* BYE Too many invalid IMAP commands.\r\n");
  EXPECT_EQ(r.kind, LoginResult::Kind::Close);  // the fifth bad command
}

TEST(ImapLogin, AuthdDownIsTemporary) {
  Login s(true);
  s.auth.down = true;
  LoginResult r;
  EXPECT_EQ(s.command("a LOGIN alice secret", &r),
            "a NO [UNAVAILABLE] Temporary authentication failure.\r\n");
  EXPECT_EQ(r.kind, LoginResult::Kind::Continue);
}

TEST(ImapLogin, IdIsLoggedAndKept) {
  Login s;
  EXPECT_EQ(s.command("a ID (\"name\" \"mutt\" \"version\" \"2.2\")"),
            "* ID (\"name\" \"posthorn\" \"vendor\" \"posthorn\")\r\na OK ID completed.\r\n");
  EXPECT_EQ(s.session->clientId(), "name=mutt version=2.2");
  EXPECT_EQ(s.command("b ID NIL"),
            "* ID (\"name\" \"posthorn\" \"vendor\" \"posthorn\")\r\nb OK ID completed.\r\n");
  EXPECT_EQ(s.command("c ID"), "c BAD Syntax: ID (\"name\" \"value\" ...) or ID NIL\r\n");
}

TEST(ImapLogin, TooManyBadCommandsCloses) {
  Login s;
  LoginResult r;
  for (int i = 0; i < 4; ++i) {
    s.command("x BOGUS", &r);
    EXPECT_EQ(r.kind, LoginResult::Kind::Continue);
  }
  EXPECT_EQ(s.command("y BOGUS", &r), "y BAD Unknown command.\r\n* BYE Too many invalid IMAP commands.\r\n");
  EXPECT_EQ(r.kind, LoginResult::Kind::Close);
}

}  // namespace
}  // namespace posthorn::imapd
