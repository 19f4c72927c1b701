// smtpd_session_tls_test - STARTTLS in the SMTP session (RFC 3207): when it is
// offered, what it discards and resets, smtpd_tls_security_level=encrypt,
// and wrapper mode (465)
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "test/unit/smtpd_session_test_util.h"

namespace posthorn::smtpd {
namespace {

using testing::lines;
using testing::SessionTest;

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
  Peer peer;
  peer.address = "192.0.2.1";
  session = std::make_unique<Session>(settings, *policy, sinks, io, peer, true);
  session->start(true);
  EXPECT_EQ(io.take(), "");
  session->tlsEstablished(TlsState{"TLSv1.3", "X", "TLSv1.3 with cipher X (256/256 bits)"});
  EXPECT_EQ(io.take(), "220 mx.example.org ESMTP posthorn\r\n");
}

}  // namespace
}  // namespace posthorn::smtpd
