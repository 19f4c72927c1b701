// mime_decode_test - RFC 2047 words, transfer encodings, charsets, header splitting (lib/mime)
#include <gtest/gtest.h>

#include <string>

#include "lib/mime/charset.h"
#include "lib/mime/header_fields.h"
#include "lib/mime/rfc2047.h"
#include "lib/mime/transfer_decode.h"

namespace posthorn::mime {
namespace {

TEST(Rfc2047Test, DecodesWords) {
  EXPECT_EQ(decodeRfc2047("=?utf-8?q?caf=C3=A9?= test"), "café test");
  EXPECT_EQ(decodeRfc2047("=?UTF-8?B?SsO2cmc=?="), "Jörg");
  EXPECT_EQ(decodeRfc2047("=?iso-8859-1?q?Keld_J=F8rn?="), "Keld Jørn");
  EXPECT_EQ(decodeRfc2047("=?utf-8*en?Q?hi?="), "hi");  // RFC 2231 language
  // White space between adjacent words goes; elsewhere it stays.
  EXPECT_EQ(decodeRfc2047("=?utf-8?q?a?= \r\n =?utf-8?q?b?= c =?utf-8?q?d?="), "ab c d");
  EXPECT_EQ(decodeRfc2047("x=?utf-8?q?a?=y"), "xay");
}

TEST(Rfc2047Test, MalformedWordsStay) {
  for (const char* s : {"=?utf-8?x?abc?=", "=?utf-8?q?no end", "=??q?a?=", "=?utf-8?q?sp ace?=", "=?", "=?a", "?=",
                        "=?utf-8?q", "plain"})
    EXPECT_EQ(decodeRfc2047(s), s) << s;
  EXPECT_EQ(decodeRfc2047("=?bad =?utf-8?q?ok?="), "=?bad ok");
}

TEST(TransferDecodeTest, Base64) {
  EXPECT_EQ(decodeBase64("SGVsbG8="), "Hello");
  EXPECT_EQ(decodeBase64("SGVs\r\nbG8h"), "Hello!");
  EXPECT_EQ(decodeBase64("S G V s*bG8"), "Hello");  // junk skipped
  EXPECT_EQ(decodeBase64(""), "");
  EXPECT_EQ(decodeBase64("QQ==QUFB"), "A");  // stops at '='
  EXPECT_EQ(decodeTransferEncoding("SGk=", "Base64"), "Hi");
}

TEST(TransferDecodeTest, Base64Digits) {
  EXPECT_EQ(base64Value('A'), 0);
  EXPECT_EQ(base64Value('z'), 51);
  EXPECT_EQ(base64Value('9'), 61);
  EXPECT_EQ(base64Value('+'), 62);
  EXPECT_EQ(base64Value('/'), 63);
  EXPECT_EQ(base64Value(','), -1);
  EXPECT_EQ(base64Value('='), -1);
  EXPECT_EQ(base64Value(',', ','), 63);  // IMAP's modified BASE64
  EXPECT_EQ(base64Value('/', ','), -1);
}

TEST(TransferDecodeTest, QuotedPrintable) {
  EXPECT_EQ(decodeQuotedPrintable("caf=C3=a9"), "café");
  EXPECT_EQ(decodeQuotedPrintable("soft=\r\nbreak=  \r\nhere=\nlf"), "softbreakherelf");
  EXPECT_EQ(decodeQuotedPrintable("bad =ZZ and = end="), "bad =ZZ and = end");
  EXPECT_EQ(decodeQuotedPrintable("a_b"), "a_b");
  EXPECT_EQ(decodeQuotedPrintable("a_b", true), "a b");
  EXPECT_EQ(decodeTransferEncoding("=41", "QUOTED-PRINTABLE"), "A");
  EXPECT_EQ(decodeTransferEncoding("=41", "8bit"), "=41");
  EXPECT_EQ(decodeTransferEncoding("=41", "x-unknown"), "=41");
}

TEST(CharsetTest, ToUtf8) {
  EXPECT_EQ(toUtf8("caf\xe9", "ISO-8859-1"), "café");
  EXPECT_EQ(toUtf8("caf\xe9", "latin1"), "café");
  EXPECT_EQ(toUtf8("\x80\x9f\x81", "windows-1252"), "€Ÿ\xc2\x81");
  EXPECT_EQ(toUtf8("already ü", "UTF-8"), "already ü");
  EXPECT_EQ(toUtf8("ascii", "us-ascii"), "ascii");
  EXPECT_EQ(toUtf8("\xe4\xf6", "iso-8859-15"), "äö");  // through iconv
  EXPECT_EQ(toUtf8("\xff", "no-such-charset"), "\xff");
  EXPECT_EQ(toUtf8("x\xff", "utf-16be"), "\xe7\xa3\xbf");  // U+78FF
  // A truncated last unit: the byte is kept, no hang.
  EXPECT_EQ(toUtf8(std::string("x\xff\x00", 3), "utf-16be"), std::string("\xe7\xa3\xbf\x00", 4));
}

TEST(HeaderFieldsTest, SplitsFields) {
  const std::string h = "A: 1\r\nB:2\r\n  cont\r\n\tmore\r\nnot a field\r\n cont-without-field\r\nC : 3\r\n\r\nBody: x\r\n";
  const std::vector<HeaderField> f = parseHeaderFields(h);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].name, "A");
  EXPECT_EQ(f[0].value, " 1");
  EXPECT_EQ(f[0].line, "A: 1\r\n");
  EXPECT_EQ(f[1].value, "2\r\n  cont\r\n\tmore");
  EXPECT_EQ(unfoldHeaderValue(f[1].value), "2 cont more");
  EXPECT_EQ(f[2].name, "C");
  EXPECT_EQ(findHeaderField(f, "c"), &f[2]);
  EXPECT_EQ(findHeaderField(f, "d"), nullptr);
  EXPECT_EQ(headerEnd(h), h.find("Body:"));
  EXPECT_EQ(headerEnd("A: 1\n\nx"), 6u);
  EXPECT_EQ(headerEnd("A: 1"), 4u);
  EXPECT_EQ(headerEnd("\r\nx"), 2u);
  EXPECT_EQ(unfoldHeaderValue("  x  ", false), "x  ");
}

}  // namespace
}  // namespace posthorn::mime
