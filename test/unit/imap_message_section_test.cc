// imap_message_section_test - BODY[section]<partial>: parsing the parser's tree, response names, the bytes
#include <gtest/gtest.h>

#include <string>

#include "imapd/fetch_section.h"
#include "imapd/imap_parser.h"
#include "test/unit/imap_message_test_util.h"

namespace posthorn::imapd {
namespace {

// The fetch attribute as the real parser produces it from "a FETCH 1 <attr>".
ImapValue attribute(const std::string& attr) {
  ImapParser p;
  p.feed("a FETCH 1 " + attr + "\r\n");
  auto e = p.next();
  while (e == decltype(e)::Literal) {
    p.acceptLiteral();
    e = p.next();
  }
  EXPECT_EQ(e, decltype(e)::Command) << attr;
  ImapCommand c = p.takeCommand();
  EXPECT_EQ(c.args.size(), 2u) << attr;
  return c.args.size() == 2 ? c.args[1] : ImapValue{};
}

FetchSection section(const std::string& attr) {
  std::string error;
  const std::optional<FetchSection> s = parseFetchSection(attribute(attr), &error);
  EXPECT_TRUE(s) << attr << ": " << error;
  return s.value_or(FetchSection{});
}

std::string fetch(const MessageView& m, const std::string& attr) { return fetchSection(m, section(attr)); }

TEST(FetchSectionParseTest, Forms) {
  const FetchSection whole = section("BODY[]");
  EXPECT_TRUE(whole.part.empty());
  EXPECT_EQ(whole.kind, FetchSection::Kind::Whole);
  EXPECT_FALSE(whole.peek);
  EXPECT_FALSE(whole.partialStart);
  EXPECT_EQ(whole.responseName(), "BODY[]");

  const FetchSection f = section("body.peek[1.2.header.fields (From \"To\" x-Y)]<0.100>");
  EXPECT_TRUE(f.peek);
  EXPECT_EQ(f.part, (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(f.kind, FetchSection::Kind::HeaderFields);
  EXPECT_EQ(f.fields, (std::vector<std::string>{"From", "To", "x-Y"}));
  EXPECT_EQ(f.partialStart, 0u);
  EXPECT_EQ(f.partialLength, 100u);
  EXPECT_EQ(f.responseName(), "BODY[1.2.HEADER.FIELDS (FROM TO X-Y)]<0>");

  EXPECT_EQ(section("BODY[HEADER]").responseName(), "BODY[HEADER]");
  EXPECT_EQ(section("BODY[TEXT]<5.10>").responseName(), "BODY[TEXT]<5>");
  EXPECT_EQ(section("BODY[3]").responseName(), "BODY[3]");
  EXPECT_EQ(section("BODY[4.1.MIME]").responseName(), "BODY[4.1.MIME]");
  EXPECT_EQ(section("BODY[4.TEXT]").kind, FetchSection::Kind::Text);
  EXPECT_EQ(section("BODY[HEADER.FIELDS.NOT (Received)]").responseName(), "BODY[HEADER.FIELDS.NOT (RECEIVED)]");
  EXPECT_EQ(section("BODY[4294967295]").part, std::vector<std::uint32_t>{4294967295u});
  EXPECT_EQ(section("BODY.PEEK[]<4294967295.4294967295>").partialStart, 4294967295u);
}

TEST(FetchSectionParseTest, Invalid) {
  for (const char* bad : {"BODY[HEADER.FIELDS]", "BODY[HEADER.FIELDS ()]", "BODY[HEADER.FIELDS.NOT]", "BODY[MIME]",
                          "BODY[0]", "BODY[1.0]", "BODY[4294967296]", "BODY[1.]", "BODY[1..2]", "BODY[FOO]",
                          "BODY[1.HEADERS]", "BODY[TEXT (X)]", "BODY[HEADER.FIELDS (A) (B)]", "BODY[(A)]",
                          "BODY[]<0>", "BODY[]<1.0>", "BODY[]<4294967296.1>", "BODY[]<1.99999999999999999999999>",
                          "BINARY[1]", "RFC822[]", "BODY[HEADER.FIELDS (A:B)]", "BODY[HEADER.FIELDS (\"\")]",
                          "BODY[HEADER.FIELDS (\"a b\")]"}) {
    std::string error;
    EXPECT_FALSE(parseFetchSection(attribute(bad), &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  ImapValue plain;
  plain.text = "BODY";
  EXPECT_FALSE(parseFetchSection(plain, nullptr));  // no section at all; a null error is fine
}

// Bytes checked against Dovecot 2.3 for the same message.
TEST(FetchSectionTest, WholeHeaderTextAndParts) {
  const MessageView m(testmsg::kMixed);
  EXPECT_EQ(fetch(m, "BODY[]"), m.text());
  EXPECT_EQ(fetch(m, "BODY[HEADER]"), std::string(m.header()));
  EXPECT_EQ(fetch(m, "BODY[TEXT]"), std::string(m.body()));
  EXPECT_TRUE(m.header().ends_with("boundary=\"XX\"\r\n\r\n"));
  EXPECT_EQ(fetch(m, "BODY[1]"), "plain default");
  EXPECT_EQ(fetch(m, "BODY[1.MIME]"), "\r\n");
  EXPECT_EQ(fetch(m, "BODY[2]"), "<b>caf=E9</b>");
  EXPECT_EQ(fetch(m, "BODY[2.MIME]"),
            "Content-Type: text/html; charset=ISO-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n"
            "Content-ID: <cid1>\r\nContent-Description: the html\r\nContent-Language: en, de\r\n"
            "Content-Location: http://x/y\r\n\r\n");
  EXPECT_EQ(fetch(m, "BODY[3]"), "AAECAw==");
  EXPECT_EQ(fetch(m, "BODY[4.MIME]"), "Content-Type: message/rfc822\r\n\r\n");
}

TEST(FetchSectionTest, MessageRfc822Part) {
  const MessageView m(testmsg::kMixed);
  const std::string innerHeader =
      "From: inner@x\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary=YY\r\n\r\n";
  const std::string innerBody =
      "--YY\r\nContent-Type: text/plain\r\n\r\nalt1\r\n--YY\r\nContent-Type: text/html\r\n\r\n<p>alt2</p>\r\n"
      "--YY--\r\n";
  EXPECT_EQ(fetch(m, "BODY[4]"), innerHeader + innerBody);
  EXPECT_EQ(fetch(m, "BODY[4]").size(), 177u);
  EXPECT_EQ(fetch(m, "BODY[4.HEADER]"), innerHeader);
  EXPECT_EQ(fetch(m, "BODY[4.TEXT]"), innerBody);
  EXPECT_EQ(fetch(m, "BODY[4.HEADER.FIELDS (SUBJECT)]"), "Subject: inner\r\n\r\n");
  EXPECT_EQ(fetch(m, "BODY[4.1]"), "alt1");
  EXPECT_EQ(fetch(m, "BODY[4.2]"), "<p>alt2</p>");
  EXPECT_EQ(fetch(m, "BODY[4.2.MIME]"), "Content-Type: text/html\r\n\r\n");
  EXPECT_EQ(fetch(m, "BODY[4.1.HEADER]"), "");  // not a message/rfc822 part
}

TEST(FetchSectionTest, NonexistentPartsAreEmpty) {
  const MessageView m(testmsg::kMixed);
  for (const char* s : {"BODY[5]", "BODY[4.3]", "BODY[1.1.1]", "BODY[2.2]", "BODY[4.1.1.1]", "BODY[4.2.2]",
                        "BODY[1.TEXT]", "BODY[3.HEADER]", "BODY[1.HEADER]", "BODY[2.TEXT]", "BODY[9.MIME]"})
    EXPECT_EQ(fetch(m, s), "") << s;
  // As Dovecot: a single part inside a multipart answers to ".1" once.
  EXPECT_EQ(fetch(m, "BODY[1.1]"), "plain default");
  EXPECT_EQ(fetch(m, "BODY[3.1]"), "AAECAw==");
  EXPECT_EQ(fetch(m, "BODY[4.1.1]"), "alt1");
}

TEST(FetchSectionTest, NonMultipartMessagePartOne) {
  const MessageView m("From: a@b\njunk header line\nContent-Type: text/plain\n\nhello\r\nworld");
  EXPECT_EQ(fetch(m, "BODY[1]"), "hello\r\nworld");
  EXPECT_EQ(fetch(m, "BODY[1.MIME]"), "From: a@b\r\njunk header line\r\nContent-Type: text/plain\r\n\r\n");
  EXPECT_EQ(fetch(m, "BODY[1.1]"), "");
  EXPECT_EQ(fetch(m, "BODY[2]"), "");
  EXPECT_EQ(fetch(m, "BODY[1.TEXT]"), "");
}

TEST(FetchSectionTest, TopLevelMessageRfc822) {
  const MessageView m("From: x@y\nContent-Type: message/rfc822\n\nSubject: enc\n\nbody\n");
  EXPECT_EQ(fetch(m, "BODY[1]"), "Subject: enc\r\n\r\nbody\r\n");
  EXPECT_EQ(fetch(m, "BODY[1.HEADER]"), "Subject: enc\r\n\r\n");
  EXPECT_EQ(fetch(m, "BODY[1.TEXT]"), "body\r\n");
  EXPECT_EQ(fetch(m, "BODY[1.1]"), "body\r\n");
  EXPECT_EQ(fetch(m, "BODY[1.1.MIME]"), "Subject: enc\r\n\r\n");
  EXPECT_EQ(fetch(m, "BODY[1.1.1]"), "");
  EXPECT_EQ(fetch(m, "BODY[2]"), "");
}

TEST(FetchSectionTest, HeaderFields) {
  const MessageView m(
      "Received: one\n\tfolded\nFrom: a@b\nsubject: Hi\nX-Other: 1\nReceived: two\njunk\n\nbody\nFrom: not@header\n");
  EXPECT_EQ(fetch(m, "BODY[HEADER.FIELDS (From Subject)]"), "From: a@b\r\nsubject: Hi\r\n\r\n");
  EXPECT_EQ(fetch(m, "BODY[HEADER.FIELDS (RECEIVED)]"), "Received: one\r\n\tfolded\r\nReceived: two\r\n\r\n");
  EXPECT_EQ(fetch(m, "BODY[HEADER.FIELDS (X-NONE)]"), "\r\n");
  EXPECT_EQ(fetch(m, "BODY[HEADER.FIELDS.NOT (received from)]"), "subject: Hi\r\nX-Other: 1\r\n\r\n");
  EXPECT_EQ(fetch(m, "BODY[HEADER.FIELDS (From)]<0.4>"), "From");
  // A header without a blank line and a last field without a line end.
  const MessageView bare("Subject: x\nFrom: y");
  EXPECT_EQ(fetch(bare, "BODY[HEADER.FIELDS (FROM)]"), "From: y\r\n\r\n");
  EXPECT_EQ(fetch(bare, "BODY[HEADER]"), "Subject: x\r\nFrom: y");
  EXPECT_EQ(fetch(bare, "BODY[TEXT]"), "");
}

TEST(FetchSectionTest, Partial) {
  const MessageView m("Subject: partial\n\n0123456789\n");
  EXPECT_EQ(fetch(m, "BODY[TEXT]<0.5>"), "01234");
  EXPECT_EQ(fetch(m, "BODY[TEXT]<5.100>"), "56789\r\n");
  EXPECT_EQ(fetch(m, "BODY[TEXT]<12.1>"), "");
  EXPECT_EQ(fetch(m, "BODY[TEXT]<11.1>"), "\n");
  EXPECT_EQ(fetch(m, "BODY[]<4294967295.10>"), "");
  EXPECT_EQ(fetch(m, "BODY.PEEK[]<9.3>"), "par");
  EXPECT_EQ(fetch(m, "BODY[1]<1.2>"), "12");
}

TEST(FetchSectionTest, LfOnlyInputGivesCrlfSizes) {
  const MessageView m("Content-Type: multipart/mixed; boundary=q\n\n--q\nContent-Type: text/plain\n\na\nb\n--q--\n");
  EXPECT_EQ(fetch(m, "BODY[1]"), "a\r\nb");
  EXPECT_EQ(m.bodyStructure(false), "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 1) \"mixed\")");
}

}  // namespace
}  // namespace posthorn::imapd
