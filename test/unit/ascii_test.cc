// ascii_test - ASCII case of protocol words: only A-Z and a-z change
#include "lib/util/ascii.h"

#include <gtest/gtest.h>

namespace posthorn::util {
namespace {

TEST(Ascii, UpperAndLowerChangeOnlyAsciiLetters) {
  EXPECT_EQ(upper("ehlo mail.Example-1.org"), "EHLO MAIL.EXAMPLE-1.ORG");
  EXPECT_EQ(lower("RCPT TO:<Ünïcode@EXAMPLE>"), "rcpt to:<Ünïcode@example>");
  // Bytes above 0x7f are left alone whatever the locale would say.
  const std::string latin1("\xC9\xE9", 2);
  EXPECT_EQ(upper(latin1), latin1);
  EXPECT_EQ(lower(latin1), latin1);
  EXPECT_EQ(upper("@[`{"), "@[`{");  // the neighbours of A-Z and a-z
}

TEST(Ascii, InPlaceVariants) {
  std::string s = "Auth=Login";
  upperInPlace(s);
  EXPECT_EQ(s, "AUTH=LOGIN");
  lowerInPlace(s);
  EXPECT_EQ(s, "auth=login");
}

TEST(Ascii, EqualsIgnoreCase) {
  EXPECT_TRUE(equalsIgnoreCase("InBox", "INBOX"));
  EXPECT_TRUE(equalsIgnoreCase("", ""));
  EXPECT_FALSE(equalsIgnoreCase("INBOX", "INBOX."));
  EXPECT_FALSE(equalsIgnoreCase("@", "`"));  // 0x40 and 0x60 differ by the case bit but are not letters
  EXPECT_FALSE(equalsIgnoreCase("\xC9", "\xE9"));
}

TEST(Ascii, StartsWithIgnoreCase) {
  EXPECT_TRUE(startsWithIgnoreCase("IPv6:::1", "ipv6:"));
  EXPECT_TRUE(startsWithIgnoreCase("x", ""));
  EXPECT_FALSE(startsWithIgnoreCase("ipv", "ipv6:"));
  EXPECT_FALSE(startsWithIgnoreCase("ipv4:", "ipv6:"));
}

}  // namespace
}  // namespace posthorn::util
