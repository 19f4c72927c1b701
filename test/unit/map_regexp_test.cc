// map_regexp_test - regexp: (POSIX) and pcre: (PCRE2) tables: the examples
// of Postfix's regexp_table(5) and pcre_table(5) give Postfix's answers;
// flags, $n substitution, if/endif; errors name FILE:LINE.
#include <functional>
#include <gtest/gtest.h>

#include "lib/map/lookup_table.h"
#include "lib/map/regexp_map.h"
#include "test/unit/map_test_util.h"

namespace posthorn::map {
namespace {

using testing::errorOf;
using testing::valueOf;
using testing::ScratchDir;
using testing::writeFile;

// regexp_table(5), EXAMPLE SMTPD ACCESS MAP.
constexpr const char* kRegexpAccess =
    "# Disallow sender-specified routing. This is a must if you relay mail\n"
    "# for other domains.\n"
    "/[%!@].*[%!@]/       550 Sender-specified routing rejected\n"
    "\n"
    "# Postmaster is OK, that way they can talk to us about how to fix\n"
    "# their problem.\n"
    "/^postmaster@/       OK\n"
    "\n"
    "# Protect your outgoing majordomo exploders\n"
    "if !/^owner-/\n"
    "/^(.*)-outgoing@(.*)$/  550 Use ${1}@${2} instead\n"
    "endif\n";

// regexp_table(5), EXAMPLE HEADER FILTER MAP and EXAMPLE BODY FILTER MAP.
constexpr const char* kRegexpHeaders =
    "# These were once common in junk mail.\n"
    "/^Subject: make money fast/     REJECT\n"
    "/^To: friend@public\\.com/       REJECT\n"
    "/^<iframe src=(3D)?cid:.* height=(3D)?0 width=(3D)?0>$/\n"
    "     REJECT IFRAME vulnerability exploit\n";

TEST(Regexp, PostfixAccessExample) {
  RegexpMap table(RegexDialect::Posix, kRegexpAccess, "access.regexp");
  EXPECT_EQ(valueOf(table, "user%other@relay.example"), "550 Sender-specified routing rejected");
  EXPECT_EQ(valueOf(table, "a!b@example.com"), "550 Sender-specified routing rejected");
  EXPECT_EQ(valueOf(table, "postmaster@example.com"), "OK");
  EXPECT_EQ(valueOf(table, "PostMaster@Example.COM"), "OK");  // i is on by default
  EXPECT_EQ(valueOf(table, "list-outgoing@example.com"), "550 Use list@example.com instead");
  // Substitutions keep the key's case: the key is not folded.
  EXPECT_EQ(valueOf(table, "List-Outgoing@Example.COM"), "550 Use List@Example.COM instead");
  EXPECT_EQ(valueOf(table, "owner-list-outgoing@example.com"), "<miss>");
  EXPECT_EQ(valueOf(table, "someone@example.com"), "<miss>");
}

TEST(Regexp, PostfixHeaderAndBodyExamples) {
  RegexpMap table(RegexDialect::Posix, kRegexpHeaders, "header_checks");
  EXPECT_EQ(valueOf(table, "Subject: Make Money Fast!!!"), "REJECT");
  EXPECT_EQ(valueOf(table, "To: friend@public.com"), "REJECT");
  EXPECT_EQ(valueOf(table, "To: friend@publicXcom"), "<miss>");
  EXPECT_EQ(valueOf(table, "<iframe src=3Dcid:x height=3D0 width=3D0>"),
            "REJECT IFRAME vulnerability exploit");
  EXPECT_EQ(valueOf(table, "Subject: hello"), "<miss>");
}

TEST(Regexp, FlagsAndSubstitutions) {
  RegexpMap table(RegexDialect::Posix,
                  "/^Exact$/i          case-sensitive\n"
                  "#a+b in basic syntax (x turns extended syntax off) is a literal +\n"
                  "/^a+b$/x            basic\n"
                  "!/@/                no-at $$5\n"
                  "|^(x)(y)?z@(.*)$|   [$1] [$2] [${3}] [$(3)]\n",
                  "t.regexp");
  EXPECT_EQ(valueOf(table, "Exact"), "case-sensitive");
  EXPECT_EQ(valueOf(table, "exact"), "no-at $5");
  EXPECT_EQ(valueOf(table, "a+b"), "basic");
  EXPECT_EQ(valueOf(table, "aab"), "no-at $5");
  EXPECT_EQ(valueOf(table, "xz@Host"), "[x] [] [Host] [Host]");
  EXPECT_EQ(valueOf(table, "xyz@h"), "[x] [y] [h] [h]");
  EXPECT_EQ(valueOf(table, "q@h"), "<miss>");
}

TEST(Regexp, SyntaxErrorsNameFileAndLine) {
  auto err = [](const char* text, RegexDialect d = RegexDialect::Posix) {
    return errorOf([&] { RegexpMap(d, text, "x.re"); });
  };
  EXPECT_EQ(err("/a/ ok\n/(/ bad\n").substr(0, 21), "x.re:2: bad pattern: ");
  EXPECT_EQ(err("/a/q OK\n"), "x.re:1: bad pattern: unknown flag 'q': \"/a/q OK\"");
  EXPECT_EQ(err("/abc OK\n"), "x.re:1: no closing '/' after the pattern: \"/abc OK\"");
  EXPECT_EQ(err("/a/\n"), "x.re:1: no result after the pattern: \"/a/\"");
  EXPECT_EQ(err("/(a)/ $2\n"),
            "x.re:1: $2 but the pattern has 1 subexpression(s): \"/(a)/ $2\"");
  EXPECT_EQ(err("!/(a)/ $1\n"),
            "x.re:1: $1 in the result of a negated pattern: \"!/(a)/ $1\"");
  EXPECT_EQ(err("/a/ cost $\n"),
            "x.re:1: '$' not followed by a number (write $$ for a '$'): \"/a/ cost $\"");
  EXPECT_EQ(err("/a/ ok\nendif\n"), "x.re:2: endif without a matching if: \"endif\"");
  EXPECT_EQ(err("if /a/\n/b/ x\n"), "x.re:1: if without a matching endif: \"if\"");
  EXPECT_EQ(err("if /a/ junk\n/b/ x\nendif\n"), "x.re:1: text after the if pattern: \"if /a/ junk\"");
  EXPECT_EQ(err("/(?!x)/ y\n", RegexDialect::Pcre), "");
  EXPECT_EQ(err("/(?!x/ y\n", RegexDialect::Pcre).substr(0, 21), "x.re:1: bad pattern: ");
  EXPECT_EQ(err("/a/q y\n", RegexDialect::Pcre), "x.re:1: bad pattern: unknown flag 'q': \"/a/q y\"");
}

// pcre_table(5), EXAMPLE SMTPD ACCESS MAP.
constexpr const char* kPcreAccess =
    "# Protect your outgoing majordomo exploders\n"
    "/^(?!owner-)(.*)-outgoing@(.*)/ 550 Use ${1}@${2} instead\n"
    "\n"
    "# Bounce friend@whatever, except when whatever is our domain (you would\n"
    "# be better just bouncing all friend@ mail - this is just an example).\n"
    "/^(friend@(?!my\\.domain$).*)$/  550 Stick this in your pipe $1\n"
    "\n"
    "# A multi-line entry. The text is sent as one line.\n"
    "#\n"
    "/^noddy@my\\.domain$/\n"
    " 550 This user is a funny one. You really don't want to send mail to\n"
    " them as it only makes their life easier.\n";

TEST(Pcre, PostfixAccessExample) {
  RegexpMap table(RegexDialect::Pcre, kPcreAccess, "access.pcre");
  EXPECT_EQ(valueOf(table, "list-outgoing@example.com"), "550 Use list@example.com instead");
  EXPECT_EQ(valueOf(table, "owner-list-outgoing@example.com"), "<miss>");
  EXPECT_EQ(valueOf(table, "friend@example.com"), "550 Stick this in your pipe friend@example.com");
  EXPECT_EQ(valueOf(table, "friend@my.domain"), "<miss>");
  EXPECT_EQ(valueOf(table, "Noddy@My.Domain"),
            "550 This user is a funny one. You really don't want to send mail to them as it "
            "only makes their life easier.");
}

TEST(Pcre, FlagsAndIf) {
  RegexpMap table(RegexDialect::Pcre,
                  "if /^From:/\n"
                  "/spam  # a comment in extended mode\n"
                  " \\s+ here/x   extended\n"
                  "endif\n"
                  "/^Exact$/i                        case-sensitive\n"
                  "/^a.b$/s                          dotall\n"
                  "/^line2$/m                        multiline\n"
                  "/^(a+?)(a*)!$/U                   [$1][$2]\n",
                  "t.pcre");
  EXPECT_EQ(valueOf(table, "From: spam   here"), "extended");
  EXPECT_EQ(valueOf(table, "Subject: spam   here"), "<miss>");
  EXPECT_EQ(valueOf(table, "Exact"), "case-sensitive");
  EXPECT_EQ(valueOf(table, "EXACT"), "<miss>");
  EXPECT_EQ(valueOf(table, "a\nb"), "dotall");
  EXPECT_EQ(valueOf(table, "line1\nline2"), "multiline");
  EXPECT_EQ(valueOf(table, "aaa!"), "[aaa][]");  // U makes +? greedy
}

TEST(RegexpTables, OpenFromFilesWithTheirSpec) {
  ScratchDir dir;
  writeFile(dir.file("a.regexp"), kRegexpAccess);
  writeFile(dir.file("a.pcre"), kPcreAccess);
  auto regexp = openTable("regexp:" + dir.file("a.regexp"));
  auto pcre = openTable("pcre:" + dir.file("a.pcre"));
  EXPECT_EQ(regexp->spec(), "regexp:" + dir.file("a.regexp"));
  EXPECT_EQ(pcre->spec(), "pcre:" + dir.file("a.pcre"));
  EXPECT_EQ(valueOf(*regexp, "Postmaster@x"), "OK");
  EXPECT_EQ(valueOf(*pcre, "Friend@X"), "550 Stick this in your pipe Friend@X");
}

}  // namespace
}  // namespace posthorn::map
