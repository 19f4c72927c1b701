// smtpd_session_test - the SMTP protocol engine, driven by scripted transcripts
//
// Each test feeds client bytes to a Session (as the network would, in one
// piece or in many) and checks the replies, what reached the fake cleanup,
// and the log lines fail2ban and pflogsumm read.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <unistd.h>

#include "lib/log/log.h"
#include "smtpd/smtpd_session.h"
#include "test/unit/smtpd_fakes.h"

namespace posthorn::smtpd {
namespace {

using testing::FakeIo;
using testing::FakeLookups;
using testing::FakeSinkFactory;
using AC = address::AddressClass;

std::string logPath() {
  static const std::string path = [] {
    char tmpl[] = "/tmp/smtpd_session_test.XXXXXX";
    int fd = ::mkstemp(tmpl);
    if (fd >= 0) ::close(fd);
    return std::string(tmpl);
  }();
  return path;
}

std::size_t logSize() {
  std::ifstream f(logPath(), std::ios::binary | std::ios::ate);
  return f ? static_cast<std::size_t>(f.tellg()) : 0;
}

std::string logSince(std::size_t offset) {
  std::ifstream f(logPath(), std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string all = ss.str();
  return offset < all.size() ? all.substr(offset) : "";
}

// The reply lines in `out`, without CRLF.
std::vector<std::string> lines(const std::string& out) {
  std::vector<std::string> v;
  std::size_t start = 0;
  while (start < out.size()) {
    std::size_t end = out.find("\r\n", start);
    if (end == std::string::npos) {
      v.push_back(out.substr(start));
      break;
    }
    v.push_back(out.substr(start, end - start));
    start = end + 2;
  }
  return v;
}

// The final line of each reply ("250 2.1.0 Ok"), continuation lines dropped.
std::vector<std::string> replies(const std::string& out) {
  std::vector<std::string> v;
  for (const auto& l : lines(out))
    if (l.size() >= 4 && l[3] == ' ') v.push_back(l);
  return v;
}

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::Options lo;
    lo.program = "smtpd";
    lo.maillogFile = logPath();
    lo.hostname = "testhost";
    log::init(lo);
    settings.myhostname = "mx.example.org";
    settings.mailName = "posthorn";
    settings.banner = "mx.example.org ESMTP posthorn";
    settings.myorigin = "mx.example.org";
    settings.messageSizeLimit = 10000;
    settings.recipientLimit = 5;
    settings.hardErrorLimit = 20;
    settings.mynetworks = {"127.0.0.0/8", "[::1]/128"};
    settings.bareNewlineExclusions = {};
    settings.aliasMaps = {"hash:/etc/mail/aliases"};
    lookups.domains = {{"mx.example.org", AC::Local},
                       {"example.org", AC::Local},
                       {"virtual.example", AC::Virtual},
                       {"alias.example", AC::Alias},
                       {"relayed.example", AC::Relay}};
    lookups.users = {"alice@example.org", "bob@virtual.example"};
    lookups.tables["hash:/etc/mail/aliases"] = {{"sales", "alice"}};
  }

  void start(const std::string& ip = "192.0.2.1", bool tlsAvailable = false) {
    policy = std::make_unique<Policy>(settings, lookups);
    Peer peer;
    peer.address = ip;
    peer.name = "client.example.net";
    session = std::make_unique<Session>(settings, *policy, sinks, io, peer, tlsAvailable);
    session->start();
    greeting = io.take();
  }

  // Feeds bytes in one piece; returns what the session answered.
  std::string send(const std::string& bytes) {
    session->receive(bytes);
    return io.take();
  }
  // Feeds bytes one at a time (the slowest network there is).
  std::string trickle(const std::string& bytes) {
    for (char c : bytes) session->receive(std::string_view(&c, 1));
    return io.take();
  }

  std::string last(const std::string& bytes) {
    auto r = replies(send(bytes));
    return r.empty() ? "" : r.back();
  }

  // EHLO + MAIL + RCPT to alice, answered.
  void envelope(const std::string& mailParams = "") {
    ASSERT_EQ(replies(send("EHLO client.example.net\r\n")).size(), 1u);
    ASSERT_EQ(last("MAIL FROM:<sender@example.net>" + mailParams + "\r\n"), "250 2.1.0 Ok");
    ASSERT_EQ(last("RCPT TO:<alice@example.org>\r\n"), "250 2.1.5 Ok");
  }

  Settings settings{config::Config::defaults()};
  FakeLookups lookups;
  FakeSinkFactory sinks;
  FakeIo io;
  std::unique_ptr<Policy> policy;
  std::unique_ptr<Session> session;
  std::string greeting;
};

// The content after our Received: header (which ends at the first line
// that does not start with a tab, after "Received:").
std::string bodyAfterReceived(const std::string& content) {
  EXPECT_EQ(content.rfind("Received: ", 0), 0u) << content;
  std::size_t pos = 0;
  while (true) {
    std::size_t nl = content.find("\r\n", pos);
    if (nl == std::string::npos) return "";
    pos = nl + 2;
    if (pos >= content.size() || content[pos] != '\t') return content.substr(pos);
  }
}

TEST_F(SessionTest, GreetingAndEhloKeywords) {
  start();
  EXPECT_EQ(greeting, "220 mx.example.org ESMTP posthorn\r\n");
  auto l = lines(send("EHLO client.example.net\r\n"));
  std::vector<std::string> expected = {"250-mx.example.org", "250-PIPELINING", "250-SIZE 10000",
                                       "250-VRFY", "250-ENHANCEDSTATUSCODES", "250-8BITMIME",
                                       "250-DSN", "250-SMTPUTF8", "250 CHUNKING"};
  EXPECT_EQ(l, expected);
  EXPECT_EQ(session->helo(), "client.example.net");
  EXPECT_EQ(send("HELO other\r\n"), "250 mx.example.org\r\n");
}

TEST_F(SessionTest, StarttlsOfferedOnlyWithCertificateAndDiscardedKeywords) {
  start("192.0.2.1", true);
  auto l = lines(send("EHLO x\r\n"));
  EXPECT_NE(std::find(l.begin(), l.end(), "250-STARTTLS"), l.end());
  settings.discardEhloKeywords = {"PIPELINING", "CHUNKING", "STARTTLS"};
  l = lines(send("EHLO x\r\n"));
  EXPECT_EQ(std::find(l.begin(), l.end(), "250-PIPELINING"), l.end());
  EXPECT_EQ(std::find(l.begin(), l.end(), "250-STARTTLS"), l.end());
  EXPECT_EQ(l.back(), "250 SMTPUTF8");
  EXPECT_EQ(last("STARTTLS\r\n"), "502 5.5.1 Error: command not implemented");
}

TEST_F(SessionTest, OneMessageDotUnstuffedWithEnvelope) {
  start();
  envelope(" SIZE=100 BODY=8BITMIME RET=HDRS ENVID=abc+2Bdef");
  EXPECT_EQ(last("RCPT TO:<bob@virtual.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob+2Bx@virtual.example\r\n"),
            "250 2.1.5 Ok");
  EXPECT_EQ(send("DATA\r\n"), "354 End data with <CR><LF>.<CR><LF>\r\n");
  EXPECT_EQ(send("Subject: hi\r\n\r\n..leading dot\r\n.\r\n"), "250 2.0.0 Ok: queued as QID1\r\n");
  ASSERT_EQ(sinks.committed.size(), 1u);
  const auto& m = sinks.committed[0];
  EXPECT_EQ(bodyAfterReceived(m.content), "Subject: hi\r\n\r\n.leading dot\r\n");
  EXPECT_EQ(m.envelope.sender, "sender@example.net");
  EXPECT_EQ(m.envelope.envid, "abc+def");
  EXPECT_EQ(m.envelope.ret, queue::Ret::Headers);
  EXPECT_EQ(m.envelope.body, queue::BodyType::EightBitMime);
  EXPECT_EQ(m.envelope.client.address, "192.0.2.1");
  EXPECT_EQ(m.envelope.client.name, "client.example.net");
  EXPECT_EQ(m.envelope.client.helo, "client.example.net");
  EXPECT_EQ(m.envelope.client.protocol, "ESMTP");
  ASSERT_EQ(m.envelope.recipients.size(), 2u);
  EXPECT_EQ(m.envelope.recipients[0].address, "alice@example.org");
  EXPECT_EQ(m.envelope.recipients[0].notify, 0);
  EXPECT_EQ(m.envelope.recipients[1].address, "bob@virtual.example");
  EXPECT_EQ(m.envelope.recipients[1].orcpt, "rfc822;bob+x@virtual.example");
  EXPECT_EQ(m.envelope.recipients[1].notify, queue::notify::kSuccess | queue::notify::kFailure);
  // Two recipients: no "for <...>" in the Received: header.
  EXPECT_EQ(m.content.find("\tfor <"), std::string::npos);
  EXPECT_NE(m.content.find("\tby mx.example.org (posthorn) with ESMTP id QID1;"), std::string::npos)
      << m.content;
  EXPECT_FALSE(session->inTransaction());
}

TEST_F(SessionTest, ReceivedHeaderNamesTheOnlyRecipientAndTheClient) {
  start();
  envelope();
  send("DATA\r\n");
  send("x\r\n.\r\n");
  ASSERT_EQ(sinks.committed.size(), 1u);
  const std::string& c = sinks.committed[0].content;
  EXPECT_EQ(c.rfind("Received: from client.example.net (client.example.net [192.0.2.1])\r\n"
                    "\tby mx.example.org (posthorn) with ESMTP id QID1\r\n"
                    "\tfor <alice@example.org>; ",
                    0),
            0u)
      << c;
}

TEST_F(SessionTest, PipelinedTransactionsAnsweredInOrderInOneFlush) {
  start();
  std::string out = send(
      "EHLO c\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<alice@example.org>\r\n"
      "RCPT TO:<nobody@example.org>\r\nDATA\r\n");
  auto r = replies(out);
  ASSERT_EQ(r.size(), 5u) << out;
  EXPECT_EQ(r[1], "250 2.1.0 Ok");
  EXPECT_EQ(r[2], "250 2.1.5 Ok");
  EXPECT_EQ(r[3].substr(0, 10), "550 5.1.1 ");
  EXPECT_EQ(r[4], "354 End data with <CR><LF>.<CR><LF>");
  out = send("one\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<sales@example.org>\r\nDATA\r\n");
  r = replies(out);
  ASSERT_EQ(r.size(), 4u) << out;
  EXPECT_EQ(r[0], "250 2.0.0 Ok: queued as QID1");
  EXPECT_EQ(r[3].substr(0, 3), "354");
  out = send("two\r\n.\r\nQUIT\r\n");
  EXPECT_EQ(replies(out), (std::vector<std::string>{"250 2.0.0 Ok: queued as QID2", "221 2.0.0 Bye"}));
  EXPECT_EQ(io.closes, 1);
  ASSERT_EQ(sinks.committed.size(), 2u);
  EXPECT_EQ(sinks.committed[1].envelope.sender, "");
  EXPECT_EQ(bodyAfterReceived(sinks.committed[1].content), "two\r\n");
}

TEST_F(SessionTest, ByteAtATimeGivesTheSameResult) {
  start();
  std::string out = trickle(
      "EHLO c\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n"
      "l1\r\n..\r\n.x\r\n\r\n.\r\nQUIT\r\n");
  EXPECT_EQ(replies(out).size(), 6u) << out;
  ASSERT_EQ(sinks.committed.size(), 1u);
  EXPECT_EQ(bodyAfterReceived(sinks.committed[0].content), "l1\r\n.\r\nx\r\n\r\n");
}

TEST_F(SessionTest, SmugglingSequencesNeverEndTheMessage) {
  for (const std::string smuggle : {"\r\n.\n", "\n.\n", "\n.\r\n", "\r.\r", "\r\n.\r"}) {
    SCOPED_TRACE(::testing::PrintToString(smuggle));
    sinks.committed.clear();
    start();
    envelope();
    send("DATA\r\n");
    std::string out = send("Subject: a\r\n\r\nbody" + smuggle +
                           "MAIL FROM:<evil@example.net>\r\nRCPT TO:<alice@example.org>\r\n"
                           "DATA\r\nSubject: smuggled\r\n\r\nx\r\n.\r\n");
    // One reply only: the end of the one message.
    EXPECT_EQ(replies(out), std::vector<std::string>{"250 2.0.0 Ok: queued as QID" +
                                                     std::to_string(sinks.opened)});
    ASSERT_EQ(sinks.committed.size(), 1u);
    EXPECT_NE(sinks.committed[0].content.find("MAIL FROM:<evil@example.net>"), std::string::npos);
    EXPECT_NE(sinks.committed[0].content.find("Subject: smuggled"), std::string::npos);
    EXPECT_EQ(sinks.committed[0].envelope.recipients.size(), 1u);
  }
}

TEST_F(SessionTest, BareLfNormalisedByDefault) {
  start();
  envelope();
  send("DATA\r\n");
  EXPECT_EQ(last("a\nb\r\nc\n.\r\n.\r\n"), "250 2.0.0 Ok: queued as QID1");
  ASSERT_EQ(sinks.committed.size(), 1u);
  // "c\n.\r\n": the line after a bare LF is content (the dot removed).
  EXPECT_EQ(bodyAfterReceived(sinks.committed[0].content), "a\r\nb\r\nc\r\n\r\n");
}

TEST_F(SessionTest, BareLfRejectedWhenConfigured) {
  settings.bareNewline = BareNewline::Reject;
  start();
  envelope();
  send("DATA\r\n");
  std::string out = send("a\nsmuggled\r\n");
  EXPECT_EQ(out, "");  // nothing before the end of the content
  EXPECT_EQ(sinks.aborted, 1);  // but cleanup was told to drop it at once
  EXPECT_EQ(last("more\r\n.\r\n"), "550 5.5.2 Error: bare <LF> received");
  EXPECT_TRUE(sinks.committed.empty());
  EXPECT_FALSE(session->inTransaction());
  // And a bare LF after a command is refused too.
  EXPECT_EQ(last("NOOP\n"), "500 5.5.2 Error: bare <LF> received");
  EXPECT_EQ(last("NOOP\r\n"), "250 2.0.0 Ok");
}

TEST_F(SessionTest, BareLfExclusionsAreNormalised) {
  settings.bareNewline = BareNewline::Reject;
  settings.bareNewlineExclusions = {"192.0.2.0/24"};
  start("192.0.2.9");
  envelope();
  send("DATA\r\n");
  EXPECT_EQ(last("a\nb\n.\r\n.\r\n"), "250 2.0.0 Ok: queued as QID1");
}

TEST_F(SessionTest, ConnectionLostBeforeTheDotLeavesNoMessage) {
  start();
  envelope();
  send("DATA\r\n");
  send("Subject: x\r\n\r\npart of the body\r\n");
  const std::size_t offset = logSize();
  session->closed();
  EXPECT_TRUE(sinks.committed.empty());
  EXPECT_EQ(sinks.aborted, 1);
  EXPECT_EQ(sinks.leaked, 0);
  const std::string log = logSince(offset);
  EXPECT_NE(log.find("lost connection after DATA from client.example.net[192.0.2.1]"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("disconnect from client.example.net[192.0.2.1] ehlo=1 mail=1 rcpt=1 data=0/1 "
                     "commands=3/4"),
            std::string::npos)
      << log;
}

TEST_F(SessionTest, SizeDeclaredTooBig) {
  start();
  send("EHLO c\r\n");
  EXPECT_EQ(last("MAIL FROM:<a@example.net> SIZE=10001\r\n"),
            "552 5.3.4 Message size exceeds fixed limit");
  EXPECT_EQ(last("MAIL FROM:<a@example.net> SIZE=10000\r\n"), "250 2.1.0 Ok");
}

TEST_F(SessionTest, SizeExceededMidStreamAbortsAtOnce) {
  start();
  envelope();
  send("DATA\r\n");
  std::string line(99, 'x');
  line += "\r\n";
  std::string out;
  for (int i = 0; i < 120; ++i) out += send(line);  // 12,120 bytes > 10,000
  EXPECT_EQ(out, "");
  EXPECT_EQ(sinks.aborted, 1);                 // aborted before the end
  EXPECT_LE(sinks.largestWrite, Session::kFlushSize + 4096);
  EXPECT_EQ(last(".\r\n"), "552 5.3.4 Error: message file too big");
  EXPECT_TRUE(sinks.committed.empty());
  // The session goes on.
  envelope();
}

TEST_F(SessionTest, RecipientLimit) {
  start();
  send("EHLO c\r\nMAIL FROM:<a@example.net>\r\n");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(last("RCPT TO:<alice@example.org>\r\n"), "250 2.1.5 Ok");
  const std::size_t offset = logSize();
  EXPECT_EQ(last("RCPT TO:<alice@example.org>\r\n"), "452 4.5.3 Error: too many recipients");
  EXPECT_NE(logSince(offset).find("NOQUEUE: reject: RCPT from client.example.net[192.0.2.1]: "
                                  "452 4.5.3 Error: too many recipients; from=<a@example.net> "
                                  "to=<alice@example.org> proto=ESMTP helo=<c>"),
            std::string::npos);
}

TEST_F(SessionTest, NonAsciiAddressNeedsSmtputf8) {
  start();
  send("EHLO c\r\n");
  EXPECT_EQ(last("MAIL FROM:<j\xc3\xb6rg@example.net>\r\n"),
            "553 5.6.7 Must declare SMTPUTF8 to send unicode address");
  EXPECT_EQ(last("MAIL FROM:<a@example.net>\r\n"), "250 2.1.0 Ok");
  EXPECT_EQ(last("RCPT TO:<j\xc3\xb6rg@example.org>\r\n"),
            "553 5.6.7 Must declare SMTPUTF8 to send unicode address");
  send("RSET\r\n");
  lookups.users.insert("j\xc3\xb6rg@example.org");
  EXPECT_EQ(last("MAIL FROM:<j\xc3\xb6rg@example.net> SMTPUTF8\r\n"), "250 2.1.0 Ok");
  EXPECT_EQ(last("RCPT TO:<j\xc3\xb6rg@example.org>\r\n"), "250 2.1.5 Ok");
  send("DATA\r\n");
  EXPECT_EQ(last("x\r\n.\r\n"), "250 2.0.0 Ok: queued as QID1");
  EXPECT_TRUE(sinks.committed[0].envelope.smtputf8);
  EXPECT_EQ(sinks.committed[0].envelope.client.protocol, "UTF8SMTP");
}

TEST_F(SessionTest, CommandsOutOfOrder) {
  start();
  EXPECT_EQ(last("RCPT TO:<alice@example.org>\r\n"), "503 5.5.1 Error: need MAIL command");
  EXPECT_EQ(last("DATA\r\n"), "503 5.5.1 Error: need RCPT command");
  EXPECT_EQ(last("MAIL FROM:<a@example.net>\r\n"), "250 2.1.0 Ok");
  EXPECT_EQ(last("MAIL FROM:<a@example.net>\r\n"), "503 5.5.1 Error: nested MAIL command");
  EXPECT_EQ(last("DATA\r\n"), "554 5.5.1 Error: no valid recipients");
  EXPECT_EQ(last("BDAT 5 LAST\r\nhello"), "554 5.5.1 Error: no valid recipients");
  EXPECT_EQ(last("NOOP\r\n"), "250 2.0.0 Ok");  // the chunk was consumed
  EXPECT_TRUE(sinks.committed.empty());
}

TEST_F(SessionTest, BareAddressesOnlyWithoutStrictEnvelopes) {
  start();
  EXPECT_EQ(last("MAIL FROM:a@example.net\r\n"), "250 2.1.0 Ok");
  EXPECT_EQ(last("RSET\r\n"), "250 2.0.0 Ok");
  settings.strictEnvelopes = true;
  start();
  const std::string reply = last("MAIL FROM:a@example.net\r\n");
  EXPECT_EQ(reply.substr(0, 9), "501 5.1.7") << reply;
  EXPECT_EQ(last("MAIL FROM:<a@example.net>\r\n"), "250 2.1.0 Ok");
  const std::string rcpt = last("RCPT TO:alice@example.org\r\n");
  EXPECT_EQ(rcpt.substr(0, 9), "501 5.1.3") << rcpt;
}

TEST_F(SessionTest, HeloRequired) {
  settings.heloRequired = true;
  start();
  EXPECT_EQ(last("MAIL FROM:<a@example.net>\r\n"), "503 5.5.1 Error: send HELO/EHLO first");
  send("HELO c\r\n");
  EXPECT_EQ(last("MAIL FROM:<a@example.net>\r\n"), "250 2.1.0 Ok");
}

TEST_F(SessionTest, SyntaxErrors) {
  start();
  EXPECT_EQ(last("FOO\r\n"), "500 5.5.2 Error: command not recognized");
  EXPECT_EQ(last("\r\n"), "500 5.5.2 Error: bad syntax");
  EXPECT_EQ(last("EHLO\r\n"), "501 5.5.4 Syntax: EHLO hostname");
  EXPECT_EQ(last("HELO \r\n"), "501 5.5.4 Syntax: HELO hostname");
  EXPECT_EQ(last("MAIL TO:<a@b>\r\n"), "501 5.5.4 Syntax: MAIL FROM:<address>");
  EXPECT_EQ(last("MAIL FROM:<a b@c>\r\n"), "501 5.1.7 Bad sender address syntax");
  EXPECT_EQ(last("MAIL FROM:<a@example.net> FOO=1\r\n"), "555 5.5.4 Unsupported option: FOO=1");
  EXPECT_EQ(last("MAIL FROM:<a@example.net> BODY=BINARYMIME\r\n").substr(0, 9), "501 5.5.4");
  EXPECT_EQ(last("MAIL FROM:<a@example.net> SIZE=abc\r\n"), "501 5.5.4 Bad SIZE syntax");
  EXPECT_EQ(last("MAIL FROM:<a@example.net> ENVID=a+zz\r\n"), "501 5.5.4 Bad ENVID syntax");
  EXPECT_EQ(last("mail from: <a@example.net>\r\n"), "250 2.1.0 Ok");  // lenient, as Postfix
  EXPECT_EQ(last("RCPT TO:<>\r\n"), "501 5.1.3 Bad recipient address syntax");
  EXPECT_EQ(last("RCPT TO:<alice@example.org> NOTIFY=NEVER,SUCCESS\r\n"), "501 5.5.4 Bad NOTIFY syntax");
  EXPECT_EQ(last("RCPT TO:<alice@example.org> ORCPT=rfc822\r\n"), "501 5.5.4 Bad ORCPT syntax");
  EXPECT_EQ(last("RCPT alice@example.org\r\n"), "501 5.5.4 Syntax: RCPT TO:<address>");
  EXPECT_EQ(last("DATA now\r\n"), "501 5.5.4 Syntax: DATA");
  EXPECT_EQ(last("RSET x\r\n"), "501 5.5.4 Syntax: RSET");
  EXPECT_EQ(last("VRFY\r\n"), "501 5.5.4 Syntax: VRFY address");
  EXPECT_EQ(last("VRFY alice\r\n"),
            "252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery");
  EXPECT_EQ(last("NOOP\x01\r\n"), "500 5.5.2 Error: bad syntax");
}

TEST_F(SessionTest, EveryReplyAfterTheGreetingCarriesAnEnhancedCode) {
  start();
  std::string out = send(
      "EHLO c\r\nHELP\r\nNOOP\r\nVRFY x\r\nFOO\r\nMAIL FROM:<a@example.net>\r\n"
      "RCPT TO:<x@elsewhere.example>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n");
  out += send("x\r\n.\r\nRSET\r\nQUIT\r\n");
  const std::regex withCode(R"(^[245]\d\d[ -][245]\.\d{1,3}\.\d{1,3} .*)");
  for (const auto& l : lines(out)) {
    if (l.rfind("250-", 0) == 0 || l == "250 CHUNKING" || l.rfind("354 ", 0) == 0) continue;
    EXPECT_TRUE(std::regex_match(l, withCode)) << l;
  }
}

TEST_F(SessionTest, RelayDeniedUnlessTrusted) {
  start("192.0.2.1");
  send("EHLO c\r\nMAIL FROM:<a@example.net>\r\n");
  const std::size_t offset = logSize();
  EXPECT_EQ(last("RCPT TO:<x@elsewhere.example>\r\n"),
            "554 5.7.1 <x@elsewhere.example>: Relay access denied");
  EXPECT_NE(logSince(offset).find(
                "NOQUEUE: reject: RCPT from client.example.net[192.0.2.1]: 554 5.7.1 "
                "<x@elsewhere.example>: Relay access denied; from=<a@example.net> "
                "to=<x@elsewhere.example> proto=ESMTP helo=<c>"),
            std::string::npos)
      << logSince(offset);
  EXPECT_EQ(last("RCPT TO:<x@relayed.example>\r\n"), "250 2.1.5 Ok");  // relay_domains

  start("127.0.0.1");
  send("EHLO c\r\nMAIL FROM:<a@example.net>\r\n");
  EXPECT_EQ(last("RCPT TO:<x@elsewhere.example>\r\n"), "250 2.1.5 Ok");

  settings.relayRejectCode = 450;
  start("192.0.2.1");
  send("EHLO c\r\nMAIL FROM:<a@example.net>\r\n");
  EXPECT_EQ(last("RCPT TO:<x@elsewhere.example>\r\n"),
            "450 4.7.1 <x@elsewhere.example>: Relay access denied");
}

TEST_F(SessionTest, LocalVirtualAndAliasRecipients) {
  settings.recipientLimit = 100;
  start();
  send("EHLO c\r\nMAIL FROM:<a@example.net>\r\n");
  EXPECT_EQ(last("RCPT TO:<Alice@EXAMPLE.org>\r\n"), "250 2.1.5 Ok");
  EXPECT_EQ(last("RCPT TO:<nobody@example.org>\r\n"),
            "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in local "
            "recipient table");
  EXPECT_EQ(last("RCPT TO:<Sales@example.org>\r\n"), "250 2.1.5 Ok");     // alias_maps
  EXPECT_EQ(last("RCPT TO:<postmaster@example.org>\r\n"), "250 2.1.5 Ok");
  EXPECT_EQ(last("RCPT TO:<postmaster>\r\n"), "250 2.1.5 Ok");  // RFC 5321 4.5.1
  EXPECT_EQ(last("RCPT TO:<bob@virtual.example>\r\n"), "250 2.1.5 Ok");
  EXPECT_EQ(last("RCPT TO:<carol@virtual.example>\r\n"),
            "550 5.1.1 <carol@virtual.example>: Recipient address rejected: User unknown in "
            "virtual mailbox table");
  EXPECT_EQ(last("RCPT TO:<x@alias.example>\r\n").substr(0, 9), "550 5.1.1");
}

TEST_F(SessionTest, RecipientDelimiterAndVirtualAliases) {
  settings.recipientDelimiter = "+";
  settings.virtualAliasMaps = {"hash:/etc/mail/virtual"};
  lookups.tables["hash:/etc/mail/virtual"] = {{"info@alias.example", "alice@example.org"},
                                              {"@catchall.example", "alice@example.org"}};
  lookups.domains["catchall.example"] = AC::Alias;
  start();
  send("EHLO c\r\nMAIL FROM:<a@example.net>\r\n");
  EXPECT_EQ(last("RCPT TO:<sales+spring@example.org>\r\n"), "250 2.1.5 Ok");
  EXPECT_EQ(last("RCPT TO:<info@alias.example>\r\n"), "250 2.1.5 Ok");
  EXPECT_EQ(last("RCPT TO:<info+x@alias.example>\r\n"), "250 2.1.5 Ok");
  EXPECT_EQ(last("RCPT TO:<anything@catchall.example>\r\n"), "250 2.1.5 Ok");
  EXPECT_EQ(last("RCPT TO:<other@alias.example>\r\n").substr(0, 9), "550 5.1.1");
}

TEST_F(SessionTest, LookupFailuresAreTemporary) {
  start();
  send("EHLO c\r\nMAIL FROM:<a@example.net>\r\n");
  lookups.userdbDown = true;
  EXPECT_EQ(last("RCPT TO:<alice@example.org>\r\n"),
            "451 4.3.0 <alice@example.org>: Temporary lookup failure");
  EXPECT_EQ(last("RCPT TO:<bob@virtual.example>\r\n"),
            "451 4.3.0 <bob@virtual.example>: Temporary lookup failure");
  lookups.userdbDown = false;
  lookups.mapdDown = true;
  EXPECT_EQ(last("RCPT TO:<sales@example.org>\r\n"),
            "451 4.3.0 <sales@example.org>: Temporary lookup failure");
  EXPECT_EQ(last("RCPT TO:<alice@example.org>\r\n"), "250 2.1.5 Ok");  // userdb answers first
  lookups.mapdDown = false;
  lookups.resolverDown = true;
  EXPECT_EQ(last("RCPT TO:<x@elsewhere.example>\r\n"),
            "451 4.3.0 <x@elsewhere.example>: Temporary lookup failure");
}

TEST_F(SessionTest, CommandLineLimits) {
  start();
  send("EHLO c\r\n");
  EXPECT_EQ(last("NOOP " + std::string(510, 'x') + "\r\n"), "500 5.5.2 Error: line too long");
  EXPECT_EQ(last("NOOP " + std::string(505, 'x') + "\r\n"), "250 2.0.0 Ok");
  // MAIL may be longer (RFC 3461, 4954).
  EXPECT_EQ(last("MAIL FROM:<a@example.net> ENVID=" + std::string(100, 'e') + "\r\n"),
            "250 2.1.0 Ok");
  // A line that never ends within the buffer is dropped up to its LF: one reply.
  std::string out = send(std::string(Session::kMaxLineBuffer * 3, 'y'));
  EXPECT_EQ(out, "");
  EXPECT_EQ(replies(send("yyy\r\nNOOP\r\n")),
            (std::vector<std::string>{"500 5.5.2 Error: line too long", "250 2.0.0 Ok"}));
}

TEST_F(SessionTest, HardErrorLimitDisconnects) {
  settings.hardErrorLimit = 3;
  start();
  const std::size_t offset = logSize();
  std::string out = send("FOO\r\nBAR\r\nBAZ\r\nNOOP\r\n");
  EXPECT_EQ(replies(out), (std::vector<std::string>{
                              "500 5.5.2 Error: command not recognized",
                              "500 5.5.2 Error: command not recognized",
                              "500 5.5.2 Error: command not recognized",
                              "421 4.7.0 mx.example.org Error: too many errors"}));
  EXPECT_EQ(io.closes, 1);
  EXPECT_TRUE(session->closing());
  session->closed();
  const std::string log = logSince(offset);
  EXPECT_NE(log.find("too many errors after UNKNOWN from client.example.net[192.0.2.1]"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("disconnect from client.example.net[192.0.2.1] unknown=0/3 commands=0/3"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("lost connection"), std::string::npos);
}

TEST_F(SessionTest, TimeoutDisconnectsAndDropsTheMessage) {
  start();
  envelope();
  send("DATA\r\nhalf a message\r\n");
  const std::size_t offset = logSize();
  session->timedOut();
  EXPECT_EQ(io.take(), "421 4.4.2 mx.example.org Error: timeout exceeded\r\n");
  EXPECT_EQ(io.closes, 1);
  EXPECT_EQ(sinks.aborted, 1);
  EXPECT_TRUE(sinks.committed.empty());
  EXPECT_NE(logSince(offset).find("timeout after DATA from client.example.net[192.0.2.1]"),
            std::string::npos);
}

TEST_F(SessionTest, StarttlsDropsPipelinedPlaintextAndResetsState) {
  start("192.0.2.1", true);
  send("EHLO c\r\n");
  std::string out = send("STARTTLS\r\nMAIL FROM:<injected@example.net>\r\nRSET\r\n");
  EXPECT_EQ(out, "220 2.0.0 Ready to start TLS\r\n");  // nothing for the injected commands
  EXPECT_EQ(io.tlsStarts, 1);
  // Bytes arriving before the handshake completes are not commands either.
  EXPECT_EQ(send("NOOP\r\n"), "");
  session->tlsEstablished(TlsState{"TLSv1.3", "TLS_AES_256_GCM_SHA384",
                                   "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"});
  EXPECT_TRUE(session->inTls());
  EXPECT_EQ(io.take(), "");  // no second greeting (RFC 3207)
  EXPECT_EQ(session->helo(), "");
  auto l = lines(send("EHLO c\r\n"));
  EXPECT_EQ(std::find(l.begin(), l.end(), "250-STARTTLS"), l.end());
  EXPECT_EQ(last("STARTTLS\r\n"), "554 5.5.1 Error: TLS already active");
  EXPECT_EQ(last("MAIL FROM:<a@example.net>\r\n"), "250 2.1.0 Ok");
  EXPECT_EQ(last("RCPT TO:<alice@example.org>\r\n"), "250 2.1.5 Ok");
  send("DATA\r\n");
  EXPECT_EQ(last("x\r\n.\r\n"), "250 2.0.0 Ok: queued as QID1");
  const auto& m = sinks.committed.at(0);
  EXPECT_EQ(m.envelope.client.protocol, "ESMTPS");
  EXPECT_EQ(m.envelope.client.tlsProtocol, "TLSv1.3");
  EXPECT_NE(m.content.find("\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n"
                           "\tby mx.example.org (posthorn) with ESMTPS id QID1"),
            std::string::npos)
      << m.content;
}

TEST_F(SessionTest, StarttlsRulesAndEncryptLevel) {
  settings.tlsLevel = TlsLevel::Encrypt;
  start("192.0.2.1", true);
  send("EHLO c\r\n");
  EXPECT_EQ(last("MAIL FROM:<a@example.net>\r\n"), "530 5.7.0 Must issue a STARTTLS command first");
  EXPECT_EQ(last("STARTTLS now\r\n"), "501 5.5.4 Syntax: STARTTLS");
  EXPECT_EQ(last("NOOP\r\n"), "250 2.0.0 Ok");
  EXPECT_EQ(last("STARTTLS\r\n"), "220 2.0.0 Ready to start TLS");
  session->tlsFailed("handshake failure");
  EXPECT_TRUE(session->closing());
  session->closed();
}

TEST_F(SessionTest, StarttlsRefusedInsideATransaction) {
  start("192.0.2.1", true);
  send("EHLO c\r\nMAIL FROM:<a@example.net>\r\n");
  EXPECT_EQ(last("STARTTLS\r\n"), "503 5.5.1 Error: MAIL transaction in progress");
  EXPECT_EQ(io.tlsStarts, 0);
}

TEST_F(SessionTest, WrapperModeGreetsAfterTheHandshake) {
  policy = std::make_unique<Policy>(settings, lookups);
  Peer peer{"192.0.2.1", "unknown"};
  session = std::make_unique<Session>(settings, *policy, sinks, io, peer, true);
  session->start(true);
  EXPECT_EQ(io.take(), "");
  session->tlsEstablished(TlsState{"TLSv1.3", "X", "TLSv1.3 with cipher X (256/256 bits)"});
  EXPECT_EQ(io.take(), "220 mx.example.org ESMTP posthorn\r\n");
}

TEST_F(SessionTest, BdatChunksArriveByteExact) {
  start();
  envelope();
  const std::string part1 = "Subject: c\r\n\r\nline\r\n.\r\n";  // no end marker in BDAT
  const std::string part2 = "..dots stay\r\n";
  std::string out = send("BDAT " + std::to_string(part1.size()) + "\r\n" + part1 + "BDAT " +
                         std::to_string(part2.size()) + " LAST\r\n" + part2);
  EXPECT_EQ(replies(out), (std::vector<std::string>{
                              "250 2.0.0 Ok: " + std::to_string(part1.size()) + " bytes",
                              "250 2.0.0 Ok: queued as QID1"}));
  ASSERT_EQ(sinks.committed.size(), 1u);
  EXPECT_EQ(bodyAfterReceived(sinks.committed[0].content), part1 + part2);
  EXPECT_EQ(last("DATA\r\n"), "503 5.5.1 Error: need RCPT command");
}

TEST_F(SessionTest, BdatSplitAcrossReadsAndZeroLast) {
  start();
  envelope();
  EXPECT_EQ(send("BDAT 10\r\n01234"), "");
  EXPECT_EQ(last("56789"), "250 2.0.0 Ok: 10 bytes");
  EXPECT_EQ(last("BDAT 0 LAST\r\n"), "250 2.0.0 Ok: queued as QID1");
  EXPECT_EQ(bodyAfterReceived(sinks.committed.at(0).content), "0123456789");
}

TEST_F(SessionTest, BdatTooBigAndSyntaxError) {
  start();
  envelope();
  std::string out = send("BDAT 20000\r\n" + std::string(20000, 'z'));
  EXPECT_EQ(replies(out), std::vector<std::string>{"552 5.3.4 Error: message file too big"});
  EXPECT_EQ(sinks.aborted, 1);
  EXPECT_EQ(last("BDAT 3 LAST\r\nabc"), "552 5.3.4 Error: message file too big");
  EXPECT_FALSE(session->inTransaction());
  EXPECT_EQ(last("BDAT many\r\n"), "501 5.5.4 Syntax: BDAT count [LAST]");
  EXPECT_TRUE(session->closing());
  EXPECT_TRUE(sinks.committed.empty());
}

TEST_F(SessionTest, CleanupFailures) {
  settings.messageSizeLimit = 0;  // no limit
  start();
  envelope();
  sinks.failOpen = true;
  EXPECT_EQ(last("DATA\r\n"), "451 4.3.0 Error: queue file write error");
  EXPECT_FALSE(session->inTransaction());
  sinks.failOpen = false;
  envelope();
  send("DATA\r\n");
  sinks.failWrite = true;
  EXPECT_EQ(send(std::string(Session::kFlushSize + 10, 'a')), "");
  EXPECT_EQ(last("\r\n.\r\n"), "451 4.3.0 Error: queue file write error");
  sinks.failWrite = false;
  envelope();
  send("DATA\r\n");
  sinks.finishReply = Reply(554, "5.4.6", "Error: too many hops");
  EXPECT_EQ(last("x\r\n.\r\n"), "554 5.4.6 Error: too many hops");
  EXPECT_EQ(sinks.leaked, 0);
}

TEST_F(SessionTest, RsetAndQuitAbortAnOpenMessage) {
  start();
  envelope();
  EXPECT_EQ(last("RSET\r\n"), "250 2.0.0 Ok");
  EXPECT_FALSE(session->inTransaction());
  envelope();
  send("BDAT 3\r\nabc");
  EXPECT_EQ(sinks.opened, 1);
  EXPECT_EQ(last("QUIT\r\n"), "221 2.0.0 Bye");
  EXPECT_EQ(sinks.aborted, 1);
  EXPECT_TRUE(sinks.committed.empty());
}

TEST_F(SessionTest, NonSmtpCommandHangsUp) {
  start();
  const std::size_t offset = logSize();
  EXPECT_EQ(last("GET / HTTP/1.1\r\nHost: x\r\n"), "521 5.5.1 Protocol error");
  EXPECT_EQ(io.closes, 1);
  EXPECT_NE(logSince(offset).find("warning: non-SMTP command from client.example.net[192.0.2.1]: "
                                  "GET / HTTP/1.1"),
            std::string::npos);
}

TEST_F(SessionTest, LogLinesForAnAcceptedMessage) {
  const std::size_t offset = logSize();
  start();
  envelope();
  send("DATA\r\nx\r\n.\r\nQUIT\r\n");
  session->closed();
  const std::string log = logSince(offset);
  EXPECT_NE(log.find("posthorn/smtpd[" + std::to_string(::getpid()) +
                     "]: connect from client.example.net[192.0.2.1]"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("QID1: client=client.example.net[192.0.2.1]"), std::string::npos) << log;
  EXPECT_NE(log.find("disconnect from client.example.net[192.0.2.1] ehlo=1 mail=1 rcpt=1 data=1 "
                     "quit=1 commands=5\n"),
            std::string::npos)
      << log;
}

TEST_F(SessionTest, VrfyDisabled) {
  settings.disableVrfy = true;
  start();
  auto l = lines(send("EHLO c\r\n"));
  EXPECT_EQ(std::find(l.begin(), l.end(), "250-VRFY"), l.end());
  EXPECT_EQ(last("VRFY alice\r\n"), "502 5.5.1 VRFY command is disabled");
}

}  // namespace
}  // namespace posthorn::smtpd
