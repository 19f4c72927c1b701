// imap_mailbox_name_test - modified UTF-7 both ways and folder names that
// must not leave the user's Maildir++ tree
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "imapd/mailbox_name.h"

namespace posthorn::imapd {
namespace {

TEST(ImapMailboxNameTest, DecodesRfc3501Examples) {
  // RFC 3501 5.1.3: "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
  EXPECT_EQ(decodeModifiedUtf7("~peter/mail/&U,BTFw-/&ZeVnLIqe-").value(),
            "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
  EXPECT_EQ(decodeModifiedUtf7("&AMk-t&AOk-").value(), "\xc3\x89t\xc3\xa9");
  EXPECT_EQ(decodeModifiedUtf7("Tom &- Jerry").value(), "Tom & Jerry");
  EXPECT_EQ(decodeModifiedUtf7("").value(), "");
  // U+1F4E7 (a surrogate pair).
  EXPECT_EQ(decodeModifiedUtf7("&2D3c5w-").value(), "\xf0\x9f\x93\xa7");
}

TEST(ImapMailboxNameTest, EncodesCanonically) {
  EXPECT_EQ(encodeModifiedUtf7("\xc3\x89t\xc3\xa9").value(), "&AMk-t&AOk-");
  EXPECT_EQ(encodeModifiedUtf7("Tom & Jerry").value(), "Tom &- Jerry");
  EXPECT_EQ(encodeModifiedUtf7("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e").value(), "&ZeVnLIqe-");
  EXPECT_EQ(encodeModifiedUtf7("\xf0\x9f\x93\xa7").value(), "&2D3c5w-");
  EXPECT_EQ(encodeModifiedUtf7("Gel\xc3\xb6scht").value(), "Gel&APY-scht");
}

TEST(ImapMailboxNameTest, EncodeRejectsInvalidUtf8) {
  for (const char* bad : {"\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc3", "\x80", "\xff"})
    EXPECT_FALSE(encodeModifiedUtf7(bad)) << bad;
}

TEST(ImapMailboxNameTest, DecodeRejectsBadForms) {
  const struct {
    const char* input;
    const char* why;
  } cases[] = {
      {"&AMk", "'&' not closed by '-' in modified UTF-7"},
      {"a&", "'&' not closed by '-' in modified UTF-7"},
      {"&AM!-", "bad BASE64 character in modified UTF-7"},
      {"&AMk=-", "bad BASE64 character in modified UTF-7"},
      {"&AM/-", "bad BASE64 character in modified UTF-7"},  // '/' is ',' in modified BASE64
      {"&AMl-", "non-zero padding bits in modified UTF-7"},
      {"&AM-", "modified UTF-7 run does not end on a UTF-16 character"},
      {"&AMkA-", "modified UTF-7 run does not end on a UTF-16 character"},
      {"&2D0-", "unpaired surrogate in modified UTF-7"},        // lone high surrogate
      {"&3+c-", "unpaired surrogate in modified UTF-7"},        // lone low surrogate
      {"&2D3YPQ-", "unpaired surrogate in modified UTF-7"},     // high, high
      {"&AGE-", "printable ASCII encoded in BASE64 (non-canonical modified UTF-7)"},
      {"&AMk-&AOk-", "adjacent BASE64 runs (non-canonical modified UTF-7)"},
      {"caf\xc3\xa9", "8-bit byte in a modified UTF-7 name"},
      {"a\tb", "control character in a mailbox name"},
  };
  for (const auto& c : cases) {
    std::string why;
    EXPECT_FALSE(decodeModifiedUtf7(c.input, &why)) << c.input;
    EXPECT_EQ(why, c.why) << c.input;
  }
}

TEST(ImapMailboxNameTest, RoundTrips) {
  std::mt19937 rng(8);
  for (int i = 0; i < 2000; ++i) {
    std::string utf8;
    const int n = static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) {
      std::uint32_t cp;
      switch (rng() % 4) {
        case 0: cp = 0x20 + rng() % 0x5f; break;
        case 1: cp = 0x80 + rng() % 0x780; break;
        case 2: cp = 0x800 + rng() % 0xf800; break;
        default: cp = 0x10000 + rng() % 0x100000; break;
      }
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x4e2d;
      if (cp < 0x80) {
        utf8 += static_cast<char>(cp);
      } else if (cp < 0x800) {
        utf8 += static_cast<char>(0xc0 | (cp >> 6));
        utf8 += static_cast<char>(0x80 | (cp & 0x3f));
      } else if (cp < 0x10000) {
        utf8 += static_cast<char>(0xe0 | (cp >> 12));
        utf8 += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        utf8 += static_cast<char>(0x80 | (cp & 0x3f));
      } else {
        utf8 += static_cast<char>(0xf0 | (cp >> 18));
        utf8 += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        utf8 += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        utf8 += static_cast<char>(0x80 | (cp & 0x3f));
      }
    }
    const auto encoded = encodeModifiedUtf7(utf8);
    ASSERT_TRUE(encoded) << utf8;
    std::string why;
    const auto decoded = decodeModifiedUtf7(*encoded, &why);
    ASSERT_TRUE(decoded) << *encoded << ": " << why;
    EXPECT_EQ(*decoded, utf8);
    // Canonical: re-encoding gives the same bytes.
    EXPECT_EQ(encodeModifiedUtf7(*decoded).value(), *encoded);
  }
}

TEST(ImapMailboxNameTest, AcceptsOrdinaryNames) {
  for (const char* ok : {"INBOX", "inbox", "Sent", "Archive.2024", "Lists.posthorn-dev", "&AMk-t&AOk-",
                         "Tom &- Jerry", "[Gmail]", "a b"})
    EXPECT_EQ(checkMailboxName(ok), "") << ok;
}

TEST(ImapMailboxNameTest, RefusesNamesEscapingTheTree) {
  const struct {
    std::string name;
    const char* why;
  } cases[] = {
      {"", "empty mailbox name"},
      {"../../etc", "mailbox name contains '/'"},
      {"/etc/passwd", "mailbox name contains '/'"},
      {"a/b", "mailbox name contains '/'"},
      {"..", "mailbox name starts or ends with the separator '.'"},
      {".hidden", "mailbox name starts or ends with the separator '.'"},
      {"a.", "mailbox name starts or ends with the separator '.'"},
      {"a..b", "mailbox name has an empty level (\"..\")"},
      {"~root", "mailbox name starts with '~'"},
      {"~", "mailbox name starts with '~'"},
      {std::string("a\0b", 3), "mailbox name contains a control character"},
      {"a\nb", "mailbox name contains a control character"},
      {"a\x7f", "mailbox name contains a control character"},
      {"caf\xc3\xa9", "mailbox name contains 8-bit bytes (send modified UTF-7)"},
      {"a*", "mailbox name contains a wildcard ('*' or '%')"},
      {"a%", "mailbox name contains a wildcard ('*' or '%')"},
      {"&AMk", "'&' not closed by '-' in modified UTF-7"},
      {"&AC8-etc", "printable ASCII encoded in BASE64 (non-canonical modified UTF-7)"},  // "/" hidden in BASE64
      {std::string(201, 'a'), "mailbox name longer than 200 bytes"},
  };
  for (const auto& c : cases) EXPECT_EQ(checkMailboxName(c.name), c.why) << c.name;
}

}  // namespace
}  // namespace posthorn::imapd
