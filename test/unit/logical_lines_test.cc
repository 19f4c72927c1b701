// logical_lines_test - the logical-line reader that posthorn.conf, master.conf
// and table sources share: comments, blank lines, continuations, line numbers,
// and the two sets of rules (configuration files, table sources); the
// physical lines under it (takeLine, withoutLf).
#include "lib/util/logical_lines.h"

#include <gtest/gtest.h>

#include <tuple>
#include <utility>

namespace posthorn::util {
namespace {

using Lines = std::vector<std::pair<int, std::string>>;

// What lib/map/map_source.cc asks for.
const LineRules kTableRules{.indent = " \t", .trimTrailing = true, .rejectNul = true};

Lines read(std::string_view text, const LineRules& rules = {}) {
  Lines out;
  for (const LogicalLine& l : logicalLines(text, rules)) out.emplace_back(l.line, l.text);
  return out;
}

// The LineError thrown for text: its kind, line and text.
std::tuple<LineError::Kind, int, std::string> errorOf(std::string_view text,
                                                      const LineRules& rules = {}) {
  try {
    (void)logicalLines(text, rules);
  } catch (const LineError& e) {
    return {e.kind(), e.line(), e.text()};
  }
  ADD_FAILURE() << "no LineError for \"" << text << "\"";
  return {};
}

TEST(LogicalLines, EmptyText) {
  EXPECT_EQ(read(""), Lines{});
  EXPECT_EQ(read("\n\n"), Lines{});
}

TEST(LogicalLines, OneLineEachWithItsNumber) {
  EXPECT_EQ(read("a = 1\nb = 2\n"), (Lines{{1, "a = 1"}, {2, "b = 2"}}));
  EXPECT_EQ(read("a = 1\nb = 2"), (Lines{{1, "a = 1"}, {2, "b = 2"}}));  // no final newline
}

TEST(LogicalLines, CommentsAndBlankLinesAreSkippedButCounted) {
  EXPECT_EQ(read("# top\n\n   \n\t# indented\na\n#b\n\nc\n"), (Lines{{5, "a"}, {8, "c"}}));
}

TEST(LogicalLines, HashInsideALineIsText) {
  EXPECT_EQ(read("a = b # c\n"), (Lines{{1, "a = b # c"}}));
}

TEST(LogicalLines, ContinuationJoinsWithOneSpaceAndKeepsTheFirstLineNumber) {
  EXPECT_EQ(read("a = 1,\n   2,\n\t3\nb\n"), (Lines{{1, "a = 1, 2, 3"}, {4, "b"}}));
}

TEST(LogicalLines, CommentOrBlankLineInsideAContinuationDoesNotEndIt) {
  EXPECT_EQ(read("a = 1\n# between\n\n  2\n"), (Lines{{1, "a = 1 2"}}));
  EXPECT_EQ(read("a 1\n  # between\n  2\n", kTableRules), (Lines{{1, "a 1 2"}}));
}

TEST(LogicalLines, ContinuationBeforeAnyLineIsAnError) {
  EXPECT_EQ(errorOf("# x\n  orphan\n"),
            std::make_tuple(LineError::Kind::OrphanContinuation, 2, std::string("  orphan")));
  EXPECT_EQ(errorOf("\n\t orphan  \t\r\n", kTableRules),
            std::make_tuple(LineError::Kind::OrphanContinuation, 2, std::string("\t orphan")));
  try {
    (void)logicalLines("  x\n");
    FAIL();
  } catch (const LineError& e) {
    EXPECT_STREQ(e.what(), "line 1: continuation line without a preceding line");
  }
}

// posthorn.conf and master.conf: CR, FF and VT count as white space, only
// the CR of a CRLF goes from a first line, continuations are trimmed.
TEST(LogicalLines, ConfigurationRules) {
  EXPECT_EQ(read("a = 1\r\nb = 2\r\n"), (Lines{{1, "a = 1"}, {2, "b = 2"}}));
  EXPECT_EQ(read("a = 1  \n  2  \r\n"), (Lines{{1, "a = 1   2"}}));
  EXPECT_EQ(read("a\n\fcontinued\n\v# comment\n\r\n"), (Lines{{1, "a continued"}}));
  EXPECT_EQ(read("a\n\r\r\n"), (Lines{{1, "a"}}));  // only white space: blank
  EXPECT_EQ(read(std::string_view("a\0b\n", 4)), (Lines{{1, std::string("a\0b", 3)}}));
}

// Table sources: only space and tab indent; every line loses its trailing
// white space first; a NUL byte is an error.
TEST(LogicalLines, TableSourceRules) {
  EXPECT_EQ(read("key  value  \t\r\n", kTableRules), (Lines{{1, "key  value"}}));
  EXPECT_EQ(read("a 1  \n  2  \n", kTableRules), (Lines{{1, "a 1 2"}}));
  EXPECT_EQ(read("a 1\n\fb 2\n  \f\n", kTableRules), (Lines{{1, "a 1"}, {2, "\fb 2"}}));
  EXPECT_EQ(read("a 1\n \fb\n", kTableRules), (Lines{{1, "a 1 \fb"}}));
  EXPECT_EQ(errorOf(std::string_view("a 1\nb x\0y\r\n", 11), kTableRules),
            std::make_tuple(LineError::Kind::NulByte, 2, std::string("b x")));
}

TEST(PhysicalLines, TakeLineKeepsTheLfAndMovesPastIt) {
  std::size_t pos = 0;
  const std::string_view text = "one\r\n\ntwo";
  EXPECT_EQ(takeLine(text, pos), "one\r\n");
  EXPECT_EQ(pos, 5u);
  EXPECT_EQ(takeLine(text, pos), "\n");
  EXPECT_EQ(takeLine(text, pos), "two");  // the last line has no LF
  EXPECT_EQ(pos, text.size());
  EXPECT_EQ(takeLine(text, pos), "");
  EXPECT_EQ(pos, text.size());
}

TEST(PhysicalLines, WithoutLfDropsOnlyAFinalLf) {
  EXPECT_EQ(withoutLf("a\r\n"), "a\r");
  EXPECT_EQ(withoutLf("\n"), "");
  EXPECT_EQ(withoutLf("a"), "a");
  EXPECT_EQ(withoutLf(""), "");
}

}  // namespace
}  // namespace posthorn::util
