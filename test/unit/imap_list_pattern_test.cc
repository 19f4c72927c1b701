// imap_list_pattern_test - LIST/LSUB wildcards (RFC 3501 6.3.8)
#include <gtest/gtest.h>

#include <string>

#include "imapd/list_pattern.h"

namespace posthorn::imapd {
namespace {

TEST(ListPatternTest, StarMatchesAcrossLevels) {
  EXPECT_TRUE(listMatches("INBOX", "*"));
  EXPECT_TRUE(listMatches("Work.2024.Q1", "*"));
  EXPECT_TRUE(listMatches("Work.2024.Q1", "Work*"));
  EXPECT_TRUE(listMatches("Work.2024.Q1", "*Q1"));
  EXPECT_TRUE(listMatches("Work.2024.Q1", "W*.*1"));
  EXPECT_FALSE(listMatches("Work.2024.Q1", "*Q2"));
}

TEST(ListPatternTest, PercentStopsAtTheSeparator) {
  EXPECT_TRUE(listMatches("Work", "%"));
  EXPECT_FALSE(listMatches("Work.2024", "%"));
  EXPECT_TRUE(listMatches("Work.2024", "Work.%"));
  EXPECT_FALSE(listMatches("Work.2024.Q1", "Work.%"));
  EXPECT_TRUE(listMatches("Work.2024.Q1", "Work.%.%"));
  EXPECT_TRUE(listMatches("Work", "W%k"));
  EXPECT_TRUE(listMatches("", "%"));
}

TEST(ListPatternTest, StarBeforePercentStillCrossesLevels) {
  // A greedy matcher that only backtracks to the last wildcard gets this wrong.
  EXPECT_TRUE(listMatches("a.b.c", "a*.%"));
  EXPECT_TRUE(listMatches("a.b.c", "*%"));
  EXPECT_FALSE(listMatches("a.b.c", "a%.%"));
}

TEST(ListPatternTest, InboxIsCaseInsensitiveOnlyAsTheFirstLevel) {
  EXPECT_TRUE(listMatches("INBOX", "inbox"));
  EXPECT_TRUE(listMatches("INBOX.Sub", "inbox.Sub"));
  EXPECT_TRUE(listMatches("INBOX.Sub", "Inbox.%"));
  EXPECT_FALSE(listMatches("INBOX.Sub", "inbox.sub"));  // below INBOX, case counts
  EXPECT_FALSE(listMatches("Work", "work"));
  EXPECT_FALSE(listMatches("INBOXES", "inboxes"));
}

TEST(ListPatternTest, ReferenceIsAPrefix) {
  EXPECT_EQ(listPattern("Work.", "%"), "Work.%");
  EXPECT_EQ(listPattern("", "*"), "*");
  EXPECT_TRUE(listMatches("Work.2024", listPattern("Work.", "%")));
}

TEST(ListPatternTest, LongInputsStayQuick) {
  const std::string name(2000, 'a');
  const std::string pattern = std::string(200, '*') + "b";
  EXPECT_FALSE(listMatches(name, pattern));  // O(name x pattern), no exponential backtracking
  EXPECT_TRUE(listMatches(name + "b", pattern));
}

}  // namespace
}  // namespace posthorn::imapd
