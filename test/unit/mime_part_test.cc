// mime_part_test - Content-Type parameters, the part tree, a message's decoded text, UTF-8 (lib/mime)
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "lib/mime/mime_params.h"
#include "lib/mime/mime_part.h"
#include "lib/mime/mime_text.h"
#include "lib/mime/utf8.h"

namespace posthorn::mime {
namespace {

TEST(MimeParamsTest, LenientParsing) {
  const MimeValue v = parseMimeValue(" text / plain (c) ; charset = \"utf\\\"8\" ; junk ; name=; x=y z; q=\"a;b\"");
  EXPECT_EQ(v.value, "text/plain");
  ASSERT_EQ(v.params.size(), 3u);
  EXPECT_EQ(v.params[0], (std::pair<std::string, std::string>{"charset", "utf\"8"}));
  EXPECT_EQ(v.params[1], (std::pair<std::string, std::string>{"x", "y"}));
  EXPECT_EQ(v.params[2], (std::pair<std::string, std::string>{"q", "a;b"}));
  EXPECT_EQ(findMimeParam(v.params, "CHARSET"), "utf\"8");
  EXPECT_FALSE(findMimeParam(v.params, "name"));
  EXPECT_EQ(parseMimeValue("attachment; filename=\"unterminated").params.size(), 1u);
  EXPECT_EQ(parseMimeValue("(unterminated comment").value, "");
}

TEST(MimePartTest, TreeOfMultipartAndEncapsulatedMessage) {
  const std::string text =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\npreamble\r\n"
      "--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
      "caf=E9\r\n"
      "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: =?utf-8?q?inner?=\r\n\r\nhi\r\n"
      "--b--\r\nepilogue\r\n";
  const MimePart root = parseMimeTree(text);
  ASSERT_TRUE(root.isMultipart());
  ASSERT_EQ(root.children.size(), 2u);
  EXPECT_TRUE(root.children[0].isText());
  EXPECT_EQ(root.children[0].body(text), "caf=E9");
  EXPECT_EQ(findMimeParam(root.children[0].params, "charset"), "iso-8859-1");
  ASSERT_TRUE(root.children[1].isMessage());
  const MimePart& inner = root.children[1].children.front();
  EXPECT_EQ(inner.header(text), "Subject: =?utf-8?q?inner?=\r\n\r\n");
  EXPECT_EQ(inner.body(text), "hi");
  EXPECT_EQ(decodedHeaderText(inner.header(text)), "Subject: inner\r\n");
  EXPECT_EQ(decodedBodyText(text, root), "caf\xc3\xa9\r\nSubject: inner\r\nhi\r\n");
}

TEST(MimePartTest, LfLineEnds) {
  const std::string text = "Content-Type: multipart/alternative; boundary=x\n\n--x\n\none\n--x\n\ntwo\n--x--\n";
  const MimePart root = parseMimeTree(text);
  ASSERT_EQ(root.children.size(), 2u);
  EXPECT_EQ(root.children[0].body(text), "one");
  EXPECT_EQ(root.children[1].body(text), "two");
}

TEST(Utf8Test, EncodesAndDecodes) {
  std::string s;
  for (const char32_t cp : {U'A', U'\u00e9', U'\u20ac', U'\U0001F600'}) appendUtf8(s, cp);
  EXPECT_EQ(s, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  std::u32string back;
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const std::size_t len = decodeUtf8(s, i, cp);
    ASSERT_NE(len, 0u);
    back += cp;
    i += len;
  }
  EXPECT_EQ(back, U"A\u00e9\u20ac\U0001F600");
  // Overlong, a surrogate, above U+10FFFF, truncated, a stray continuation byte.
  for (const std::string bad : {"\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\x80"}) {
    char32_t cp = 0;
    EXPECT_EQ(decodeUtf8(bad, 0, cp), 0u) << bad;
  }
}

}  // namespace
}  // namespace posthorn::mime
