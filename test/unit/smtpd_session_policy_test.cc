// smtpd_session_policy_test - the SMTP session refusing and limiting: sizes,
// recipient counts, command order and syntax, relay and recipient checks,
// lookup failures, line and error limits, timeouts, non-SMTP clients, VRFY
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "test/unit/smtpd_session_test_util.h"

namespace posthorn::smtpd {
namespace {

using testing::lines;
using testing::logSince;
using testing::logSize;
using testing::replies;
using testing::SessionTest;
using AC = address::AddressClass;

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

TEST_F(SessionTest, VirtualAliasBareUserForLocalDomains) {
  // virtual(5): for $myorigin and the local domains the bare user is a key
  // too (after user@domain, before @domain), as cleanup expands it.
  settings.recipientDelimiter = "+";
  settings.virtualAliasMaps = {"hash:/etc/mail/virtual"};
  lookups.tables["hash:/etc/mail/virtual"] = {{"webmaster", "alice@example.org"},
                                              {"press", "alice@example.org"}};
  settings.myorigin = "origin.example";
  lookups.domains["origin.example"] = AC::Virtual;
  start();
  send("EHLO c\r\nMAIL FROM:<a@example.net>\r\n");
  EXPECT_EQ(last("RCPT TO:<webmaster@example.org>\r\n"), "250 2.1.5 Ok");     // mydestination
  EXPECT_EQ(last("RCPT TO:<Webmaster+x@example.org>\r\n"), "250 2.1.5 Ok");  // user, extension dropped
  EXPECT_EQ(last("RCPT TO:<press@origin.example>\r\n"), "250 2.1.5 Ok");  // $myorigin
  // Not for other classes: a virtual mailbox domain needs user@domain.
  EXPECT_EQ(last("RCPT TO:<webmaster@virtual.example>\r\n"),
            "550 5.1.1 <webmaster@virtual.example>: Recipient address rejected: User unknown in "
            "virtual mailbox table");
  EXPECT_EQ(last("RCPT TO:<webmaster@alias.example>\r\n").substr(0, 9), "550 5.1.1");
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

TEST_F(SessionTest, NonSmtpCommandHangsUp) {
  start();
  const std::size_t offset = logSize();
  EXPECT_EQ(last("GET / HTTP/1.1\r\nHost: x\r\n"), "521 5.5.1 Protocol error");
  EXPECT_EQ(io.closes, 1);
  EXPECT_NE(logSince(offset).find("warning: non-SMTP command from client.example.net[192.0.2.1]: "
                                  "GET / HTTP/1.1"),
            std::string::npos);
}

TEST_F(SessionTest, VrfyDisabled) {
  settings.disableVrfy = true;
  start();
  auto l = lines(send("EHLO c\r\n"));
  EXPECT_EQ(std::find(l.begin(), l.end(), "250-VRFY"), l.end());
  EXPECT_EQ(last("VRFY alice\r\n"), "502 5.5.1 VRFY command is disabled");
}

TEST_F(SessionTest, DmarcAllowlistHoldsNetworksAndDomains) {
  settings.dmarcAllowlist = {"example.org", "192.0.2.0/24", "[2001:db8::]/32"};
  const Policy p(settings, lookups);
  EXPECT_TRUE(p.dmarcAllowlisted("192.0.2.7", "other.test"));
  EXPECT_TRUE(p.dmarcAllowlisted("2001:db8::1", "other.test"));
  EXPECT_TRUE(p.dmarcAllowlisted("198.51.100.1", "example.org"));
  EXPECT_TRUE(p.dmarcAllowlisted("198.51.100.1", "Mail.Example.ORG"));  // a domain under it
  EXPECT_FALSE(p.dmarcAllowlisted("198.51.100.1", "badexample.org"));
  EXPECT_FALSE(p.dmarcAllowlisted("198.51.100.1", "org"));
  // Meant as an address or a network but not one: refused, not taken for a domain.
  for (const char* bad : {"192.0.2.300", "10.0.0.0/33", "[2001:db8::1"}) {
    settings.dmarcAllowlist = {bad};
    EXPECT_THROW(Policy(settings, lookups), config::ConfigError) << bad;
  }
}

}  // namespace
}  // namespace posthorn::smtpd
