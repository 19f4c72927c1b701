// map_source_test - parsing postmap and aliases table sources.
#include "lib/map/map_source.h"

#include <gtest/gtest.h>

#include "test/unit/map_test_util.h"

namespace posthorn::map {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

Entries entriesOf(const MapSource& source) {
  Entries out;
  for (const SourceEntry& e : source.entries) out.emplace_back(e.key, e.value);
  return out;
}

Entries postmap(std::string_view text) {
  return entriesOf(parseMapSource(text, "virtual", SourceFormat::Postmap));
}

Entries aliases(std::string_view text) {
  return entriesOf(parseMapSource(text, "aliases", SourceFormat::Aliases));
}

// The MapError message for text, or "" when it parses.
std::string errorOf(std::string_view text, SourceFormat format) {
  try {
    parseMapSource(text, "/etc/mail/t", format);
  } catch (const MapError& e) {
    return e.what();
  }
  return "";
}

TEST(PostmapSource, KeyWhitespaceValue) {
  EXPECT_EQ(postmap("a@example.com  b@example.org\nc\tremote.example:25\n"),
            (Entries{{"a@example.com", "b@example.org"}, {"c", "remote.example:25"}}));
}

TEST(PostmapSource, ValueKeepsInnerWhitespaceAndLosesTrailing) {
  EXPECT_EQ(postmap("key   REJECT  no thanks   \t\r\n"), (Entries{{"key", "REJECT  no thanks"}}));
}

TEST(PostmapSource, LastLineWithoutNewline) {
  EXPECT_EQ(postmap("a 1\nb 2"), (Entries{{"a", "1"}, {"b", "2"}}));
}

TEST(PostmapSource, CommentsAndBlankLinesAreIgnored) {
  EXPECT_EQ(postmap("# header\n\n   \na 1\n  # indented comment\n#b 2\n\nc 3\n"),
            (Entries{{"a", "1"}, {"c", "3"}}));
}

TEST(PostmapSource, ContinuationLinesJoinWithOneSpace) {
  EXPECT_EQ(postmap("list a@x,\n   b@x,\n\tc@x\nnext 1\n"),
            (Entries{{"list", "a@x, b@x, c@x"}, {"next", "1"}}));
}

TEST(PostmapSource, ContinuationMaySupplyTheValue) {
  EXPECT_EQ(postmap("key\n  value\n"), (Entries{{"key", "value"}}));
}

TEST(PostmapSource, CommentInsideAContinuedEntryIsSkipped) {
  EXPECT_EQ(postmap("key a,\n# note\n  b\n"), (Entries{{"key", "a, b"}}));
}

TEST(PostmapSource, KeysAreFoldedValuesAreNot) {
  EXPECT_EQ(postmap("User@Example.COM Other@Example.COM\n"),
            (Entries{{"user@example.com", "Other@Example.COM"}}));
}

TEST(PostmapSource, EntriesRecordTheirFirstLine) {
  MapSource source = parseMapSource("# c\na 1\n\nb 2,\n  3\nc 4\n", "f", SourceFormat::Postmap);
  ASSERT_EQ(source.entries.size(), 3u);
  EXPECT_EQ(source.entries[0].line, 2);
  EXPECT_EQ(source.entries[1].line, 4);
  EXPECT_EQ(source.entries[2].line, 6);
}

TEST(PostmapSource, KeyWithoutValueIsAnErrorWithFileLine) {
  EXPECT_EQ(errorOf("a 1\nlonely\n", SourceFormat::Postmap),
            "/etc/mail/t:2: expected \"key whitespace value\": \"lonely\"");
}

TEST(PostmapSource, LeadingContinuationIsAnError) {
  EXPECT_EQ(errorOf("# comment\n  orphan value\n", SourceFormat::Postmap),
            "/etc/mail/t:2: continuation line without a preceding line: \"  orphan value\"");
}

TEST(PostmapSource, NulByteIsAnError) {
  std::string text("a 1\nb x\0y\n", 10);
  EXPECT_EQ(errorOf(text, SourceFormat::Postmap), "/etc/mail/t:2: NUL byte in line: \"b x\"");
}

TEST(PostmapSource, LongBadTextIsCut) {
  std::string error = errorOf(std::string(500, 'k') + "\n", SourceFormat::Postmap);
  EXPECT_NE(error.find(":1: expected"), std::string::npos) << error;
  EXPECT_NE(error.find("...\""), std::string::npos) << error;
  EXPECT_LT(error.size(), 200u);
}

TEST(PostmapSource, DuplicateKeyWarnsAndKeepsTheFirst) {
  MapSource source = parseMapSource("a 1\nb 2\nA 3\n", "virtual", SourceFormat::Postmap);
  EXPECT_EQ(entriesOf(source), (Entries{{"a", "1"}, {"b", "2"}}));
  ASSERT_EQ(source.warnings.size(), 1u);
  EXPECT_EQ(source.warnings[0],
            "virtual:3: duplicate entry \"a\" ignored; the entry at line 1 is kept");
}

TEST(AliasesSource, NameColonValues) {
  EXPECT_EQ(aliases("postmaster: root\nstaff: alice, bob@example.org, |/usr/bin/log\n"),
            (Entries{{"postmaster", "root"}, {"staff", "alice, bob@example.org, |/usr/bin/log"}}));
}

TEST(AliasesSource, SpacesAroundTheColon) {
  EXPECT_EQ(aliases("abuse :root\nnoc\t:\t  root\n"), (Entries{{"abuse", "root"}, {"noc", "root"}}));
}

TEST(AliasesSource, ContinuationAndComments) {
  EXPECT_EQ(aliases("# system aliases\n"
                    "team: alice,\n"
                    "      bob,\n"
                    "  # not a member\n"
                    "\tcarol\n"
                    "\n"
                    "root: admin\n"),
            (Entries{{"team", "alice, bob, carol"}, {"root", "admin"}}));
}

TEST(AliasesSource, NamesAreFolded) {
  EXPECT_EQ(aliases("PostMaster: Root\n"), (Entries{{"postmaster", "Root"}}));
}

TEST(AliasesSource, QuotedNames) {
  EXPECT_EQ(aliases("\"John Smith\": john\n\"odd:name\" : x\n\"q\\\"uote\": y\n"),
            (Entries{{"john smith", "john"}, {"odd:name", "x"}, {"q\"uote", "y"}}));
}

TEST(AliasesSource, ValueMayContainColons) {
  EXPECT_EQ(aliases("list: :include:/etc/mail/list\n"),
            (Entries{{"list", ":include:/etc/mail/list"}}));
}

TEST(AliasesSource, Errors) {
  const auto a = SourceFormat::Aliases;
  EXPECT_EQ(errorOf("root: admin\nno colon here\n", a),
            "/etc/mail/t:2: expected \"name: value\": \"no colon here\"");
  EXPECT_EQ(errorOf("root:\n", a), "/etc/mail/t:1: no value for alias \"root\": \"root:\"");
  EXPECT_EQ(errorOf(": admin\n", a), "/etc/mail/t:1: empty alias name: \": admin\"");
  EXPECT_EQ(errorOf("a b: c\n", a),
            "/etc/mail/t:1: white space in an alias name (quote the name): \"a b: c\"");
  EXPECT_EQ(errorOf("x: 1\n\"open: value\n", a),
            "/etc/mail/t:2: unterminated quoted name: \"\"open: value\"");
  EXPECT_EQ(errorOf("\"name\" value\n", a),
            "/etc/mail/t:1: expected \":\" after the quoted name: \"\"name\" value\"");
  EXPECT_EQ(errorOf("  root: x\n", a),
            "/etc/mail/t:1: continuation line without a preceding line: \"  root: x\"");
}

TEST(AliasesSource, DuplicateWarnsAndKeepsTheFirst) {
  MapSource source = parseMapSource("root: a\n\n# x\nROOT: b\n", "aliases", SourceFormat::Aliases);
  EXPECT_EQ(entriesOf(source), (Entries{{"root", "a"}}));
  ASSERT_EQ(source.warnings.size(), 1u);
  EXPECT_EQ(source.warnings[0],
            "aliases:4: duplicate entry \"root\" ignored; the entry at line 1 is kept");
}

TEST(MapSourceFile, ReadsAFile) {
  testing::ScratchDir dir;
  testing::writeFile(dir.file("aliases"), "root: admin\n");
  MapSource source = readMapSource(dir.file("aliases"), SourceFormat::Aliases);
  EXPECT_EQ(source.file, dir.file("aliases"));
  EXPECT_EQ(entriesOf(source), (Entries{{"root", "admin"}}));
}

TEST(MapSourceFile, MissingOrUnreadableFileNamesThePath) {
  testing::ScratchDir dir;
  try {
    readMapSource(dir.file("nope"), SourceFormat::Postmap);
    FAIL() << "no error";
  } catch (const MapError& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot open " + dir.file("nope") + ": No such file or directory");
  }
  try {
    readMapSource(dir.path(), SourceFormat::Postmap);  // a directory
    FAIL() << "no error";
  } catch (const MapError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot read " + dir.path() + ": Is a directory");
  }
}

}  // namespace
}  // namespace posthorn::map
