// address_test - RFC 5321 mailboxes and MAIL FROM / RCPT TO paths: syntax,
// quoting, address literals, length limits, SMTPUTF8, source routes, the
// null path, and recipient_delimiter splitting.
#include <gtest/gtest.h>

#include <string>

#include "lib/address/address.h"

namespace posthorn::address {
namespace {

struct ValidCase {
  std::string text;
  bool smtpUtf8;
  std::string localPart;
  std::string domain;
  std::string canonical;  // toString()
};

class ValidMailbox : public ::testing::TestWithParam<ValidCase> {};

TEST_P(ValidMailbox, Parses) {
  const ValidCase& c = GetParam();
  const MailboxResult r = parseMailbox(c.text, {.smtpUtf8 = c.smtpUtf8});
  ASSERT_TRUE(r.ok()) << c.text << ": " << r.reason;
  EXPECT_EQ(r.address.localPart, c.localPart);
  EXPECT_EQ(r.address.domain, c.domain);
  EXPECT_EQ(r.address.toString(), c.canonical);
  EXPECT_EQ(r.address.toPath(), "<" + c.canonical + ">");
  // The canonical form parses back to the same address.
  const MailboxResult again = parseMailbox(c.canonical, {.smtpUtf8 = c.smtpUtf8});
  ASSERT_TRUE(again.ok()) << c.canonical << ": " << again.reason;
  EXPECT_EQ(again.address, r.address);
}

const std::string k64(64, 'a');
const std::string kLabel63(63, 'b');

INSTANTIATE_TEST_SUITE_P(
    Mailboxes, ValidMailbox,
    ::testing::Values(
        ValidCase{"user@example.com", false, "user", "example.com", "user@example.com"},
        ValidCase{"User.Name@Example.COM", false, "User.Name", "example.com",
                  "User.Name@example.com"},
        ValidCase{"\"john doe\"@example.com", false, "john doe", "example.com",
                  "\"john doe\"@example.com"},
        ValidCase{"\"john.doe\"@example.com", false, "john.doe", "example.com",
                  "john.doe@example.com"},
        ValidCase{"\"a\\\"b\\\\c\"@example.com", false, "a\"b\\c", "example.com",
                  "\"a\\\"b\\\\c\"@example.com"},
        ValidCase{"\"\\a\"@example.com", false, "a", "example.com", "a@example.com"},
        ValidCase{"\"\"@example.com", false, "", "example.com", "\"\"@example.com"},
        ValidCase{"\"a..b\"@example.com", false, "a..b", "example.com", "\"a..b\"@example.com"},
        ValidCase{"\"<@>\"@example.com", false, "<@>", "example.com", "\"<@>\"@example.com"},
        ValidCase{"user+tag@example.com", false, "user+tag", "example.com",
                  "user+tag@example.com"},
        ValidCase{"!#$%&'*+-/=?^_`{|}~@example.com", false, "!#$%&'*+-/=?^_`{|}~",
                  "example.com", "!#$%&'*+-/=?^_`{|}~@example.com"},
        ValidCase{"user@localhost", false, "user", "localhost", "user@localhost"},
        ValidCase{"user@a-b.3com.example", false, "user", "a-b.3com.example",
                  "user@a-b.3com.example"},
        ValidCase{"user@xn--bcher-kva.example", false, "user", "xn--bcher-kva.example",
                  "user@xn--bcher-kva.example"},
        ValidCase{"user@[192.0.2.1]", false, "user", "[192.0.2.1]", "user@[192.0.2.1]"},
        ValidCase{"user@[IPv6:2001:DB8::1]", false, "user", "[IPv6:2001:db8::1]",
                  "user@[IPv6:2001:db8::1]"},
        ValidCase{"user@[ipv6:2001:db8:0:0:0:0:0:1]", false, "user", "[IPv6:2001:db8::1]",
                  "user@[IPv6:2001:db8::1]"},
        ValidCase{"user@[IPv6:::ffff:192.0.2.1]", false, "user", "[IPv6:::ffff:192.0.2.1]",
                  "user@[IPv6:::ffff:192.0.2.1]"},
        ValidCase{k64 + "@example.com", false, k64, "example.com", k64 + "@example.com"},
        ValidCase{"u@" + kLabel63 + ".example", false, "u", kLabel63 + ".example",
                  "u@" + kLabel63 + ".example"},
        // SMTPUTF8 (RFC 6531): UTF-8 in the local part and the host name.
        ValidCase{"jos\xC3\xA9@example.com", true, "jos\xC3\xA9", "example.com",
                  "jos\xC3\xA9@example.com"},
        ValidCase{"\xE7\x94\xA8\xE6\x88\xB7@\xE4\xBE\x8B\xE5\xAD\x90.\xE5\xB9\xBF\xE5\x91\x8A",
                  true, "\xE7\x94\xA8\xE6\x88\xB7",
                  "\xE4\xBE\x8B\xE5\xAD\x90.\xE5\xB9\xBF\xE5\x91\x8A",
                  "\xE7\x94\xA8\xE6\x88\xB7@\xE4\xBE\x8B\xE5\xAD\x90.\xE5\xB9\xBF\xE5\x91\x8A"},
        ValidCase{"user@B\xC3\xBC" "cher.Example", true, "user", "b\xC3\xBC" "cher.example",
                  "user@b\xC3\xBC" "cher.example"},
        ValidCase{"\"\xF0\x9F\x93\xA7 box\"@example.com", true, "\xF0\x9F\x93\xA7 box",
                  "example.com", "\"\xF0\x9F\x93\xA7 box\"@example.com"}));

struct InvalidCase {
  std::string text;
  bool smtpUtf8;
  AddressProblem problem;
  std::string reasonContains;
};

class InvalidMailbox : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidMailbox, IsRejectedWithAReason) {
  const InvalidCase& c = GetParam();
  const MailboxResult r = parseMailbox(c.text, {.smtpUtf8 = c.smtpUtf8});
  EXPECT_FALSE(r.ok()) << c.text;
  EXPECT_EQ(problemName(r.problem), problemName(c.problem)) << c.text << ": " << r.reason;
  EXPECT_NE(r.reason.find(c.reasonContains), std::string::npos)
      << c.text << ": reason \"" << r.reason << "\" lacks \"" << c.reasonContains << "\"";
  EXPECT_TRUE(r.address.isNull());
}

const auto S = AddressProblem::Syntax;
const auto L = AddressProblem::TooLong;
const auto U = AddressProblem::NeedsSmtpUtf8;

INSTANTIATE_TEST_SUITE_P(
    Mailboxes, InvalidMailbox,
    ::testing::Values(
        InvalidCase{"", false, S, "empty local part"},
        InvalidCase{"user", false, S, "no domain"},
        InvalidCase{"postmaster", false, S, "no domain"},
        InvalidCase{".user@example.com", false, S, "starts with a dot"},
        InvalidCase{"user.@example.com", false, S, "ends with a dot"},
        InvalidCase{"us..er@example.com", false, S, "two dots"},
        InvalidCase{"us er@example.com", false, S, "space"},
        InvalidCase{"user@", false, S, "empty domain"},
        InvalidCase{"@example.com", false, S, "\"@\" in local part"},
        InvalidCase{"user@@example.com", false, S, "\"@\" in domain"},
        InvalidCase{"user@example..com", false, S, "two dots in a row in domain"},
        InvalidCase{"user@.example.com", false, S, "domain starts with a dot"},
        InvalidCase{"user@example.com.", false, S, "domain ends with a dot"},
        InvalidCase{"user@-example.com", false, S, "hyphen"},
        InvalidCase{"user@example-.com", false, S, "hyphen"},
        InvalidCase{"user@exa_mple.com", false, S, "\"_\" in domain"},
        InvalidCase{"user@example.com>", false, S, "\">\" in domain"},
        InvalidCase{"user@" + std::string(64, 'c') + ".example", false, S, "63 octets"},
        InvalidCase{"\"unterminated@example.com", false, S, "unterminated"},
        InvalidCase{"\"tab\there\"@example.com", false, S, "\\x09"},
        InvalidCase{std::string("us\0er@example.com", 17), false, S, "\\x00"},
        InvalidCase{"user@[192.0.2.256]", false, S, "bad IPv4 address literal"},
        InvalidCase{"user@[192.0.2]", false, S, "bad IPv4 address literal"},
        InvalidCase{"user@[IPv6:zz::1]", false, S, "bad IPv6 address literal"},
        InvalidCase{"user@[IPv6:192.0.2.1]", false, S, "bad IPv6 address literal"},
        InvalidCase{"user@[x400:foo]", false, S, "unsupported address literal"},
        InvalidCase{"user@[192.0.2.1", false, S, "closing"},
        InvalidCase{"user@[192.0.2.1]x", false, S, "\"x\" in domain"},
        // Lengths: local part 64, domain 255, whole mailbox 254 (path 256).
        InvalidCase{std::string(65, 'a') + "@example.com", false, L, "local part longer than 64"},
        InvalidCase{"\"" + std::string(63, 'a') + "\"@example.com", false, L,
                    "local part longer than 64"},
        InvalidCase{"u@" + std::string(63, 'd') + "." + std::string(63, 'd') + "." +
                        std::string(63, 'd') + "." + std::string(64, 'd'),
                    false, S, "63 octets"},
        InvalidCase{"u@" + std::string(63, 'd') + "." + std::string(63, 'd') + "." +
                        std::string(63, 'd') + "." + std::string(61, 'd') + ".dd",
                    false, L, "domain longer than 255"},
        InvalidCase{std::string(10, 'a') + "@" + std::string(63, 'd') + "." +
                        std::string(63, 'd') + "." + std::string(63, 'd') + "." +
                        std::string(60, 'd'),
                    false, L, "address longer than 254"},
        // UTF-8: needs SMTPUTF8 when well-formed, a syntax error when not.
        InvalidCase{"jos\xC3\xA9@example.com", false, U, "SMTPUTF8"},
        InvalidCase{"user@b\xC3\xBC" "cher.example", false, U, "SMTPUTF8"},
        InvalidCase{"\"jos\xC3\xA9\"@example.com", false, U, "SMTPUTF8"},
        InvalidCase{"\xC3\x28@example.com", true, S, "invalid UTF-8"},
        InvalidCase{"\xC0\xAF@example.com", true, S, "invalid UTF-8"},
        InvalidCase{"\xED\xA0\x80@example.com", true, S, "invalid UTF-8"},
        InvalidCase{"\xF4\x90\x80\x80@example.com", true, S, "invalid UTF-8"},
        InvalidCase{"user@exam\xFFple.com", true, S, "invalid UTF-8"},
        InvalidCase{"\xC3\x28@example.com", false, S, "invalid UTF-8"},
        InvalidCase{"user@[IPv6:2001:db8::\xC3\xA9]", true, S, "bad IPv6 address literal"}));

TEST(Mailbox, DomainlessOnlyWhenAllowed) {
  EXPECT_FALSE(parseMailbox("Postmaster").ok());
  MailboxResult pm = parseMailbox("Postmaster", {.allowPostmaster = true});
  ASSERT_TRUE(pm.ok()) << pm.reason;
  EXPECT_EQ(pm.address.localPart, "Postmaster");
  EXPECT_EQ(pm.address.domain, "");
  EXPECT_TRUE(pm.address.isPostmaster());
  EXPECT_FALSE(pm.address.isNull());
  EXPECT_EQ(pm.address.toString(), "Postmaster");
  EXPECT_FALSE(parseMailbox("joe", {.allowPostmaster = true}).ok());
  MailboxResult joe = parseMailbox("joe", {.allowDomainless = true});
  ASSERT_TRUE(joe.ok()) << joe.reason;
  EXPECT_EQ(joe.address.toString(), "joe");
  EXPECT_FALSE(parseMailbox("\"\"", {.allowDomainless = true}).ok());
}

TEST(Mailbox, NeedsSmtpUtf8AndFolding) {
  EXPECT_FALSE(parseMailbox("a@example.com").address.needsSmtpUtf8());
  EXPECT_TRUE(parseMailbox("\xC3\xA9@example.com", {.smtpUtf8 = true}).address.needsSmtpUtf8());
  EXPECT_TRUE(sameLocalUser("Joe", "jOE"));
  EXPECT_FALSE(sameLocalUser("joe", "joe2"));
  EXPECT_EQ(foldCase("MiXeD.Case"), "mixed.case");
  EXPECT_TRUE(isDotString("a.b+c"));
  EXPECT_FALSE(isDotString("a b"));
  EXPECT_FALSE(isDotString(""));
  EXPECT_EQ(quoteLocalPart("a b"), "\"a b\"");
}

TEST(Mailbox, CanonicalDomainForConfiguration) {
  std::string why;
  EXPECT_EQ(canonicalDomain("Example.COM", false).value_or("?"), "example.com");
  EXPECT_EQ(canonicalDomain("[127.000.0.1]", false, &why), std::nullopt);
  EXPECT_NE(why.find("bad IPv4"), std::string::npos) << why;
  EXPECT_EQ(canonicalDomain("[IPv6:0::1]", false).value_or("?"), "[IPv6:::1]");
  EXPECT_EQ(canonicalDomain("b\xC3\xBC" "cher.de", false, &why), std::nullopt);
  EXPECT_NE(why.find("non-ASCII"), std::string::npos) << why;
  EXPECT_TRUE(canonicalDomain("b\xC3\xBC" "cher.de", true).has_value());
}

struct PathCase {
  std::string text;
  PathKind kind;
  ParseOptions options;
  std::string address;  // toString(), "" for <>
  std::string params;
  std::string route;
};

class ValidPath : public ::testing::TestWithParam<PathCase> {};

TEST_P(ValidPath, Parses) {
  const PathCase& c = GetParam();
  const PathResult r = parsePath(c.text, c.kind, c.options);
  ASSERT_TRUE(r.ok()) << c.text << ": " << r.reason;
  EXPECT_EQ(r.address.toString(), c.address) << c.text;
  EXPECT_EQ(r.params, c.params) << c.text;
  EXPECT_EQ(r.sourceRoute, c.route) << c.text;
}

const auto R = PathKind::Reverse;
const auto F = PathKind::Forward;
const ParseOptions kDefault{};
const ParseOptions kUtf8{.smtpUtf8 = true};
const ParseOptions kDomainless{.allowDomainless = true};
// A path of exactly 256 octets: "<" 64 "@" 189 ">".
const std::string kLongest = std::string(64, 'l') + "@" + std::string(63, 'd') + "." +
                             std::string(63, 'd') + "." + std::string(61, 'd');

INSTANTIATE_TEST_SUITE_P(
    Paths, ValidPath,
    ::testing::Values(
        PathCase{"<>", R, kDefault, "", "", ""},
        PathCase{"<> SIZE=100 BODY=8BITMIME", R, kDefault, "", "SIZE=100 BODY=8BITMIME", ""},
        PathCase{"<user@Example.com>", R, kDefault, "user@example.com", "", ""},
        PathCase{" <user@example.com>", F, kDefault, "user@example.com", "", ""},
        PathCase{"<user@example.com>  NOTIFY=NEVER ORCPT=rfc822;x@y", F, kDefault,
                 "user@example.com", "NOTIFY=NEVER ORCPT=rfc822;x@y", ""},
        PathCase{"<@a.example,@b.example:user@c.example>", F, kDefault, "user@c.example", "",
                 "@a.example,@b.example"},
        PathCase{"<@[192.0.2.1]:user@c.example> SIZE=1", R, kDefault, "user@c.example",
                 "SIZE=1", "@[192.0.2.1]"},
        PathCase{"<postmaster>", F, kDefault, "postmaster", "", ""},
        PathCase{"<PostMaster>", F, kDefault, "PostMaster", "", ""},
        PathCase{"<joe>", F, kDomainless, "joe", "", ""},
        PathCase{"<joe>", R, kDomainless, "joe", "", ""},
        PathCase{"<\"a>b c\"@example.com> SIZE=5", R, kDefault, "\"a>b c\"@example.com",
                 "SIZE=5", ""},
        PathCase{"user@example.com", R, kDefault, "user@example.com", "", ""},
        PathCase{"user@example.com SIZE=5", R, kDefault, "user@example.com", "SIZE=5", ""},
        PathCase{"<user@[IPv6:2001:db8::7]>", F, kDefault, "user@[IPv6:2001:db8::7]", "", ""},
        PathCase{"<jos\xC3\xA9@example.com> SMTPUTF8", R, kUtf8, "jos\xC3\xA9@example.com",
                 "SMTPUTF8", ""},
        PathCase{"<" + kLongest + ">", F, kDefault, kLongest, "", ""}));

struct BadPathCase {
  std::string text;
  PathKind kind;
  ParseOptions options;
  AddressProblem problem;
  std::string reasonContains;
};

class InvalidPath : public ::testing::TestWithParam<BadPathCase> {};

TEST_P(InvalidPath, IsRejectedWithAReason) {
  const BadPathCase& c = GetParam();
  const PathResult r = parsePath(c.text, c.kind, c.options);
  EXPECT_FALSE(r.ok()) << c.text;
  EXPECT_EQ(problemName(r.problem), problemName(c.problem)) << c.text << ": " << r.reason;
  EXPECT_NE(r.reason.find(c.reasonContains), std::string::npos)
      << c.text << ": reason \"" << r.reason << "\" lacks \"" << c.reasonContains << "\"";
  EXPECT_TRUE(r.params.empty());
}

const ParseOptions kStrict{.allowBareAddress = false};

INSTANTIATE_TEST_SUITE_P(
    Paths, InvalidPath,
    ::testing::Values(
        BadPathCase{"", R, kDefault, S, "missing address"},
        BadPathCase{"   ", F, kDefault, S, "missing address"},
        BadPathCase{"<>", F, kDefault, S, "empty recipient"},
        BadPathCase{"<>SIZE=1", R, kDefault, S, "after the address"},
        BadPathCase{"<user@example.com>SIZE=1", R, kDefault, S, "after the address"},
        BadPathCase{"<user@example.com", R, kDefault, S, "missing \">\""},
        BadPathCase{"<user@exam ple.com>", R, kDefault, S, "space in domain"},
        BadPathCase{"<user>", F, kDefault, S, "no domain"},
        BadPathCase{"<postmaster>", R, kDefault, S, "no domain"},
        BadPathCase{"user@example.com", R, kStrict, S, "enclosed in <>"},
        BadPathCase{"<@a.example user@c.example>", F, kDefault, S, "source route"},
        BadPathCase{"<@:user@c.example>", F, kDefault, S, "source route"},
        BadPathCase{"<@a..example:user@c.example>", F, kDefault, S, "source route"},
        BadPathCase{"<@a.example,user@c.example>", F, kDefault, S, "source route"},
        BadPathCase{"<jos\xC3\xA9@example.com>", R, kDefault, U, "SMTPUTF8"},
        BadPathCase{"<user@b\xC3\xBC" "cher.example> SIZE=1", F, kDefault, U, "SMTPUTF8"},
        BadPathCase{"<" + std::string(65, 'a') + "@example.com>", F, kDefault, L,
                    "local part longer than 64"},
        BadPathCase{"<" + kLongest + "d>", F, kDefault, L, "path longer than 256"},
        BadPathCase{"<@" + std::string(63, 'r') + "." + std::string(63, 'r') + ":" +
                        std::string(64, 'l') + "@" + std::string(63, 'd') + ".example>",
                    F, kDefault, L, "path longer than 256"}));

struct SplitCase {
  std::string localPart;
  std::string delimiters;
  std::string user;
  std::optional<std::string> extension;
  char delimiter;
};

class RecipientDelimiter : public ::testing::TestWithParam<SplitCase> {};

TEST_P(RecipientDelimiter, Splits) {
  const SplitCase& c = GetParam();
  const LocalPartSplit s = splitExtension(c.localPart, c.delimiters);
  EXPECT_EQ(s.user, c.user) << c.localPart;
  EXPECT_EQ(s.extension, c.extension) << c.localPart;
  EXPECT_EQ(s.delimiter, c.delimiter) << c.localPart;
}

INSTANTIATE_TEST_SUITE_P(
    LocalParts, RecipientDelimiter,
    ::testing::Values(SplitCase{"user+ext", "+", "user", "ext", '+'},
                      SplitCase{"user+ext+more", "+", "user", "ext+more", '+'},
                      SplitCase{"user-ext", "+-", "user", "ext", '-'},
                      SplitCase{"user+a-b", "-+", "user", "a-b", '+'},
                      SplitCase{"user+", "+", "user", "", '+'},
                      SplitCase{"+ext", "+", "+ext", std::nullopt, '\0'},
                      SplitCase{"user", "+", "user", std::nullopt, '\0'},
                      SplitCase{"user+ext", "", "user+ext", std::nullopt, '\0'}));

}  // namespace
}  // namespace posthorn::address
