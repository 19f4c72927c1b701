// map_types_test - texthash:, inline: and cidr: tables; the examples of
// Postfix's cidr_table(5) give Postfix's answers; syntax errors name
// FILE:LINE; keys reach cidr: tables unfolded.
#include <functional>
#include <gtest/gtest.h>

#include "lib/map/cidr_map.h"
#include "lib/map/lookup_table.h"
#include "lib/map/memory_map.h"
#include "test/unit/map_test_util.h"

namespace posthorn::map {
namespace {

using testing::errorOf;
using testing::valueOf;
using testing::ScratchDir;
using testing::writeFile;

TEST(SupportedTypes, ListsEveryType) {
  EXPECT_EQ(supportedTypes(), "cidr hash inline pcre pgsql regexp texthash");
  for (const char* t : {"cidr", "hash", "inline", "pcre", "pgsql", "regexp", "texthash"}) {
    EXPECT_TRUE(isSupportedType(t)) << t;
  }
  EXPECT_FALSE(isSupportedType("mysql"));
  EXPECT_EQ(errorOf([] { openTable("ldap:/etc/mail/ldap.cf"); }),
            "unsupported table type \"ldap\" in \"ldap:/etc/mail/ldap.cf\" (supported: cidr hash "
            "inline pcre pgsql regexp texthash)");
}

TEST(Texthash, ReadsThePostmapSourceWithoutADbFile) {
  ScratchDir dir;
  writeFile(dir.file("virtual"),
            "# comment\n"
            "Alice@Example.com   alice@other.example\n"
            "@example.net        catchall\n"
            "list@example.com    a@example.com,\n"
            "  b@example.com\n"
            "alice@example.com   duplicate\n");
  auto table = openTable("texthash:" + dir.file("virtual"));
  EXPECT_EQ(table->spec(), "texthash:" + dir.file("virtual"));
  EXPECT_EQ(valueOf(*table, "alice@example.com"), "alice@other.example");
  EXPECT_EQ(valueOf(*table, "ALICE@EXAMPLE.COM"), "alice@other.example");
  EXPECT_EQ(valueOf(*table, "@example.net"), "catchall");
  EXPECT_EQ(valueOf(*table, "list@example.com"), "a@example.com, b@example.com");
  EXPECT_EQ(valueOf(*table, "bob@example.com"), "<miss>");
}

TEST(Texthash, ErrorsNameFileAndLine) {
  ScratchDir dir;
  writeFile(dir.file("bad"), "good value\n\nnovalue\n");
  EXPECT_EQ(errorOf([&] { openTable("texthash:" + dir.file("bad")); }),
            dir.file("bad") + ":3: expected \"key whitespace value\": \"novalue\"");
  EXPECT_NE(errorOf([&] { openTable("texthash:" + dir.file("missing")); }).find("cannot open"),
            std::string::npos);
}

TEST(Inline, KeyValuePairsAndBracedElements) {
  auto table = openTable("inline:{ Key1=value1, key2=value2 { key3 = text with spaces },"
                         "{key4=a=b} }");
  EXPECT_EQ(valueOf(*table, "key1"), "value1");
  EXPECT_EQ(valueOf(*table, "KEY2"), "value2");
  EXPECT_EQ(valueOf(*table, "key3"), "text with spaces");
  EXPECT_EQ(valueOf(*table, "key4"), "a=b");
  EXPECT_EQ(valueOf(*table, "key5"), "<miss>");
  EXPECT_EQ(valueOf(*openTable("inline:{}"), "x"), "<miss>");
}

TEST(Inline, BadSyntax) {
  EXPECT_EQ(errorOf([] { openTable("inline:a=b"); }),
            "inline:a=b: the table must be enclosed in { } (expected inline:{ key=value, { key "
            "= text } })");
  EXPECT_EQ(errorOf([] { openTable("inline:{ a=b, c }"); }),
            "inline:{ a=b, c }: expected key=value, not \"c\"");
  EXPECT_NE(errorOf([] { openTable("inline:{ a=b, { c=d }"); }), "");
  EXPECT_NE(errorOf([] { openTable("inline:{ =b }"); }), "");
}

// cidr_table(5), EXAMPLE SMTPD ACCESS MAP.
constexpr const char* kPostfixCidrExample =
    "# Rule order matters. Put more specific allowlist entries\n"
    "# before more general denylist entries.\n"
    "192.168.1.1             OK\n"
    "192.168.0.0/16          REJECT\n"
    "2001:db8::1             OK\n"
    "2001:db8::/32           REJECT\n";

TEST(Cidr, PostfixManualExample) {
  CidrMap table(kPostfixCidrExample, "client.cidr");
  EXPECT_EQ(valueOf(table, "192.168.1.1"), "OK");
  EXPECT_EQ(valueOf(table, "192.168.1.2"), "REJECT");
  EXPECT_EQ(valueOf(table, "192.168.255.255"), "REJECT");
  EXPECT_EQ(valueOf(table, "192.169.0.1"), "<miss>");
  EXPECT_EQ(valueOf(table, "2001:db8::1"), "OK");
  EXPECT_EQ(valueOf(table, "2001:0db8:0000::0001"), "OK");  // compared in binary
  EXPECT_EQ(valueOf(table, "2001:DB8:1::5"), "REJECT");     // not folded, still an address
  EXPECT_EQ(valueOf(table, "2001:db9::1"), "<miss>");
  EXPECT_EQ(valueOf(table, "[192.168.3.4]"), "REJECT");
  EXPECT_EQ(valueOf(table, "not-an-address"), "<miss>");
  EXPECT_EQ(valueOf(table, "::ffff:192.168.1.1"), "<miss>");  // another family
}

TEST(Cidr, IfEndifNegationAndCatchAll) {
  CidrMap table(
      "if 10.0.0.0/8\n"
      "  # indented comment lines are comments\n"
      "10.1.0.0/16   inner\n"
      "if !10.2.0.0/16\n"
      "0.0.0.0/0     ten-not-two\n"
      "endif\n"
      "endif\n"
      "!10.0.0.0/8   outside-ten\n"
      "::/0          any-v6\n",
      "t.cidr");
  EXPECT_EQ(valueOf(table, "10.1.2.3"), "inner");
  EXPECT_EQ(valueOf(table, "10.3.0.1"), "ten-not-two");
  EXPECT_EQ(valueOf(table, "10.2.0.1"), "<miss>");
  EXPECT_EQ(valueOf(table, "192.0.2.1"), "outside-ten");
  EXPECT_EQ(valueOf(table, "::1"), "outside-ten");  // !v4-network matches any v6 key
}

TEST(Cidr, SyntaxErrorsNameFileAndLine) {
  auto err = [](const char* text) {
    return errorOf([&] { CidrMap(text, "x.cidr"); });
  };
  EXPECT_EQ(err("# c\n192.168.1.0/24 OK\n192.168.1.1/24 OK\n"),
            "x.cidr:3: non-null host address bits in \"192.168.1.1/24\": \"192.168.1.1/24 OK\"");
  EXPECT_EQ(err("192.168.1.0/33 OK\n"),
            "x.cidr:1: prefix length out of range (0-32) in \"192.168.1.0/33\": \"192.168.1.0/33 "
            "OK\"");
  EXPECT_EQ(err("2001:db8::/129 OK\n").substr(0, 48), "x.cidr:1: prefix length out of range (0-128) in ");
  EXPECT_EQ(err("192.168.1.0/x OK\n"),
            "x.cidr:1: bad prefix length in \"192.168.1.0/x\": \"192.168.1.0/x OK\"");
  EXPECT_EQ(err("example.com OK\n"),
            "x.cidr:1: bad network address \"example.com\": \"example.com OK\"");
  EXPECT_EQ(err("192.0.2.1\n"), "x.cidr:1: no result after the pattern: \"192.0.2.1\"");
  EXPECT_EQ(err("endif\n"), "x.cidr:1: endif without a matching if: \"endif\"");
  EXPECT_EQ(err("\nif 10.0.0.0/8\n10.0.0.1 x\n"),
            "x.cidr:2: if without a matching endif: \"if\"");
}

TEST(Cidr, OpensAFile) {
  ScratchDir dir;
  writeFile(dir.file("client.cidr"), kPostfixCidrExample);
  auto table = openTable("cidr:" + dir.file("client.cidr"));
  EXPECT_EQ(table->spec(), "cidr:" + dir.file("client.cidr"));
  EXPECT_EQ(valueOf(*table, "192.168.7.7"), "REJECT");
}

}  // namespace
}  // namespace posthorn::map
