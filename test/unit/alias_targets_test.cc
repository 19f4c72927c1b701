// alias_targets_test - alias values and .forward files split into targets
#include <gtest/gtest.h>

#include "local/alias_targets.h"

using posthorn::local::parseTargets;
using posthorn::local::Target;
using Kind = Target::Kind;

TEST(AliasTargets, SimpleListWithSpaces) {
  const auto t = parseTargets("bob,  alice@example.com ,carol");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0], (Target{Kind::Address, "bob"}));
  EXPECT_EQ(t[1], (Target{Kind::Address, "alice@example.com"}));
  EXPECT_EQ(t[2], (Target{Kind::Address, "carol"}));
}

TEST(AliasTargets, EveryKind) {
  const auto t = parseTargets("|/usr/bin/procmail, /var/log/copy, :include:/etc/mail/staff, \\bob, <x@y.z>");
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0], (Target{Kind::Command, "/usr/bin/procmail"}));
  EXPECT_EQ(t[1], (Target{Kind::File, "/var/log/copy"}));
  EXPECT_EQ(t[2], (Target{Kind::Include, "/etc/mail/staff"}));
  EXPECT_EQ(t[3], (Target{Kind::Mailbox, "bob"}));
  EXPECT_EQ(t[4], (Target{Kind::Address, "x@y.z"}));
}

TEST(AliasTargets, QuotedCommandKeepsCommasAndSpaces) {
  const auto t = parseTargets("\"|/usr/bin/vacation -a bob, -j\", bob");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0], (Target{Kind::Command, "/usr/bin/vacation -a bob, -j"}));
  EXPECT_EQ(t[1], (Target{Kind::Address, "bob"}));
}

TEST(AliasTargets, FileLinesAndComments) {
  const auto t = parseTargets("# staff list\nalice\n  # indented comment\nbob, carol\n\n|cat >/dev/null\n");
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].value, "alice");
  EXPECT_EQ(t[1].value, "bob");
  EXPECT_EQ(t[2].value, "carol");
  EXPECT_EQ(t[3], (Target{Kind::Command, "cat >/dev/null"}));
}

TEST(AliasTargets, EmptyAndBlank) {
  EXPECT_TRUE(parseTargets("").empty());
  EXPECT_TRUE(parseTargets(" , ,\n\n").empty());
  EXPECT_TRUE(parseTargets("# only a comment\n").empty());
}

TEST(AliasTargets, IncludeIsCaseInsensitive) {
  const auto t = parseTargets(":INCLUDE: /etc/mail/list");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0], (Target{Kind::Include, "/etc/mail/list"}));
}
