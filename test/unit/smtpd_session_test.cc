// smtpd_session_test - the SMTP protocol engine, driven by scripted transcripts:
// mail transfer (DATA and BDAT, pipelining, any split of the input, bare LF,
// smuggling, lost connections, cleanup failures) and the log lines of a
// session
//
// Each test feeds client bytes to a Session (as the network would, in one
// piece or in many) and checks the replies, what reached the fake cleanup,
// and the log lines fail2ban and pflogsumm read. The policy side is in
// smtpd_session_policy_test, STARTTLS in smtpd_session_tls_test.
#include <gtest/gtest.h>

#include <unistd.h>

#include <string>
#include <vector>

#include "test/unit/smtpd_session_test_util.h"

namespace posthorn::smtpd {
namespace {

using testing::bodyAfterReceived;
using testing::lines;
using testing::logSince;
using testing::logSize;
using testing::replies;
using testing::SessionTest;

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

// Mail of the clients that are ours (mynetworks here, SASL in
// smtpd_auth_test) goes to cleanup to be DKIM-signed; the world's does not.
TEST_F(SessionTest, OnlyTrustedClientsMailIsOpenedForSigning) {
  start("192.0.2.1");
  envelope();
  EXPECT_EQ(last("DATA\r\n").substr(0, 3), "354");
  EXPECT_EQ(last("x\r\n.\r\n"), "250 2.0.0 Ok: queued as QID1");
  ASSERT_EQ(last("MAIL FROM:<sender@example.net>\r\n"), "250 2.1.0 Ok");
  ASSERT_EQ(last("RCPT TO:<alice@example.org>\r\n"), "250 2.1.5 Ok");
  EXPECT_EQ(last("BDAT 3 LAST\r\nx\r\n"), "250 2.0.0 Ok: queued as QID2");
  EXPECT_EQ(sinks.signs, (std::vector<bool>{false, false}));

  // mynetworks (127.0.0.0/8, [::1]/128): signed, with DATA and with BDAT.
  start("127.0.0.1");
  envelope();
  EXPECT_EQ(last("DATA\r\n").substr(0, 3), "354");
  EXPECT_EQ(last("x\r\n.\r\n"), "250 2.0.0 Ok: queued as QID3");
  ASSERT_EQ(last("MAIL FROM:<sender@example.net>\r\n"), "250 2.1.0 Ok");
  ASSERT_EQ(last("RCPT TO:<alice@example.org>\r\n"), "250 2.1.5 Ok");
  EXPECT_EQ(last("BDAT 3 LAST\r\nx\r\n"), "250 2.0.0 Ok: queued as QID4");
  start("::1");
  envelope();
  EXPECT_EQ(last("BDAT 3 LAST\r\nx\r\n"), "250 2.0.0 Ok: queued as QID5");
  EXPECT_EQ(sinks.signs, (std::vector<bool>{false, false, true, true, true}));

  // Just outside mynetworks: not signed.
  start("128.0.0.1");
  envelope();
  EXPECT_EQ(last("BDAT 3 LAST\r\nx\r\n"), "250 2.0.0 Ok: queued as QID6");
  start("::2");
  envelope();
  EXPECT_EQ(last("BDAT 3 LAST\r\nx\r\n"), "250 2.0.0 Ok: queued as QID7");
  EXPECT_EQ(sinks.signs, (std::vector<bool>{false, false, true, true, true, false, false}));
  EXPECT_EQ(sinks.committed.size(), 7u);
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

}  // namespace
}  // namespace posthorn::smtpd
