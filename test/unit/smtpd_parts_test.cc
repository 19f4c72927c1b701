// smtpd_parts_test - the pieces under the SMTP session: the DATA reader,
// ESMTP parameters and xtext, replies, counters, the Received: header,
// smtpd's settings and lib/tls's protocol parsing
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <ctime>

#include "lib/config/config.h"
#include "smtpd/data_reader.h"
#include "smtpd/esmtp_params.h"
#include "smtpd/smtp_reply.h"
#include "smtpd/smtpd_received.h"
#include "smtpd/smtpd_settings.h"
#include "smtpd/smtpd_stats.h"

namespace posthorn::smtpd {
namespace {

struct DataCase {
  std::string in;
  std::string content;  // what comes out
  bool done;
  std::size_t consumed;
  bool bareLf;
  bool bareCr;
};

TEST(DataReader, Table) {
  const DataCase cases[] = {
      {".\r\n", "", true, 3, false, false},
      {"a\r\n.\r\nNEXT", "a\r\n", true, 6, false, false},
      {"..\r\n.\r\n", ".\r\n", true, 7, false, false},
      {".a\r\n.\r\n", "a\r\n", true, 7, false, false},
      {"a\r\n.\n", "a\r\n\r\n", false, 5, true, false},     // "\r\n.\n" is content
      {"a\n.\n", "a\r\n\r\n", false, 4, true, false},
      {"a\n.\r\n", "a\r\n\r\n", false, 5, true, false},     // the line before had a bare LF
      {"a\n.\r\n.\r\n", "a\r\n\r\n", true, 8, true, false},
      {"a\r.\r\n", "a\r.\r\n", false, 5, false, true},
      {"a\r\n.\rb\r\n", "a\r\n\rb\r\n", false, 8, false, true},  // ".\r" + other: bare CR
      {"x\r\r\n.\r\n", "x\r\r\n", true, 7, false, true},
      {"\r\n.\r\n", "\r\n", true, 5, false, false},
      {"no end", "no end", false, 6, false, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.in));
    for (BareNewline mode : {BareNewline::Normalize, BareNewline::Reject}) {
      DataReader r(mode);
      std::string out;
      EXPECT_EQ(r.feed(c.in, out), c.consumed);
      EXPECT_EQ(out, c.content);
      EXPECT_EQ(r.done(), c.done);
      EXPECT_EQ(r.sawBareLf(), c.bareLf);
      EXPECT_EQ(r.sawBareCr(), c.bareCr);
      EXPECT_EQ(r.violation(), mode == BareNewline::Reject && (c.bareLf || c.bareCr));
      EXPECT_EQ(r.size(), c.content.size());
      // Byte by byte gives the same.
      DataReader slow(mode);
      std::string slowOut;
      std::size_t used = 0;
      for (std::size_t i = 0; i < c.in.size() && !slow.done(); ++i)
        used += slow.feed(std::string_view(c.in).substr(i, 1), slowOut);
      EXPECT_EQ(slowOut, c.content);
      EXPECT_EQ(used, c.consumed);
    }
  }
}

TEST(DataReader, LongLinesNeedNoMemory) {
  DataReader r(BareNewline::Normalize);
  std::string out;
  const std::string chunk(1 << 16, 'x');
  for (int i = 0; i < 16; ++i) {
    r.feed(chunk, out);
    EXPECT_EQ(out.size(), chunk.size());  // emitted at once, not held
    out.clear();
  }
  EXPECT_EQ(r.feed("\r\n.\r\n", out), 5u);
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.size(), 16u * chunk.size() + 2);
}

TEST(Xtext, RoundTripAndRejects) {
  EXPECT_EQ(xtextDecode("abc+2Bdef+3D"), "abc+def=");
  EXPECT_EQ(xtextDecode("+e9t+C3+A9"), "\xe9t\xc3\xa9");
  EXPECT_FALSE(xtextDecode("a+2"));
  EXPECT_FALSE(xtextDecode("a+zz"));
  EXPECT_FALSE(xtextDecode("a=b"));
  EXPECT_FALSE(xtextDecode("a b"));
  EXPECT_EQ(xtextEncode("a+b=c d"), "a+2Bb+3Dc+20d");
  for (std::string s : {"", "plain", "+=+", "\x01\xff"}) EXPECT_EQ(xtextDecode(xtextEncode(s)), s);
}

TEST(EsmtpParams, Mail) {
  Offered o;
  o.sizeLimit = 1000;
  auto r = parseMailParams(" SIZE=10 body=8bitmime SMTPUTF8 RET=FULL ENVID=x+2By AUTH=<>", o);
  ASSERT_TRUE(std::holds_alternative<MailParams>(r));
  const auto& mp = std::get<MailParams>(r);
  EXPECT_EQ(mp.size, 10u);
  EXPECT_EQ(mp.body, queue::BodyType::EightBitMime);
  EXPECT_TRUE(mp.smtputf8);
  EXPECT_EQ(mp.ret, queue::Ret::Full);
  EXPECT_EQ(mp.envid, "x+y");
  EXPECT_EQ(mp.auth, "<>");
  auto err = [&](std::string_view text) { return std::get<Reply>(parseMailParams(text, o)).text(); };
  EXPECT_EQ(err("SIZE=1001"), "552 5.3.4 Message size exceeds fixed limit");
  EXPECT_EQ(err("SIZE=99999999999999999999"), "501 5.5.4 Bad SIZE syntax");
  EXPECT_EQ(err("SIZE"), "501 5.5.4 Bad SIZE syntax");
  EXPECT_EQ(err("BODY=BINARYMIME"), "501 5.5.4 Unsupported BODY parameter value BINARYMIME");
  EXPECT_EQ(err("RET=ALL"), "501 5.5.4 Bad RET syntax");
  EXPECT_EQ(err("SMTPUTF8=yes"), "501 5.5.4 Bad SMTPUTF8 syntax");
  EXPECT_EQ(err("ENVID=" + std::string(101, 'a')), "501 5.5.4 Bad ENVID syntax");
  EXPECT_EQ(err("SIZE=1 SIZE=2"), "501 5.5.4 Duplicate SIZE parameter");
  EXPECT_EQ(err("X-FOO"), "555 5.5.4 Unsupported option: X-FOO");
  EXPECT_EQ(err("=x"), "501 5.5.4 Bad MAIL parameter syntax");
  Offered noDsn = o;
  noDsn.dsn = false;
  EXPECT_EQ(std::get<Reply>(parseMailParams("RET=FULL", noDsn)).text(),
            "555 5.5.4 Unsupported option: RET=FULL");
}

TEST(EsmtpParams, Rcpt) {
  Offered o;
  auto r = parseRcptParams("NOTIFY=success,delay ORCPT=RFC822;a+2Bb@example.com", o);
  ASSERT_TRUE(std::holds_alternative<RcptParams>(r));
  EXPECT_EQ(std::get<RcptParams>(r).notify, queue::notify::kSuccess | queue::notify::kDelay);
  EXPECT_EQ(std::get<RcptParams>(r).orcpt, "rfc822;a+b@example.com");
  r = parseRcptParams("NOTIFY=NEVER ORCPT=utf-8;j\xc3\xb6rg@example.com", o);
  ASSERT_TRUE(std::holds_alternative<RcptParams>(r));
  EXPECT_EQ(std::get<RcptParams>(r).notify, queue::notify::kNever);
  EXPECT_EQ(std::get<RcptParams>(r).orcpt, "utf-8;j\xc3\xb6rg@example.com");
  for (std::string bad : {"NOTIFY=", "NOTIFY=NEVER,DELAY", "NOTIFY=SUCCESS,SUCCESS", "NOTIFY=SOMETIMES",
                          "ORCPT=x", "ORCPT=;a@b", "ORCPT=rfc822;", "ORCPT=rfc822;a+0Ab"}) {
    SCOPED_TRACE(bad);
    ASSERT_TRUE(std::holds_alternative<Reply>(parseRcptParams(bad, o)));
    EXPECT_EQ(std::get<Reply>(parseRcptParams(bad, o)).code, 501);
  }
}

TEST(Reply, WireFormat) {
  EXPECT_EQ(Reply(250, "2.1.0", "Ok").wire(), "250 2.1.0 Ok\r\n");
  Reply multi(214, "2.0.0", "one");
  multi.lines.push_back("two");
  EXPECT_EQ(multi.wire(), "214-2.0.0 one\r\n214 2.0.0 two\r\n");
  EXPECT_EQ(Reply(220, "", "host ESMTP").wire(), "220 host ESMTP\r\n");
  // Nothing a client put into an address can break a reply line.
  EXPECT_EQ(Reply(550, "5.1.1", quoted("a\r\n250 ok@b") + ": no").wire(),
            "550 5.1.1 <a??250 ok@b>: no\r\n");
}

TEST(CommandStats, PostfixFormat) {
  CommandStats s;
  EXPECT_EQ(s.summary(), "");
  s.record("quit", true);
  s.record("rcpt", false);
  s.record("ehlo", true);
  s.record("rcpt", true);
  s.record("mail", true);
  s.record("unknown", false);
  EXPECT_EQ(s.summary(), " ehlo=1 mail=1 rcpt=1/2 quit=1 unknown=0/1 commands=4/6");
}

TEST(Received, FormatAndDate) {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  ReceivedInfo info;
  info.helo = "client.example";
  info.clientName = "unknown";
  info.clientAddress = "2001:db8::7";
  info.myhostname = "mx.example.org";
  info.mailName = "posthorn";
  info.protocol = "ESMTP";
  info.queueId = "1BvWq3ZkT0004";
  info.recipient = "a@example.org";
  info.when = 1704794400;  // 2024-01-09 10:00:00 UTC
  EXPECT_EQ(receivedHeader(info),
            "Received: from client.example (unknown [IPv6:2001:db8::7])\r\n"
            "\tby mx.example.org (posthorn) with ESMTP id 1BvWq3ZkT0004\r\n"
            "\tfor <a@example.org>; Tue,  9 Jan 2024 10:00:00 +0000 (UTC)\r\n");
}

config::Config conf(const std::string& text) {
  return config::Config::parse("myhostname = mx.example.org\n" + text, "posthorn.conf");
}

TEST(SmtpdSettings, DefaultsAndValues) {
  Settings s(conf(""));
  EXPECT_EQ(s.banner, "mx.example.org ESMTP posthorn");
  EXPECT_EQ(s.hardErrorLimit, 20);
  EXPECT_EQ(s.relayRejectCode, 554);
  EXPECT_EQ(s.unknownLocalRejectCode, 550);
  EXPECT_EQ(s.bareNewline, BareNewline::Normalize);
  EXPECT_EQ(s.tlsLevel, TlsLevel::None);
  EXPECT_EQ(s.recipientLimit, 1000);
  EXPECT_EQ(s.timeout, std::chrono::seconds(300));

  Settings t(conf("smtpd_tls_cert_file = /x.crt\nsmtpd_forbid_bare_newline = reject\n"
                  "relay_domains_reject_code = 450\nsmtpd_hard_error_limit = 5\n"
                  "smtpd_discard_ehlo_keywords = chunking, dsn\n"));
  EXPECT_EQ(t.tlsLevel, TlsLevel::May);
  EXPECT_EQ(t.tlsKeyFile, "/x.crt");
  EXPECT_EQ(t.bareNewline, BareNewline::Reject);
  EXPECT_EQ(t.relayRejectCode, 450);
  EXPECT_EQ(t.hardErrorLimit, 5);
  EXPECT_EQ(t.discardEhloKeywords, (std::vector<std::string>{"CHUNKING", "DSN"}));

  EXPECT_THROW(Settings(conf("smtpd_tls_security_level = encrypt\n")), config::ConfigError);
  EXPECT_THROW(Settings(conf("smtpd_tls_security_level = sometimes\n")), config::ConfigError);
  EXPECT_THROW(Settings(conf("smtpd_forbid_bare_newline = maybe\n")), config::ConfigError);
  EXPECT_THROW(Settings(conf("relay_domains_reject_code = 250\n")), config::ConfigError);
  EXPECT_THROW(Settings(conf("smtpd_hard_error_limit = lots\n")), config::ConfigError);
}

}  // namespace
}  // namespace posthorn::smtpd
