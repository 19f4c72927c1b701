// imap_message_structure_test - MIME tree, BODY and BODYSTRUCTURE (expectations checked against Dovecot 2.3)
#include <gtest/gtest.h>

#include <string>

#include "imapd/message_view.h"
#include "test/unit/imap_message_test_util.h"

namespace posthorn::imapd {
namespace {

const std::string kInnerEnvelope =
    "(NIL \"inner\" ((NIL NIL \"inner\" \"x\")) ((NIL NIL \"inner\" \"x\")) ((NIL NIL \"inner\" \"x\")) NIL NIL NIL "
    "NIL NIL)";

TEST(BodyStructureTest, MixedWithAttachmentAndNestedMessage) {
  const MessageView m(testmsg::kMixed);
  EXPECT_EQ(m.bodyStructure(true),
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 13 0 NIL NIL NIL NIL)"
            "(\"text\" \"html\" (\"charset\" \"ISO-8859-1\") \"<cid1>\" \"the html\" \"quoted-printable\" 13 0 NIL NIL "
            "(\"en\" \"de\") \"http://x/y\")"
            "(\"application\" \"octet-stream\" (\"name\" \"a b.bin\") NIL NIL \"base64\" 8 \"abc\" "
            "(\"attachment\" (\"filename\" \"a b.bin\")) NIL NIL)"
            "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 177 " +
                kInnerEnvelope +
                " ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 0 NIL NIL NIL NIL)"
                "(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 11 0 NIL NIL NIL NIL) \"alternative\" "
                "(\"boundary\" \"YY\") NIL NIL NIL) 13 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"XX\") NIL NIL NIL)");
  EXPECT_EQ(m.bodyStructure(false),
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 13 0)"
            "(\"text\" \"html\" (\"charset\" \"ISO-8859-1\") \"<cid1>\" \"the html\" \"quoted-printable\" 13 0)"
            "(\"application\" \"octet-stream\" (\"name\" \"a b.bin\") NIL NIL \"base64\" 8)"
            "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 177 " +
                kInnerEnvelope +
                " ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 0)"
                "(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 11 0) \"alternative\") 13) \"mixed\")");
}

TEST(BodyStructureTest, MimeTreeOffsets) {
  const MessageView m(testmsg::kMixed);
  const mime::MimePart& root = m.mimeTree();
  ASSERT_TRUE(root.isMultipart());
  ASSERT_EQ(root.children.size(), 4u);
  const std::string_view text = m.text();
  EXPECT_EQ(root.children[0].header(text), "\r\n");
  EXPECT_EQ(root.children[0].body(text), "plain default");
  EXPECT_EQ(root.children[2].body(text), "AAECAw==");
  const mime::MimePart& message = root.children[3];
  ASSERT_TRUE(message.isMessage());
  const mime::MimePart& inner = message.children.front();
  EXPECT_EQ(inner.headerStart, message.bodyStart);
  ASSERT_EQ(inner.children.size(), 2u);
  EXPECT_EQ(inner.children[1].body(text), "<p>alt2</p>");
  EXPECT_EQ(root.end, text.size());
}

TEST(BodyStructureTest, PlainMessageDefaults) {
  EXPECT_EQ(MessageView("From: a@b\nSubject: hi\n\nbody\n").bodyStructure(true),
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 1 NIL NIL NIL NIL)");
  EXPECT_EQ(MessageView("Subject: no blank line").bodyStructure(false),
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)");
  // Case kept as written; 8bit body without a Content-Transfer-Encoding is 7bit.
  EXPECT_EQ(MessageView("From: a@b\njunk header line\nContent-Type: TEXT/Plain; CHARSET=\"UTF-8\"; format=flowed\n"
                        "Content-Transfer-Encoding: 8BIT\n\nhello\r\nworld")
                .bodyStructure(true),
            "(\"TEXT\" \"Plain\" (\"CHARSET\" \"UTF-8\" \"format\" \"flowed\") NIL NIL \"8BIT\" 12 1 NIL NIL NIL NIL)");
  EXPECT_EQ(MessageView("Content-Type: text/plain; charset=utf-8\n\nb\xc3\xa9\n").bodyStructure(false),
            "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 5 1)");
}

TEST(BodyStructureTest, CharsetAppendedAndEmptyFields) {
  EXPECT_EQ(MessageView("Content-Type: text/html; format=flowed; delsp=yes\nContent-Language: en\n"
                        "Content-Disposition: attachment; filename*=utf-8''%C3%A9.txt; size=3\n\nbody")
                .bodyStructure(true),
            "(\"text\" \"html\" (\"format\" \"flowed\" \"delsp\" \"yes\" \"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 0 "
            "NIL (\"attachment\" (\"filename*\" \"utf-8''%C3%A9.txt\" \"size\" \"3\")) (\"en\") NIL)");
  // A Content-Type without a usable charset value, an empty encoding and an empty Content-ID.
  EXPECT_EQ(MessageView("Content-Type: text/plain; charset\nContent-Transfer-Encoding: \nContent-ID:\n\nx\n")
                .bodyStructure(false),
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") \"\" NIL \"7bit\" 3 1)");
  EXPECT_EQ(MessageView("Content-Type: application/pdf\nContent-Disposition: attachment\n\n%PDF\n").bodyStructure(true),
            "(\"application\" \"pdf\" NIL NIL NIL \"7bit\" 6 NIL (\"attachment\" NIL) NIL NIL)");
}

TEST(BodyStructureTest, TopLevelMessageRfc822) {
  EXPECT_EQ(MessageView("From: a@b\nContent-Type: message/rfc822\n\nSubject: enc\n\nbody\n").bodyStructure(true),
            "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 22 (NIL \"enc\" NIL NIL NIL NIL NIL NIL NIL NIL) "
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 1 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)");
  EXPECT_EQ(MessageView("Content-Type: message/rfc822\n\nnot really a message").bodyStructure(false),
            "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 20 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) "
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) 0)");
}

TEST(BodyStructureTest, DigestDefaultsToMessageRfc822) {
  EXPECT_EQ(MessageView("From: a@b\nContent-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: in digest\n\nx\n"
                        "--d\nContent-Type: text/plain\nContent-Disposition: inline\n\nt\n--d--\n")
                .bodyStructure(true),
            "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 23 (NIL \"in digest\" NIL NIL NIL NIL NIL NIL NIL NIL) "
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL NIL NIL NIL) 2 NIL NIL NIL NIL)"
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL (\"inline\" NIL) NIL NIL) "
            "\"digest\" (\"boundary\" \"d\") NIL NIL NIL)");
}

TEST(BodyStructureTest, NestedMultipartsAndOuterBoundaryEndsInner) {
  // The inner multipart has no close delimiter; the outer delimiter ends it.
  const MessageView m(
      "Content-Type: multipart/mixed; boundary=\"outer\"\n\n--outer\n"
      "Content-Type: multipart/alternative; boundary=\"inner\"\n\n--inner\nContent-Type: text/plain\n\nA\n"
      "--inner\nContent-Type: text/html\n\nB\n--outer\nContent-Type: text/plain; charset=us-ascii\n\nC\n--outer--\n");
  EXPECT_EQ(m.bodyStructure(false),
            "(((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0)"
            "(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0) \"alternative\")"
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0) \"mixed\")");
}

TEST(BodyStructureTest, MultipartExtensionData) {
  EXPECT_EQ(MessageView("Content-Type: multipart/mixed; boundary=b\nContent-Disposition: inline\nContent-Language: fr\n"
                        "Content-Location: loc\n\n--b \n\nx\n--b--  \ntrailer\n")
                .bodyStructure(true),
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL NIL NIL NIL) \"mixed\" "
            "(\"boundary\" \"b\") (\"inline\" NIL) (\"fr\") \"loc\")");
}

TEST(BodyStructureTest, MalformedMultiparts) {
  const std::string emptyPart = "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)";
  // No boundary parameter: one empty part.
  EXPECT_EQ(MessageView("Content-Type: multipart/mixed\n\n--foo\n\nx\n--foo--\n").bodyStructure(true),
            "(" + emptyPart + " \"mixed\" NIL NIL NIL NIL)");
  // No delimiter line at all.
  EXPECT_EQ(MessageView("Content-Type: multipart/mixed; boundary=foo\n\nno parts at all\n").bodyStructure(true),
            "(" + emptyPart + " \"mixed\" (\"boundary\" \"foo\") NIL NIL NIL)");
  // No close delimiter: the last part runs to the end.
  EXPECT_EQ(MessageView("Content-Type: multipart/mixed; boundary=foo\n\n--foo\nContent-Type: text/plain\n\n"
                        "unterminated\n")
                .bodyStructure(false),
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 14 1) \"mixed\")");
  // An empty message/rfc822 part.
  EXPECT_EQ(MessageView("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\n--b--\n")
                .bodyStructure(false),
            "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 0 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) "
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) 0) \"mixed\")");
  // A delimiter that is only a prefix of a line is not a delimiter; "--b" inside text is content.
  const MessageView prefix("Content-Type: multipart/mixed; boundary=b\n\n--b\n\n--bogus\nx --b\n--b--\n");
  ASSERT_EQ(prefix.mimeTree().children.size(), 1u);
  EXPECT_EQ(prefix.mimeTree().children[0].body(prefix.text()), "--bogus\r\nx --b");
  // Junk Content-Type values fall back to text/plain.
  for (const char* ct : {"", "garbage", "/", "text/", "/plain", ";;;", "(comment only)", "multipart"}) {
    const MessageView m(std::string("Content-Type: ") + ct + "\n\nx\n");
    EXPECT_EQ(m.bodyStructure(false), "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1)") << ct;
  }
}

TEST(BodyStructureTest, DeepNestingIsBounded) {
  // 150 nested multiparts and 150 nested message/rfc822: no stack overflow,
  // the structure stops at kMaxMimeDepth with an opaque part.
  std::string deep;
  for (int i = 0; i < 150; ++i) deep += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\n\n--b" +
                                        std::to_string(i) + "\n";
  deep += "\nleaf\n";
  const MessageView m(deep);
  const std::string bs = m.bodyStructure(true);
  EXPECT_NE(bs.find("\"application\" \"octet-stream\""), std::string::npos);
  std::size_t depth = 0, maxDepth = 0;
  for (char c : bs) {
    if (c == '(') maxDepth = std::max(maxDepth, ++depth);
    if (c == ')') --depth;
  }
  EXPECT_EQ(depth, 0u);
  EXPECT_LE(maxDepth, mime::kMaxMimeDepth + 3);
  std::string messages;
  for (int i = 0; i < 150; ++i) messages += "Content-Type: message/rfc822\n\n";
  messages += "body\n";
  const std::string ms = MessageView(messages).bodyStructure(false);
  EXPECT_NE(ms.find("\"application\" \"octet-stream\""), std::string::npos);
}

TEST(BodyStructureTest, ManyPartsAndEightBitParameters) {
  std::string msg = "Content-Type: multipart/mixed; boundary=z\n\n";
  for (int i = 0; i < 2000; ++i) msg += "--z\nContent-Type: text/plain; name=\"n\xc3\xa9\"\n\n" + std::to_string(i) + "\n";
  msg += "--z--\n";
  const MessageView m(msg);
  EXPECT_EQ(m.mimeTree().children.size(), 2000u);
  const std::string bs = m.bodyStructure(false);
  EXPECT_NE(bs.find("(\"name\" {3}\r\nn\xc3\xa9 \"charset\" \"us-ascii\")"), std::string::npos);
}

}  // namespace
}  // namespace posthorn::imapd
