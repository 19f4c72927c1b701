// smtp_client_test - the smtp(8) client's parts: replies, EHLO keywords,
// data encoding, quoted-printable conversion, xtext, destinations, and a
// whole session against a scripted server over a socketpair
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "lib/config/config.h"
#include "lib/map/map_builder.h"
#include "lib/map/map_source.h"
#include "smtp/mta_sts.h"
#include "smtp/smtp_content.h"
#include "smtp/smtp_dane.h"
#include "smtp/smtp_destination.h"
#include "smtp/smtp_password_table.h"
#include "smtp/smtp_reply.h"
#include "smtp/smtp_session.h"
#include "smtp/smtp_settings.h"

using namespace posthorn;
using namespace posthorn::smtp;

namespace {

PeerTls tlsOf(const Settings& settings) {
  PeerTls p;
  p.level = settings.tlsLevel;
  return p;
}

Reply parse(std::initializer_list<const char*> lines) {
  ReplyParser p;
  bool done = false;
  for (const char* l : lines) done = p.feedLine(l);
  EXPECT_TRUE(done);
  return p.take();
}

std::string encode(std::string_view content) {
  DataEncoder enc;
  std::string out;
  enc.feed(content.substr(0, content.size() / 2), &out);
  enc.feed(content.substr(content.size() / 2), &out);
  enc.finish(&out);
  return out;
}

// A server that reads lines and answers from a script: each entry is a
// line to expect (prefix) and the reply to send ("" = none).
struct ScriptedServer {
  int fd;
  std::vector<std::string> received;
  std::thread thread;
  ScriptedServer(int fd, std::string greeting, std::vector<std::pair<std::string, std::string>> script)
      : fd(fd) {
    thread = std::thread([this, greeting, script] {
      auto send = [&](const std::string& s) { (void)!::write(this->fd, s.data(), s.size()); };
      send(greeting);
      std::string buf;
      std::size_t step = 0;
      bool inData = false;
      char c;
      while (step < script.size() && ::read(this->fd, &c, 1) == 1) {
        buf += c;
        if (c != '\n') continue;
        received.push_back(buf);
        if (inData) {
          if (buf == ".\r\n") inData = false;
          else {
            buf.clear();
            continue;
          }
        }
        const auto& [expect, reply] = script[step++];
        EXPECT_EQ(buf.substr(0, expect.size()), expect) << "step " << step;
        if (expect == "DATA" && reply.find("354 ") != std::string::npos) inData = true;
        if (!reply.empty()) send(reply);
        buf.clear();
      }
    });
  }
  ~ScriptedServer() {
    thread.join();
    ::close(fd);
  }
};

}  // namespace

TEST(SmtpReply, MultiLineAndEnhancedCodes) {
  Reply r = parse({"250-mx.example.com", "250-PIPELINING", "250-SIZE 10240000", "250-AUTH PLAIN login",
                   "250-8bitmime", "250 DSN"});
  EXPECT_EQ(r.code, 250);
  const Capabilities caps = Capabilities::fromEhlo(r);
  EXPECT_TRUE(caps.has("PIPELINING"));
  EXPECT_TRUE(caps.has("8BITMIME"));
  EXPECT_TRUE(caps.has("DSN"));
  EXPECT_FALSE(caps.has("STARTTLS"));
  EXPECT_EQ(caps.size, 10240000u);
  EXPECT_EQ(caps.authMechanisms, (std::vector<std::string>{"PLAIN", "LOGIN"}));

  Reply e = parse({"550-5.1.1 <nobody@example.com>:", "550 5.1.1 Recipient address rejected"});
  EXPECT_EQ(e.enhanced, "5.1.1");
  EXPECT_EQ(e.dsnStatus(), "5.1.1");
  EXPECT_EQ(e.text(), "550-5.1.1 <nobody@example.com>: 5.1.1 Recipient address rejected");
  EXPECT_EQ(parse({"451 try later"}).dsnStatus(), "4.0.0");
  // An enhanced code of the wrong class is not believed.
  EXPECT_EQ(parse({"452 2.0.0 odd"}).dsnStatus(), "4.0.0");
  ReplyParser p;
  EXPECT_THROW(p.feedLine("hello"), StreamError);
  EXPECT_THROW(p.feedLine("250x"), StreamError);
  ReplyParser q;
  q.feedLine("250-one");
  EXPECT_THROW(q.feedLine("251 two"), StreamError);
}

TEST(SmtpContent, CrlfAndDotStuffing) {
  EXPECT_EQ(encode("Subject: x\n\n.hidden\n..two\nend"), "Subject: x\r\n\r\n..hidden\r\n...two\r\nend\r\n.\r\n");
  EXPECT_EQ(encode("a\n.\n"), "a\r\n..\r\n.\r\n");
  EXPECT_EQ(encode(""), ".\r\n");
  EXPECT_EQ(encode("x\r\n"), "x\r\r\n.\r\n");  // a CR inside a line is data
}

TEST(SmtpContent, QuotedPrintable) {
  EXPECT_EQ(encodeQuotedPrintable("caf\xc3\xa9 = ok\nend \n"), "caf=C3=A9 =3D ok\nend=20\n");
  const std::string longLine(100, 'x');
  const std::string qp = encodeQuotedPrintable(longLine + "\n");
  EXPECT_EQ(qp, std::string(75, 'x') + "=\n" + std::string(25, 'x') + "\n");
  EXPECT_TRUE(hasEightBit("\xff"));
  EXPECT_FALSE(hasEightBit("plain"));
}

TEST(SmtpContent, ConvertTo7Bit) {
  std::string why;
  const auto simple = convertTo7Bit(
      "Subject: t\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nGr\xc3\xbc\xc3\x9f"
      "e\n",
      &why);
  ASSERT_TRUE(simple) << why;
  EXPECT_EQ(*simple,
            "Subject: t\nContent-Type: text/plain; charset=utf-8\nMIME-Version: 1.0\n"
            "Content-Transfer-Encoding: quoted-printable\n\nGr=C3=BC=C3=9Fe\n");
  EXPECT_FALSE(hasEightBit(*simple));

  const std::string multi =
      "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"BB\"\n\npreamble\n--BB\n"
      "Content-Type: text/plain\n\nascii\n--BB\nContent-Type: text/plain; charset=latin1\n"
      "Content-Transfer-Encoding: 8bit\n\n\xe9t\xe9\n--BB--\nepilogue\n";
  const auto converted = convertTo7Bit(multi, &why);
  ASSERT_TRUE(converted) << why;
  EXPECT_FALSE(hasEightBit(*converted));
  EXPECT_NE(converted->find("--BB\nContent-Type: text/plain\n\nascii\n--BB\n"), std::string::npos);
  EXPECT_NE(converted->find("Content-Transfer-Encoding: quoted-printable\n\n=E9t=E9\n--BB--\nepilogue\n"),
            std::string::npos)
      << *converted;

  EXPECT_FALSE(convertTo7Bit("Content-Type: message/rfc822\n\nSubject: \xe9\n\nx\n", &why));
  EXPECT_NE(why.find("message/"), std::string::npos);
  EXPECT_FALSE(convertTo7Bit("Content-Type: multipart/mixed\n\n\xe9\n", &why));
  // 7-bit content is passed through unchanged.
  EXPECT_EQ(*convertTo7Bit("Subject: a\n\nb\n", &why), "Subject: a\n\nb\n");
}

TEST(SmtpContent, NeedsSmtpUtf8) {
  queue::Envelope env;
  env.sender = "a@example.com";
  env.recipients.resize(1);
  env.recipients[0].address = "b@example.com";
  EXPECT_FALSE(needsSmtpUtf8(env, "Subject: \xc3\xa9\n\n"));  // not flagged
  env.smtputf8 = true;
  EXPECT_FALSE(needsSmtpUtf8(env, "Subject: plain\n\n"));
  EXPECT_TRUE(needsSmtpUtf8(env, "Subject: \xc3\xa9\n\n"));
  env.recipients[0].address = "j\xc3\xb6rg@example.com";
  EXPECT_TRUE(needsSmtpUtf8(env, "Subject: plain\n\n"));
  EXPECT_EQ(headerSection("A: 1\nB: 2\n\nbody\n"), "A: 1\nB: 2\n\n");
}

TEST(SmtpSession, Xtext) {
  EXPECT_EQ(xtext("user+tag@example.com"), "user+2Btag@example.com");
  EXPECT_EQ(xtext("a=b c"), "a+3Db+20c");
}

TEST(SmtpDestination, LiteralsAndPorts) {
  EXPECT_EQ(servicePort(""), 25);
  EXPECT_EQ(servicePort("submission"), 587);
  EXPECT_EQ(servicePort("2525"), 2525);
  EXPECT_EQ(servicePort("nosuch"), 0);
  dns::ResolverConfig rc;
  rc.servers.push_back(dns::parseServer("127.0.0.1:9"));
  rc.timeout = std::chrono::milliseconds(100);
  rc.attempts = 1;
  dns::Resolver resolver(rc);
  Destination d = resolveDestination("[192.0.2.1]:2525", resolver);
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.targets.at(0).address, "192.0.2.1");
  EXPECT_EQ(d.targets.at(0).port, 2525);
  d = resolveDestination("[::1]", resolver);
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.targets.at(0).address, "::1");
  EXPECT_EQ(d.targets.at(0).port, 25);
  d = resolveDestination("[192.0.2.1]:nosuch", resolver);
  EXPECT_FALSE(d.ok);
  EXPECT_TRUE(d.permanent);
  // No DNS server answers: temporary.
  d = resolveDestination("example.com", resolver);
  EXPECT_FALSE(d.ok);
  EXPECT_FALSE(d.permanent);
  EXPECT_EQ(d.dsnStatus, "4.4.3");
}

TEST(SmtpSession, PipelinedTransactionWithPerRecipientReplies) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  auto cfg = config::Config::parse("smtp_helo_name = client.test\n", "test.conf");
  Settings settings(cfg);
  {
    ScriptedServer server(sv[1], "220 sink.test ESMTP\r\n",
                          {{"EHLO client.test", "250-sink.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 DSN\r\n"},
                           {"MAIL FROM:<s@a.test> SIZE=14 RET=HDRS ENVID=id+2B1", ""},
                           {"RCPT TO:<ok@b.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;ok+2B@b.test", ""},
                           {"RCPT TO:<gone@b.test>", ""},
                           {"RCPT TO:<busy@b.test>", ""},
                           {"DATA",
                            "250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no such user\r\n451 4.3.0 busy\r\n"
                            "354 go ahead\r\n"},
                           {".", "250 2.0.0 queued as X1\r\n"},
                           {"QUIT", "221 bye\r\n"}});
    SmtpSession session(std::make_unique<SmtpStream>(sv[0]), Peer{"sink.test", "127.0.0.9", 25, tlsOf(settings)}, settings,
                        nullptr, std::nullopt);
    session.open();
    EXPECT_TRUE(session.capabilities().has("PIPELINING"));
    Transaction t;
    t.mailFrom = "MAIL FROM:<s@a.test> SIZE=14 RET=HDRS ENVID=" + xtext("id+1");
    t.rcptCommands = {"RCPT TO:<ok@b.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;" + xtext("ok+@b.test"),
                      "RCPT TO:<gone@b.test>", "RCPT TO:<busy@b.test>"};
    bool sent = false;
    t.content = [&](std::string* chunk) {
      if (sent) return false;
      sent = true;
      DataEncoder enc;
      enc.feed("Subject: hi\n\n.x\n", chunk);
      enc.finish(chunk);
      return true;
    };
    TransactionResult r = session.send(t);
    ASSERT_EQ(r.rcptReplies.size(), 3u);
    EXPECT_EQ(r.rcptReplies[0].code, 250);
    EXPECT_EQ(r.rcptReplies[1].dsnStatus(), "5.1.1");
    EXPECT_EQ(r.rcptReplies[2].code, 451);
    ASSERT_TRUE(r.dataReply);
    EXPECT_EQ(r.dataReply->text(), "250 2.0.0 queued as X1");
    EXPECT_TRUE(session.usable());
    session.quit();
    server.thread.join();
    server.thread = std::thread([] {});
    // The pipelined group went out before any reply was read, and the
    // content was dot-stuffed.
    bool sawStuffed = false;
    for (const auto& l : server.received) sawStuffed = sawStuffed || l == "..x\r\n";
    EXPECT_TRUE(sawStuffed);
  }
}

TEST(SmtpSession, GreetingAndEhloFailures) {
  auto cfg = config::Config::parse("smtp_helo_name = client.test\nsmtp_tls_security_level = encrypt\n", "t.conf");
  Settings settings(cfg);
  {
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ScriptedServer server(sv[1], "554 5.7.1 go away\r\n", {});
    SmtpSession session(std::make_unique<SmtpStream>(sv[0]), Peer{"mx.test", "127.0.0.9", 25, tlsOf(settings)}, settings,
                        nullptr, std::nullopt);
    try {
      session.open();
      FAIL() << "open() succeeded";
    } catch (const SessionError& e) {
      EXPECT_EQ(e.kind(), 5);
      EXPECT_EQ(std::string(e.what()),
                "host mx.test[127.0.0.9] said: 554 5.7.1 go away (in reply to initial greeting)");
    }
    ::shutdown(sv[0], SHUT_RDWR);
  }
  {
    // encrypt, but no STARTTLS offered: a temporary failure.
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ScriptedServer server(sv[1], "220 hi\r\n", {{"EHLO", "250-hi\r\n250 PIPELINING\r\n"}});
    SmtpSession session(std::make_unique<SmtpStream>(sv[0]), Peer{"mx.test", "127.0.0.9", 25, tlsOf(settings)}, settings,
                        nullptr, std::nullopt);
    try {
      session.open();
      FAIL() << "open() succeeded";
    } catch (const SessionError& e) {
      EXPECT_EQ(e.kind(), 4);
      EXPECT_EQ(e.dsnStatus(), "4.7.4");
    }
  }
}

TEST(SmtpSession, TimeoutIsReported) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  auto cfg = config::Config::parse("smtp_helo_timeout = 1s\n", "t.conf");
  Settings settings(cfg);
  SmtpSession session(std::make_unique<SmtpStream>(sv[0]), Peer{"slow.test", "127.0.0.9", 25, tlsOf(settings)}, settings, nullptr,
                      std::nullopt);
  const auto start = Clock::now();
  try {
    session.open();
    FAIL() << "open() succeeded";
  } catch (const SessionError& e) {
    EXPECT_EQ(std::string(e.what()),
              "conversation with slow.test[127.0.0.9] timed out while receiving the initial server greeting");
    EXPECT_EQ(e.kind(), 4);
  }
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  ::close(sv[1]);
}

TEST(SmtpPasswordTables, ReadBeforeTheJail) {
  char dir[] = "/tmp/smtp_pw_XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string source = std::string(dir) + "/sasl_passwd";
  {
    std::FILE* f = std::fopen(source.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("[Relay.Example.com]:587 user1:pass word\nrelay2.example.com user2:x:y\n", f);
    std::fclose(f);
  }
  map::buildHashMap(source, map::SourceFormat::Postmap);
  PasswordTables tables = PasswordTables::load({"hash:" + source});
  ::unlink((source + ".db").c_str());  // as if out of reach in a chroot
  EXPECT_EQ(tables.lookup("hash:" + source, "[relay.example.com]:587"), "user1:pass word");
  EXPECT_EQ(tables.lookup("hash:" + source, "RELAY2.example.com"), "user2:x:y");
  EXPECT_EQ(tables.lookup("hash:" + source, "other.example.com"), std::nullopt);
  EXPECT_THROW(tables.lookup("hash:/not/loaded", "x"), address::TableLookupError);
  EXPECT_THROW(PasswordTables::load({"hash:" + source}), config::ConfigError);  // .db gone now
  EXPECT_THROW(PasswordTables::load({"regexp:/etc/x"}), config::ConfigError);
  ::unlink(source.c_str());
  ::rmdir(dir);
}

TEST(SmtpDane, TlsaRecordData) {
  const std::string rdata = std::string("\x03\x01\x01", 3) + std::string(32, '\xab');
  const auto t = parseTlsa(rdata);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->usage, 3);
  EXPECT_EQ(t->selector, 1);
  EXPECT_EQ(t->matching, 1);
  EXPECT_EQ(t->data, std::string(32, '\xab'));
  EXPECT_FALSE(parseTlsa(std::string("\x03\x01\x01", 3))) << "no association data";
  EXPECT_FALSE(parseTlsa(""));
}

TEST(SmtpDane, PolicyDescribesItself) {
  PeerTls p;
  EXPECT_EQ(p.describe(), "may");
  p.level = TlsLevel::Dane;
  p.tlsa.resize(2);
  EXPECT_EQ(p.describe(), "dane (2 TLSA records)");
}

TEST(SmtpDane, DaneIsALevel) {
  auto cfg = config::Config::parse("smtp_tls_security_level = dane\n", "t.conf");
  const Settings settings(cfg);
  EXPECT_EQ(settings.tlsLevel, TlsLevel::Dane);
  EXPECT_TRUE(settings.tlsClient().dane);
  EXPECT_THROW(Settings(config::Config::parse("smtp_tls_security_level = daneonly\n", "t.conf")),
               config::ConfigError);
}

TEST(MtaSts, PolicyParsing) {
  std::string why;
  auto p = parseStsPolicy("version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\nmx: *.example.net\r\n"
                          "max_age: 604800\r\nextension: ignored\r\n",
                          &why);
  ASSERT_TRUE(p) << why;
  EXPECT_EQ(p->mode, StsMode::Enforce);
  EXPECT_EQ(p->maxAge, 604800);
  EXPECT_EQ(p->mx, (std::vector<std::string>{"mail.example.org", "*.example.net"}));
  EXPECT_TRUE(p->allows("MAIL.example.org"));
  EXPECT_TRUE(p->allows("mx1.example.net"));
  EXPECT_FALSE(p->allows("a.b.example.net")) << "a wildcard covers one label";
  EXPECT_FALSE(p->allows("example.net"));
  EXPECT_FALSE(p->allows("evil-mail.example.org"));
  p->fetched = 1000;
  EXPECT_TRUE(p->inForce(1000 + 604799));
  EXPECT_FALSE(p->inForce(1000 + 604800));

  auto none = parseStsPolicy("version: STSv1\nmode: none\nmax_age: 0\n", &why);
  ASSERT_TRUE(none) << why;
  EXPECT_EQ(none->mode, StsMode::None);

  for (const char* bad : {"version: STSv2\nmode: enforce\nmx: a.b\nmax_age: 1\n",
                          "version: STSv1\nmode: strict\nmx: a.b\nmax_age: 1\n",
                          "version: STSv1\nmode: enforce\nmax_age: 1\n",            // no mx
                          "version: STSv1\nmode: enforce\nmx: a.b\n",               // no max_age
                          "version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 31557601\n",
                          "version: STSv1\nmode: enforce\nmx: a.b\nmax_age: -1\n",
                          "version STSv1\n", "<html>not a policy</html>\n"})
    EXPECT_FALSE(parseStsPolicy(bad, &why)) << bad;
}
