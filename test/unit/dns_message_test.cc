// dns_message_test - DNS wire format: queries, answers, compression, bad input
#include "lib/dns/dns_message.h"

#include <gtest/gtest.h>

using namespace posthorn::dns;

namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s += static_cast<char>(c);
  return s;
}

}  // namespace

TEST(DnsMessage, QueryLayout) {
  const std::string q = buildQuery(0xBEEF, "Example.COM.", RrType::MX);
  const std::string expected = bytes({0xBE, 0xEF, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'e', 'x', 'a', 'm',
                                      'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 15, 0, 1});
  EXPECT_EQ(q, expected);
  const Message m = parseMessage(q);
  EXPECT_EQ(m.id, 0xBEEF);
  EXPECT_FALSE(m.response);
  EXPECT_EQ(m.questionName, "example.com");
  EXPECT_EQ(m.questionType, RrType::MX);
}

TEST(DnsMessage, AnswerRoundTrip) {
  Message a;
  a.id = 7;
  a.authoritative = true;
  a.questionName = "example.org";
  a.questionType = RrType::MX;
  Record mx1{"example.org", RrType::MX, 300, "", 10, "mx1.example.org", {}};
  Record mx2{"example.org", RrType::MX, 300, "", 20, "mx2.example.net", {}};
  Record cname{"alias.example.org", RrType::CNAME, 60, "", 0, "host.example.org", {}};
  Record v4{"host.example.org", RrType::A, 60, "192.0.2.1", 0, "", {}};
  Record v6{"host.example.org", RrType::AAAA, 60, "2001:db8::1", 0, "", {}};
  a.answers = {mx1, mx2, cname, v4, v6};
  const Message m = parseMessage(buildAnswer(a));
  EXPECT_TRUE(m.response);
  EXPECT_TRUE(m.authoritative);
  EXPECT_EQ(m.rcode, Rcode::NoError);
  ASSERT_EQ(m.answers.size(), 5u);
  EXPECT_EQ(m.answers[0].preference, 10);
  EXPECT_EQ(m.answers[0].target, "mx1.example.org");
  EXPECT_EQ(m.answers[1].target, "mx2.example.net");
  EXPECT_EQ(m.answers[2].type, RrType::CNAME);
  EXPECT_EQ(m.answers[2].target, "host.example.org");
  EXPECT_EQ(m.answers[3].address, "192.0.2.1");
  EXPECT_EQ(m.answers[4].address, "2001:db8::1");
  EXPECT_EQ(m.answers[4].ttl, 60u);
}

TEST(DnsMessage, TxtAndPtr) {
  Message a;
  a.questionName = "example.org";
  a.questionType = RrType::TXT;
  Record txt{"example.org", RrType::TXT, 60, "", 0, "", {"v=spf1 ", "-all"}};
  Record ptr{"1.2.0.192.in-addr.arpa", RrType::PTR, 60, "", 0, "mail.example.org", {}};
  a.answers = {txt, ptr};
  const Message m = parseMessage(buildAnswer(a));
  ASSERT_EQ(m.answers.size(), 2u);
  EXPECT_EQ(m.answers[0].texts, (std::vector<std::string>{"v=spf1 ", "-all"}));
  EXPECT_EQ(m.answers[1].target, "mail.example.org");
  // A TXT string longer than what is left of its record.
  std::string w = buildAnswer(a);
  const auto at = w.find("v=spf1");
  ASSERT_NE(at, std::string::npos);
  w[at - 1] = static_cast<char>(100);
  EXPECT_THROW(parseMessage(w), FormatError);
}

TEST(DnsMessage, NullMxHasRootTarget) {
  Message a;
  a.questionName = "nomail.example";
  a.questionType = RrType::MX;
  a.answers = {Record{"nomail.example", RrType::MX, 1, "", 0, "", {}}};
  const Message m = parseMessage(buildAnswer(a));
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].preference, 0);
  EXPECT_EQ(m.answers[0].target, "");
}

TEST(DnsMessage, CompressedNames) {
  // Header (1 question, 1 answer), question a.b, answer owner = pointer to
  // offset 12, MX exchange "mx" + pointer to offset 12.
  std::string w = bytes({0, 1, 0x84, 0x03, 0, 1, 0, 1, 0, 0, 0, 0});
  w += bytes({1, 'a', 1, 'b', 0, 0, 15, 0, 1});
  w += bytes({0xC0, 12, 0, 15, 0, 1, 0, 0, 0, 5, 0, 7, 0, 5, 2, 'm', 'x', 0xC0, 12});
  const Message m = parseMessage(w);
  EXPECT_EQ(m.rcode, Rcode::NxDomain);
  EXPECT_TRUE(m.authoritative);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].name, "a.b");
  EXPECT_EQ(m.answers[0].target, "mx.a.b");
  EXPECT_EQ(m.answers[0].preference, 5);
}

TEST(DnsMessage, BadInputThrows) {
  // Too short for a header.
  EXPECT_THROW(parseMessage(bytes({0, 1, 0x80})), FormatError);
  // A name pointer that points at itself.
  std::string loop = bytes({0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1});
  EXPECT_THROW(parseMessage(loop), FormatError);
  // A label running past the end.
  std::string past = bytes({0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9, 'a', 'b'});
  EXPECT_THROW(parseMessage(past), FormatError);
  // An A record of the wrong length.
  std::string badA = bytes({0, 1, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 3, 1, 2, 3});
  EXPECT_THROW(parseMessage(badA), FormatError);
  // rdlength beyond the message.
  std::string longRd = bytes({0, 1, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 9, 1});
  EXPECT_THROW(parseMessage(longRd), FormatError);
}

TEST(DnsMessage, NormalizeName) {
  EXPECT_EQ(normalizeName("MX.Example.ORG."), "mx.example.org");
  EXPECT_EQ(normalizeName("."), "");
  EXPECT_THROW(normalizeName("a..b"), FormatError);
  EXPECT_THROW(normalizeName(std::string(64, 'a') + ".com"), FormatError);
  EXPECT_THROW(buildQuery(1, "bad..name", RrType::A), FormatError);
}

TEST(DnsMessage, TypeNames) {
  EXPECT_EQ(rrTypeName(RrType::MX), "MX");
  EXPECT_EQ(rrTypeName(static_cast<RrType>(99)), "TYPE99");
}
