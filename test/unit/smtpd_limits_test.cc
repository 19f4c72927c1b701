// smtpd_limits_test - smtpd's per-client limits (smtpd/smtpd_limits.h) over
// anvil's own table standing in for the anvil service, and the
// pre-greeting test (postscreen_greet_wait), through the SMTP session
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "anvil/anvil_table.h"
#include "smtpd/smtpd_limits.h"
#include "test/unit/smtpd_session_test_util.h"

namespace posthorn::smtpd {
namespace {

using testing::logSince;
using testing::logSize;
using testing::replies;
using testing::SessionTest;
using testing::FakeIo;

// anvil in-process: the real table, counted on the real clock.
class TableCounter : public EventCounter {
 public:
  explicit TableCounter(int* calls) : calls_(calls) {}
  ipc::AnvilReply count(ipc::AnvilEvent event, const std::string& address) override {
    ++*calls_;
    return table_.record(event, "smtp:" + address, anvil::Clock::now());
  }

 private:
  int* calls_;
  anvil::AnvilTable table_{std::chrono::seconds(60)};
};

class DownCounter : public EventCounter {
 public:
  ipc::AnvilReply count(ipc::AnvilEvent, const std::string&) override {
    throw anvil::AnvilError(anvil::AnvilErrorKind::Unavailable,
                            "anvil unavailable at /private/anvil: connect: No such file or directory");
  }
};

class LimitsTest : public SessionTest {
 protected:
  void useLimits(std::unique_ptr<EventCounter> counter = nullptr) {
    settings.eventLimitExceptions = {"192.0.2.200"};
    limits = std::make_unique<AnvilLimits>(settings, "smtp",
                                           counter ? std::move(counter) : std::make_unique<TableCounter>(&calls));
  }
  // Another client's session, with its own io.
  struct Other {
    FakeIo io;
    std::unique_ptr<Session> session;
  };
  std::unique_ptr<Other> connect(const std::string& ip) {
    if (!policy) policy = std::make_unique<Policy>(settings, lookups);
    auto o = std::make_unique<Other>();
    Peer peer;
    peer.address = ip;
    peer.name = "unknown";
    o->session = std::make_unique<Session>(settings, *policy, sinks, o->io, peer, false);
    o->session->setLimits(limits.get());
    o->session->start();
    return o;
  }
  void startLimited(const std::string& ip) {
    Peer peer;
    peer.address = ip;
    peer.name = "unknown";
    peer.port = "41234";
    open(peer, false);
    session->setLimits(limits.get());
    session->start();
    greeting = io.take();
  }

  int calls = 0;
  std::unique_ptr<AnvilLimits> limits;
};

TEST_F(LimitsTest, ConnectionCountLimitRefusesTheOneTooManyUntilOneLeaves) {
  settings.connectionCountLimit = 2;
  useLimits();
  startLimited("192.0.2.9");  // the fixture's session: the first connection
  EXPECT_EQ(greeting, "220 mx.example.org ESMTP posthorn\r\n");
  auto second = connect("192.0.2.9");
  EXPECT_EQ(second->io.take(), "220 mx.example.org ESMTP posthorn\r\n");
  const std::size_t offset = logSize();
  auto third = connect("192.0.2.9");
  EXPECT_EQ(third->io.take(), "421 4.7.0 mx.example.org Error: too many connections from 192.0.2.9\r\n");
  EXPECT_TRUE(third->session->closing());
  EXPECT_NE(logSince(offset).find("warning: Connection concurrency limit exceeded: 3 from "
                                  "unknown[192.0.2.9] for service smtp"),
            std::string::npos)
      << logSince(offset);
  third->session->closed();
  auto other = connect("192.0.2.10");
  EXPECT_EQ(other->io.take(), "220 mx.example.org ESMTP posthorn\r\n");
  second->session->closed();
  auto again = connect("192.0.2.9");
  EXPECT_EQ(again->io.take(), "220 mx.example.org ESMTP posthorn\r\n");
}

TEST_F(LimitsTest, ConnectionRateCountsRefusedConnectionsToo) {
  settings.connectionCountLimit = 0;
  settings.connectionRateLimit = 2;
  useLimits();
  for (int i = 0; i < 2; ++i) {
    auto c = connect("192.0.2.9");
    EXPECT_EQ(c->io.take(), "220 mx.example.org ESMTP posthorn\r\n");
    c->session->closed();
  }
  const std::size_t offset = logSize();
  for (int n = 3; n <= 4; ++n) {
    auto c = connect("192.0.2.9");
    EXPECT_EQ(c->io.take(), "421 4.7.0 mx.example.org Error: too many connections from 192.0.2.9\r\n");
    c->session->closed();
    EXPECT_NE(logSince(offset).find("warning: Connection rate limit exceeded: " + std::to_string(n) +
                                    " from unknown[192.0.2.9] for service smtp"),
              std::string::npos);
  }
}

TEST_F(LimitsTest, MessageAndRecipientRates) {
  settings.messageRateLimit = 1;
  settings.recipientRateLimit = 2;
  useLimits();
  startLimited("192.0.2.9");
  send("EHLO c\r\n");
  EXPECT_EQ(last("MAIL FROM:<a@example.net>\r\n"), "250 2.1.0 Ok");
  EXPECT_EQ(last("RCPT TO:<alice@example.org>\r\n"), "250 2.1.5 Ok");
  EXPECT_EQ(last("RCPT TO:<alice@example.org>\r\n"), "250 2.1.5 Ok");
  EXPECT_EQ(last("RCPT TO:<alice@example.org>\r\n"), "450 4.7.1 Error: too many recipients from 192.0.2.9");
  send("RSET\r\n");
  EXPECT_EQ(last("MAIL FROM:<a@example.net>\r\n"), "450 4.7.1 Error: too much mail from 192.0.2.9");
  EXPECT_FALSE(session->inTransaction());
}

TEST_F(LimitsTest, NewTlsSessionRateClosesAfterTheHandshake) {
  settings.newTlsRateLimit = 1;
  useLimits();
  const TlsState tls{"TLSv1.3", "TLS_AES_256_GCM_SHA384", "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384"};
  auto first = connect("192.0.2.9");
  first->io.take();
  first->session->tlsEstablished(tls);
  EXPECT_EQ(first->io.take(), "");
  EXPECT_FALSE(first->session->closing());
  auto second = connect("192.0.2.9");
  second->io.take();
  const std::size_t offset = logSize();
  second->session->tlsEstablished(tls);
  EXPECT_EQ(second->io.take(), "421 4.7.0 mx.example.org Error: too many new TLS sessions from 192.0.2.9\r\n");
  EXPECT_TRUE(second->session->closing());
  EXPECT_NE(logSince(offset).find("warning: New TLS session rate limit exceeded: 2 from unknown[192.0.2.9]"),
            std::string::npos);
}

// authd saying no to everything.
class RefusingAuthenticator : public Authenticator {
 public:
  ipc::PassdbReply start(const ipc::PassdbAuth&) override {
    ++starts;
    ipc::PassdbReply r;
    r.status = ipc::PassdbStatus::Fail;
    return r;
  }
  ipc::PassdbReply next(const std::string&) override { return start({}); }
  int starts = 0;
};

TEST_F(LimitsTest, AuthRateRefusesBeforeAuthdIsAsked) {
  settings.authRateLimit = 2;
  settings.saslAuthEnable = true;
  settings.tlsAuthOnly = false;
  useLimits();
  RefusingAuthenticator authd;
  Peer peer;
  peer.address = "192.0.2.9";
  peer.name = "unknown";
  open(peer, false, &authd);
  session->setLimits(limits.get());
  session->start();
  send("EHLO c\r\n");
  const std::string plain = "AUTH PLAIN AGFsaWNlAHB3\r\n";
  EXPECT_EQ(last(plain).substr(0, 4), "535 ");
  EXPECT_EQ(last(plain).substr(0, 4), "535 ");
  const std::size_t offset = logSize();
  EXPECT_EQ(last(plain), "450 4.7.1 Error: too many AUTH commands from 192.0.2.9");
  EXPECT_EQ(authd.starts, 2);
  EXPECT_NE(logSince(offset).find("warning: AUTH command rate limit exceeded: 3 from unknown[192.0.2.9]"),
            std::string::npos);
}

TEST_F(LimitsTest, ExceptedClientsAndOffLimitsAreNeverCounted) {
  settings.messageRateLimit = 1;
  useLimits();
  startLimited("192.0.2.200");
  send("EHLO c\r\n");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(last("MAIL FROM:<a@example.net>\r\n"), "250 2.1.0 Ok");
    send("RSET\r\n");
  }
  EXPECT_EQ(calls, 0);
  startLimited("192.0.2.9");
  send("EHLO c\r\nMAIL FROM:<a@example.net>\r\n");
  EXPECT_EQ(last("RCPT TO:<alice@example.org>\r\n"), "250 2.1.5 Ok");
  EXPECT_EQ(calls, 2);  // connect (count limit 50) and MAIL; RCPT has no limit
}

TEST_F(LimitsTest, AnvilDownServesEveryoneWithOneWarning) {
  settings.connectionCountLimit = 1;
  settings.messageRateLimit = 1;
  useLimits(std::make_unique<DownCounter>());
  const std::size_t offset = logSize();
  auto first = connect("192.0.2.9");
  auto second = connect("192.0.2.9");
  EXPECT_EQ(second->io.take(), "220 mx.example.org ESMTP posthorn\r\n");
  const std::string log = logSince(offset);
  const std::string warning = "warning: anvil unavailable at /private/anvil";
  ASSERT_NE(log.find(warning), std::string::npos) << log;
  EXPECT_EQ(log.find(warning, log.find(warning) + 1), std::string::npos) << log;
}

TEST_F(LimitsTest, PregreetDropsAnEarlyTalker) {
  settings.greetWait = std::chrono::milliseconds(1000);
  Peer peer;
  peer.address = "192.0.2.9";
  peer.port = "41234";
  open(peer, false);
  session->start();
  EXPECT_EQ(io.take(), "220-mx.example.org ESMTP posthorn\r\n");
  EXPECT_TRUE(session->awaitingGreetWait());
  const std::size_t offset = logSize();
  EXPECT_EQ(send("EHLO hurry\r\n"), "521 5.5.1 Protocol error\r\n");
  EXPECT_TRUE(session->closing());
  EXPECT_NE(logSince(offset).find("PREGREET 12 after 0.0"), std::string::npos) << logSince(offset);
  EXPECT_NE(logSince(offset).find(" from [192.0.2.9]:41234: EHLO hurry\\r\\n"), std::string::npos)
      << logSince(offset);
}

TEST_F(LimitsTest, PregreetPatientClientAndMynetworks) {
  settings.greetWait = std::chrono::milliseconds(1000);
  start("192.0.2.9");
  EXPECT_EQ(greeting, "220-mx.example.org ESMTP posthorn\r\n");
  session->greetWaitOver();
  EXPECT_EQ(io.take(), "220 mx.example.org ESMTP posthorn\r\n");
  EXPECT_EQ(replies(send("EHLO patient\r\n")).back().rfind("250 ", 0), 0u);
  start("127.0.0.1");  // mynetworks: not tested
  EXPECT_EQ(greeting, "220 mx.example.org ESMTP posthorn\r\n");
  EXPECT_FALSE(session->awaitingGreetWait());
}

TEST_F(LimitsTest, PregreetIgnoreAnswersAfterTheGreetingAndEnforceRefusesRcpt) {
  settings.greetWait = std::chrono::milliseconds(1000);
  settings.greetAction = GreetAction::Ignore;
  start("192.0.2.9");
  EXPECT_EQ(send("NOOP\r\n"), "");
  session->greetWaitOver();
  EXPECT_EQ(io.take(), "220 mx.example.org ESMTP posthorn\r\n250 2.0.0 Ok\r\n");
  settings.greetAction = GreetAction::Enforce;
  start("192.0.2.9");
  send("EHLO early\r\n");
  session->greetWaitOver();
  EXPECT_EQ(replies(io.take()).back().rfind("250 ", 0), 0u);
  EXPECT_EQ(last("MAIL FROM:<a@example.net>\r\n"), "250 2.1.0 Ok");
  EXPECT_EQ(last("RCPT TO:<alice@example.org>\r\n"), "550 5.5.1 Protocol error");
}

}  // namespace
}  // namespace posthorn::smtpd
