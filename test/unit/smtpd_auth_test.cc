// smtpd_auth_test - AUTH (RFC 4954) in the SMTP session, against a scripted Authenticator
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lib/proto/passdb_client.h"
#include "smtpd/smtpd_session.h"
#include "test/unit/smtpd_session_test_util.h"

namespace posthorn::smtpd {
namespace {

using namespace std::string_literals;
using AC = address::AddressClass;

std::string b64(const std::string& s) { return passdb::encodeBase64(s); }

// PLAIN and LOGIN for alice@example.org / "pw", as authd would run them.
class FakeAuthenticator : public Authenticator {
 public:
  ipc::PassdbReply start(const ipc::PassdbAuth& request) override {
    if (down) throw AuthUnavailable("authd unreachable");
    requests.push_back(request);
    mech_ = request.mechanism;
    user_.clear();
    if (locked) return status(ipc::PassdbStatus::Locked);
    if (!request.hasInitialResponse) return challenge(mech_ == "LOGIN" ? "Username:" : "");
    return next(request.initialResponse);
  }
  ipc::PassdbReply next(const std::string& response) override {
    if (down) throw AuthUnavailable("authd went away");
    if (mech_ == "LOGIN" && user_.empty()) {
      user_ = response;
      return challenge("Password:");
    }
    const bool ok = mech_ == "LOGIN" ? user_ == "alice@example.org" && response == "pw"
                                     : response == "\0alice@example.org\0pw"s;
    if (!ok) return status(ipc::PassdbStatus::Fail);
    ipc::PassdbReply r = status(ipc::PassdbStatus::Ok);
    r.user = "alice@example.org";
    return r;
  }
  static ipc::PassdbReply status(ipc::PassdbStatus s) {
    ipc::PassdbReply r;
    r.status = s;
    return r;
  }
  static ipc::PassdbReply challenge(const std::string& c) {
    ipc::PassdbReply r = status(ipc::PassdbStatus::Continue);
    r.challenge = c;
    return r;
  }
  bool down = false;
  bool locked = false;
  std::vector<ipc::PassdbAuth> requests;

 private:
  std::string mech_;
  std::string user_;
};

class AuthTest : public testing::SessionFixture {
 protected:
  AuthTest()
      : SessionFixture(config::Config::parse("alias_maps =\nsmtpd_forbid_bare_newline_exclusions =\n",
                                             "posthorn.conf")) {}
  void SetUp() override {
    settings.myhostname = "mx.example.org";
    settings.mailName = "posthorn";
    settings.banner = "mx.example.org ESMTP posthorn";
    settings.myorigin = "mx.example.org";
    settings.hardErrorLimit = 20;
    settings.mynetworks = {"127.0.0.0/8"};
    settings.saslAuthEnable = true;
    settings.senderLoginMaps = {"hash:/etc/mail/logins"};
    lookups.domains = {{"example.org", AC::Local}};
    lookups.users = {"alice@example.org", "bob@example.org"};
    lookups.tables["hash:/etc/mail/logins"] = {{"shared@example.org", "bob@example.org, alice@example.org"}};
  }

  void start(bool tls = true) {
    Peer peer;
    peer.address = "192.0.2.1";
    open(peer, true, &auth);
    session->start();
    io.take();
    if (tls) {
      send("STARTTLS\r\n");
      session->tlsEstablished(TlsState{"TLSv1.3", "X", "TLSv1.3 with cipher X (256/256 bits)"});
    }
    io.take();
  }
  std::string last(const std::string& bytes) {
    std::string out = send(bytes);
    if (out.size() >= 2) out.resize(out.size() - 2);
    const auto nl = out.rfind("\r\n");
    return nl == std::string::npos ? out : out.substr(nl + 2);
  }

  FakeAuthenticator auth;
};

TEST_F(AuthTest, OfferedOnlyInsideTlsByDefault) {
  start(false);
  EXPECT_EQ(send("EHLO c\r\n").find("AUTH"), std::string::npos);
  EXPECT_EQ(last("AUTH PLAIN " + b64("\0alice@example.org\0pw"s) + "\r\n"),
            "538 5.7.11 Encryption required for requested authentication mechanism");
  EXPECT_TRUE(auth.requests.empty());
  send("STARTTLS\r\n");
  session->tlsEstablished(TlsState{"TLSv1.3", "X", "x"});
  EXPECT_NE(send("EHLO c\r\n").find("250-AUTH SCRAM-SHA-256 PLAIN LOGIN\r\n"), std::string::npos);
}

TEST_F(AuthTest, PlaintextWhenAllowedAndNotWhenDisabled) {
  settings.tlsAuthOnly = false;
  start(false);
  EXPECT_NE(send("EHLO c\r\n").find("AUTH "), std::string::npos);
  EXPECT_EQ(last("AUTH PLAIN " + b64("\0alice@example.org\0pw"s) + "\r\n"),
            "235 2.7.0 Authentication successful");
  EXPECT_FALSE(auth.requests.at(0).tls);
  EXPECT_EQ(auth.requests.at(0).clientAddress, "192.0.2.1");
  settings.saslAuthEnable = false;
  start(false);
  send("EHLO c\r\n");
  EXPECT_EQ(last("AUTH PLAIN\r\n"), "503 5.5.1 Error: authentication not enabled");
}

TEST_F(AuthTest, EncryptLevelSays538NotMustStarttls) {
  settings.tlsLevel = TlsLevel::Encrypt;
  start(false);
  send("EHLO c\r\n");
  EXPECT_EQ(last("AUTH LOGIN\r\n"),
            "538 5.7.11 Encryption required for requested authentication mechanism");
  EXPECT_EQ(last("MAIL FROM:<a@example.org>\r\n"), "530 5.7.0 Must issue a STARTTLS command first");
}

TEST_F(AuthTest, PlainLoginCancelAndErrors) {
  start();
  send("EHLO c\r\n");
  EXPECT_EQ(last("AUTH LOGIN\r\n"), "334 " + b64("Username:"));
  EXPECT_EQ(last(b64("alice@example.org") + "\r\n"), "334 " + b64("Password:"));
  EXPECT_EQ(last("*\r\n"), "501 5.0.0 Authentication aborted");
  EXPECT_EQ(last("AUTH PLAIN\r\n"), "334 ");
  EXPECT_EQ(last("!!!!\r\n"), "501 5.5.2 Cannot decode response");
  EXPECT_EQ(last("AUTH PLAIN !!\r\n"), "501 5.5.2 Cannot decode response");
  EXPECT_EQ(last("AUTH DIGEST-MD5\r\n"), "504 5.5.4 Unsupported authentication mechanism");
  EXPECT_EQ(last("AUTH\r\n"), "501 5.5.4 Syntax: AUTH mechanism");
  EXPECT_EQ(last("AUTH PLAIN " + b64("\0alice@example.org\0no"s) + "\r\n"),
            "535 5.7.8 Error: authentication failed: authentication failure");
  EXPECT_EQ(last("AUTH login " + b64("alice@example.org") + "\r\n"), "334 " + b64("Password:"));
  EXPECT_EQ(last(b64("pw") + "\r\n"), "235 2.7.0 Authentication successful");
  EXPECT_EQ(session->saslUser(), "alice@example.org");
  EXPECT_EQ(last("AUTH PLAIN\r\n"), "503 5.5.1 Error: already authenticated");
}

TEST_F(AuthTest, AuthdDownOrLockedIs454) {
  start();
  send("EHLO c\r\n");
  auth.down = true;
  EXPECT_EQ(last("AUTH PLAIN " + b64("\0alice@example.org\0pw"s) + "\r\n"),
            "454 4.7.0 Temporary authentication failure");
  auth.down = false;
  EXPECT_EQ(last("AUTH LOGIN\r\n"), "334 " + b64("Username:"));
  auth.down = true;
  EXPECT_EQ(last(b64("alice@example.org") + "\r\n"), "454 4.7.0 Temporary authentication failure");
  auth.down = false;
  auth.locked = true;
  EXPECT_EQ(last("AUTH PLAIN " + b64("\0alice@example.org\0pw"s) + "\r\n"),
            "454 4.7.0 Too many authentication failures, try again later");
  EXPECT_EQ(last("NOOP\r\n"), "250 2.0.0 Ok");  // back in command mode
}

TEST_F(AuthTest, RequiredSenderLoginRelayAndRecords) {
  settings.saslAuthRequired = true;
  settings.rejectSenderLoginMismatch = true;
  start();
  send("EHLO c\r\n");
  EXPECT_EQ(last("MAIL FROM:<alice@example.org>\r\n"), "530 5.7.0 Authentication required");
  EXPECT_EQ(last("AUTH PLAIN " + b64("\0alice@example.org\0pw"s) + "\r\n"),
            "235 2.7.0 Authentication successful");
  EXPECT_EQ(last("MAIL FROM:<bob@example.org>\r\n"),
            "553 5.7.1 <bob@example.org>: Sender address rejected: not owned by user "
            "alice@example.org");
  EXPECT_EQ(last("MAIL FROM:<shared@example.org>\r\n"), "250 2.1.0 Ok");
  EXPECT_EQ(last("RSET\r\n"), "250 2.0.0 Ok");
  EXPECT_EQ(last("MAIL FROM:<Alice@Example.org> AUTH=<>\r\n"), "250 2.1.0 Ok");
  EXPECT_EQ(last("RCPT TO:<friend@elsewhere.example>\r\n"), "250 2.1.5 Ok");  // relay
  EXPECT_EQ(last("DATA\r\n").substr(0, 3), "354");
  EXPECT_EQ(last("Subject: x\r\n\r\nhi\r\n.\r\n").substr(0, 3), "250");
  ASSERT_EQ(sinks.committed.size(), 1u);
  const auto& msg = sinks.committed.front();
  EXPECT_EQ(msg.envelope.client.saslMethod, "PLAIN");
  EXPECT_EQ(msg.envelope.client.saslUsername, "alice@example.org");
  EXPECT_EQ(msg.envelope.client.protocol, "ESMTPSA");
  EXPECT_EQ(msg.envelope.auth, "<>");
  EXPECT_NE(msg.content.find("with ESMTPSA id"), std::string::npos);
  lookups.mapdDown = true;
  EXPECT_EQ(last("MAIL FROM:<shared@example.org>\r\n").substr(0, 9), "451 4.3.0");
}

// A SASL-authenticated client's mail goes to cleanup to be DKIM-signed,
// from outside mynetworks too; the same client before AUTH, or after a
// failed one, does not.
TEST_F(AuthTest, AuthenticatedMailIsOpenedForSigning) {
  start();
  send("EHLO c\r\n");
  ASSERT_EQ(last("MAIL FROM:<x@example.net>\r\n"), "250 2.1.0 Ok");
  ASSERT_EQ(last("RCPT TO:<bob@example.org>\r\n"), "250 2.1.5 Ok");
  EXPECT_EQ(last("BDAT 3 LAST\r\nx\r\n"), "250 2.0.0 Ok: queued as QID1");
  EXPECT_EQ(last("AUTH PLAIN " + b64("\0alice@example.org\0no"s) + "\r\n").substr(0, 3), "535");
  ASSERT_EQ(last("MAIL FROM:<x@example.net>\r\n"), "250 2.1.0 Ok");
  ASSERT_EQ(last("RCPT TO:<bob@example.org>\r\n"), "250 2.1.5 Ok");
  EXPECT_EQ(last("BDAT 3 LAST\r\nx\r\n"), "250 2.0.0 Ok: queued as QID2");
  EXPECT_EQ(sinks.signs, (std::vector<bool>{false, false}));

  EXPECT_EQ(last("AUTH PLAIN " + b64("\0alice@example.org\0pw"s) + "\r\n"),
            "235 2.7.0 Authentication successful");
  ASSERT_EQ(last("MAIL FROM:<alice@example.org>\r\n"), "250 2.1.0 Ok");
  ASSERT_EQ(last("RCPT TO:<friend@elsewhere.example>\r\n"), "250 2.1.5 Ok");
  EXPECT_EQ(last("DATA\r\n").substr(0, 3), "354");
  EXPECT_EQ(last("Subject: x\r\n\r\nhi\r\n.\r\n"), "250 2.0.0 Ok: queued as QID3");
  ASSERT_EQ(last("MAIL FROM:<alice@example.org>\r\n"), "250 2.1.0 Ok");
  ASSERT_EQ(last("RCPT TO:<bob@example.org>\r\n"), "250 2.1.5 Ok");
  EXPECT_EQ(last("BDAT 3 LAST\r\nx\r\n"), "250 2.0.0 Ok: queued as QID4");
  EXPECT_EQ(sinks.signs, (std::vector<bool>{false, false, true, true}));
  ASSERT_EQ(sinks.committed.size(), 4u);
  EXPECT_EQ(sinks.committed[2].envelope.client.saslUsername, "alice@example.org");
}

TEST_F(AuthTest, UnauthenticatedMayNotRelay) {
  start();
  send("EHLO c\r\n");
  send("MAIL FROM:<x@example.net>\r\n");
  EXPECT_EQ(last("RCPT TO:<friend@elsewhere.example>\r\n").substr(0, 9), "554 5.7.1");
}

}  // namespace
}  // namespace posthorn::smtpd
