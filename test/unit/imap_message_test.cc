// imap_message_test - MessageView (line ends, header access, SEARCH text), ENVELOPE and addresses
#include <gtest/gtest.h>

#include <string>

#include "imapd/imap_address.h"
#include "imapd/imap_envelope.h"
#include "imapd/message_view.h"
#include "test/unit/imap_message_test_util.h"

namespace posthorn::imapd {
namespace {

TEST(MessageViewTest, NormalizesLineEndsToCrlf) {
  const MessageView lf("Subject: a\n\nline1\nline2\n");
  EXPECT_EQ(lf.text(), "Subject: a\r\n\r\nline1\r\nline2\r\n");
  EXPECT_EQ(lf.header(), "Subject: a\r\n\r\n");
  EXPECT_EQ(lf.body(), "line1\r\nline2\r\n");
  // A mix: CRLF kept, bare LF gets a CR, bare CR stays as it is.
  const MessageView mixed("A: 1\r\nB: 2\n\r\nx\ry\nz");
  EXPECT_EQ(mixed.text(), "A: 1\r\nB: 2\r\n\r\nx\ry\r\nz");
  EXPECT_EQ(mixed.body(), "x\ry\r\nz");
  // Already CRLF: unchanged.
  const MessageView crlf("A: 1\r\n\r\nbody\r\n");
  EXPECT_EQ(crlf.text(), "A: 1\r\n\r\nbody\r\n");
  EXPECT_EQ(crlf.text().size(), 14u);
}

TEST(MessageViewTest, HeaderWithoutBodyOrBlankLine) {
  const MessageView noBlank("Subject: no blank line");
  EXPECT_EQ(noBlank.header(), "Subject: no blank line");
  EXPECT_EQ(noBlank.body(), "");
  EXPECT_EQ(noBlank.headerValues("subject"), std::vector<std::string>{"no blank line"});
  const MessageView empty("");
  EXPECT_EQ(empty.header(), "");
  EXPECT_EQ(empty.envelope(), "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
  const MessageView onlyBody("\nbody only\n");
  EXPECT_EQ(onlyBody.header(), "\r\n");
  EXPECT_EQ(onlyBody.body(), "body only\r\n");
}

TEST(MessageViewTest, HeaderValuesUnfoldedInOrderCaseInsensitive) {
  const MessageView m(
      "Received: from a\n\tby b\nSUBJECT: line\n folded\n  again\nReceived: second\n"
      "junk line without colon\nX-Empty:\n\nbody\nReceived: not a header\n");
  EXPECT_EQ(m.headerValues("received"), (std::vector<std::string>{"from a by b", "second"}));
  EXPECT_EQ(m.headerValues("Subject"), std::vector<std::string>{"line folded again"});
  EXPECT_EQ(m.headerValues("x-empty"), std::vector<std::string>{""});
  EXPECT_TRUE(m.headerValues("missing").empty());
}

TEST(MessageViewTest, DecodedHeaders) {
  const MessageView m(
      "Subject: =?utf-8?q?caf=C3=A9?= =?ISO-8859-1?B?5Q==?= and =?iso-8859-1?q?J=F6rg?=\n"
      "From: =?utf-8?b?SsO2cmc=?= <j@x>\n\nb\n");
  EXPECT_EQ(m.decodedHeaderValues("subject"), std::vector<std::string>{"café\xc3\xa5 and Jörg"});
  EXPECT_EQ(m.decodedHeaderText(), "Subject: café\xc3\xa5 and Jörg\r\nFrom: Jörg <j@x>\r\n");
}

TEST(MessageViewTest, DecodedBodyTextOfTextPartsOnly) {
  const MessageView m(testmsg::kMixed);
  const std::string text = m.decodedBodyText();
  EXPECT_NE(text.find("plain default"), std::string::npos);
  EXPECT_NE(text.find("<b>café</b>"), std::string::npos) << text;  // QP + latin-1
  EXPECT_EQ(text.find("AAECAw"), std::string::npos);               // not text
  EXPECT_EQ(text.find("preamble"), std::string::npos);
  EXPECT_EQ(text.find("epilogue"), std::string::npos);
  EXPECT_NE(text.find("Subject: inner"), std::string::npos);  // encapsulated header
  EXPECT_NE(text.find("alt1"), std::string::npos);
  EXPECT_NE(text.find("<p>alt2</p>"), std::string::npos);
}

TEST(MessageViewTest, DecodedBodyTextBase64AndCharsets) {
  const MessageView b64(
      "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: BASE64\n\n"
      "SGVsbG8g\nd8O2cmxk\n");
  EXPECT_EQ(b64.decodedBodyText(), "Hello wörld\r\n");
  const MessageView cp1252(
      "Content-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: quoted-printable\n\n"
      "=93quoted=94 =80 soft=\nbreak\n");
  EXPECT_EQ(cp1252.decodedBodyText(), "\xe2\x80\x9cquoted\xe2\x80\x9d \xe2\x82\xac softbreak\r\n");
  const MessageView koi("Content-Type: text/plain; charset=koi8-r\n\n\xf0\xd2\xc9\xd7\xc5\xd4\n");
  EXPECT_EQ(koi.decodedBodyText(), "Привет\r\n");  // through iconv
  const MessageView unknown("Content-Type: text/plain; charset=x-nonsense\n\n\xff\xfe ok\n");
  EXPECT_EQ(unknown.decodedBodyText(), "\xff\xfe ok\r\n");  // as is
  const MessageView notText("Content-Type: image/png\n\nPNG\n");
  EXPECT_EQ(notText.decodedBodyText(), "");
}

TEST(MessageViewTest, SentDate) {
  EXPECT_EQ(MessageView("Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\n\n").sentDate(), 760686745);
  EXPECT_EQ(MessageView("Date: Thu, 1 Jan 1970 00:00:00 +0000\n\n").sentDate(), 0);
  // Obsolete forms: 2-digit year, named zone, no seconds, no day name, folded.
  EXPECT_EQ(MessageView("Date: 1 Jan 70 00:00 GMT\n\n").sentDate(), 0);
  EXPECT_EQ(MessageView("Date: Fri, 31 Dec 99\n 19:00:00 EST\n\n").sentDate(), 946684800);
  EXPECT_EQ(MessageView("Date: 29 Feb 2024 12:00:00 +0130\n\n").sentDate(), 1709202600);
  EXPECT_EQ(MessageView("Date: 1 jan 2000 00:00:00 PDT\n\n").sentDate(), 946710000);
  EXPECT_EQ(MessageView("Date: 1 Jan 100 00:00:00 +0000\n\n").sentDate(), 0 + 946684800);  // 3 digits: +1900
  EXPECT_FALSE(MessageView("Subject: x\n\n").sentDate());
  EXPECT_FALSE(MessageView("Date: yesterday\n\n").sentDate());
  EXPECT_FALSE(MessageView("Date: 32 Jan 2000 00:00:00 +0000\n\n").sentDate());
  EXPECT_FALSE(MessageView("Date: 1 Foo 2000 00:00:00 +0000\n\n").sentDate());
  EXPECT_FALSE(MessageView("Date: 1 Jan 2000 25:00:00 +0000\n\n").sentDate());
  EXPECT_FALSE(MessageView("Date: 1 Jan 2000 10:00:00 +0099\n\n").sentDate());
}

TEST(EnvelopeTest, FullMessageAsDovecot) {
  const MessageView m(testmsg::kMixed);
  EXPECT_EQ(m.envelope(),
            "(\"Mon, 7 Feb 1994 21:52:25 -0800 (PST)\" \"=?utf-8?q?caf=C3=A9?= test\" "
            "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
            "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
            "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
            "((NIL NIL \"imap\" \"cac.washington.edu\")(NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) "
            "((NIL NIL \"Team\" NIL)(\"Ann B\" NIL \"ann\" \"x.org\")(NIL NIL \"bob\" \"y.org\")(NIL NIL NIL NIL)"
            "(\"Q\\\"uote\" NIL \"q\" \"z\")) "
            "NIL \"<foo@bar>\" \"<B27397-0100000@cac.washington.edu>\")");
}

TEST(EnvelopeTest, MissingFieldsAreNil) {
  EXPECT_EQ(imapEnvelope("Subject: no blank line"), "(NIL \"no blank line\" NIL NIL NIL NIL NIL NIL NIL NIL)");
  EXPECT_EQ(imapEnvelope("X: y\r\n\r\n"), "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
  // Empty Subject is "", an empty To is NIL.
  EXPECT_EQ(imapEnvelope("Subject:\r\nTo: \r\n\r\n"), "(NIL \"\" NIL NIL NIL NIL NIL NIL NIL NIL)");
}

TEST(EnvelopeTest, SenderAndReplyToDefaultToFromButNotWhenGiven) {
  EXPECT_EQ(imapEnvelope("From: a@b\nSender: s@b\nReply-To: \"R\" <r@b>\n\n"),
            "(NIL NIL ((NIL NIL \"a\" \"b\")) ((NIL NIL \"s\" \"b\")) ((\"R\" NIL \"r\" \"b\")) NIL NIL NIL NIL NIL)");
}

TEST(EnvelopeTest, FirstFieldWinsAndRawValues) {
  EXPECT_EQ(imapEnvelope("Subject: one\nSubject: two\nIn-Reply-To: <a@b> <c@d>\nMessage-ID:    <spaced@x>   \n"
                         "Bcc: x@y\n\n"),
            "(NIL \"one\" NIL NIL NIL NIL NIL ((NIL NIL \"x\" \"y\")) \"<a@b> <c@d>\" \"<spaced@x>   \")");
}

TEST(EnvelopeTest, EightBitValuesAreLiterals) {
  EXPECT_EQ(imapEnvelope("Subject: caf\xc3\xa9 8bit\n\n"),
            "(NIL {10}\r\ncaf\xc3\xa9 8bit NIL NIL NIL NIL NIL NIL NIL NIL)");
}

TEST(AddressTest, NamesRoutesCommentsAndQuotedLocalParts) {
  EXPECT_EQ(imapAddressList("\"Joe Q. Public\" <john.q.public@example.com>, (comment) Mary Smith "
                            "<@machine.tld:mary@example.net>, jdoe@one.test (John Doe)"),
            "((\"Joe Q. Public\" NIL \"john.q.public\" \"example.com\")(\"Mary Smith\" \"@machine.tld\" \"mary\" "
            "\"example.net\")(\"John Doe\" NIL \"jdoe\" \"one.test\"))");
  EXPECT_EQ(imapAddressList("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>, <bare@angle>, noat, "
                            "\"quoted local\"@x.y"),
            "((\"=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=\" NIL \"keld\" \"dkuug.dk\")(NIL NIL \"bare\" \"angle\")"
            "(NIL NIL \"noat\" \"MISSING_DOMAIN\")(NIL NIL \"quoted local\" \"x.y\"))");
  EXPECT_EQ(imapAddressList("\"a\" <a@b> (comment), x@y (cm (nested))"),
            "((\"a\" NIL \"a\" \"b\")(\"cm (nested)\" NIL \"x\" \"y\"))");
  EXPECT_EQ(imapAddressList("Joe Q. Public <j@[10.0.0.1]>"), "((\"Joe Q. Public\" NIL \"j\" \"[10.0.0.1]\"))");
  EXPECT_EQ(imapAddressList("<@a,@b:route@c>"), "((NIL \"@a,@b\" \"route\" \"c\"))");
}

TEST(AddressTest, Groups) {
  EXPECT_EQ(imapAddressList("Undisclosed recipients:;"), "((NIL NIL \"Undisclosed recipients\" NIL)(NIL NIL NIL NIL))");
  EXPECT_EQ(imapAddressList("Group: ;, empty:;, a@b"),
            "((NIL NIL \"Group\" NIL)(NIL NIL NIL NIL)(NIL NIL \"empty\" NIL)(NIL NIL NIL NIL)(NIL NIL \"a\" \"b\"))");
  // An unterminated group is closed at the end.
  EXPECT_EQ(imapAddressList("G: a@b, c@d"),
            "((NIL NIL \"G\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL \"c\" \"d\")(NIL NIL NIL NIL))");
  const std::vector<ImapAddress> list = parseAddressList("Team: x@y;");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].mailbox, "Team");
  EXPECT_FALSE(list[0].host);
  EXPECT_EQ(list[1].host, "y");
  EXPECT_FALSE(list[2].mailbox);
  EXPECT_FALSE(list[2].host);
}

TEST(AddressTest, OddInputNeverFails) {
  EXPECT_EQ(imapAddressList(""), "NIL");
  EXPECT_EQ(imapAddressList("   "), "NIL");
  EXPECT_EQ(imapAddressList(",,a@b,,"), "((NIL NIL \"a\" \"b\"))");
  EXPECT_EQ(imapAddressList("<>"), "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))");
  EXPECT_EQ(imapAddressList("\"Only Name\""), "((\"Only Name\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))");
  EXPECT_EQ(imapAddressList("a@"), "((NIL NIL \"a\" \"MISSING_DOMAIN\"))");
  // Unterminated quote, angle bracket, comment, domain literal: something sane.
  for (const char* junk : {"\"unterminated <a@b>", "Name <a@b", "a@b (open comment", "x@[1.2.3", "<<<>>>",
                           ":;:;", "@@@", "\\", ")", "\"\\"}) {
    const std::string out = imapAddressList(junk);
    EXPECT_TRUE(out == "NIL" || (out.front() == '(' && out.back() == ')')) << junk << " -> " << out;
  }
  EXPECT_EQ(imapAddressList("Name <a@b"), "((\"Name\" NIL \"a\" \"b\"))");
}

TEST(AddressTest, ManyAddressesAreLinear) {
  std::string value;
  for (int i = 0; i < 5000; ++i) value += "\"User " + std::to_string(i) + "\" <u" + std::to_string(i) + "@example.org>, ";
  EXPECT_EQ(parseAddressList(value).size(), 5000u);
}

}  // namespace
}  // namespace posthorn::imapd
