// imap_flag_list_test - flag lists of STORE and APPEND, system flags by name
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "imapd/flag_list.h"

namespace posthorn::imapd {
namespace {

std::vector<ImapValue> atoms(std::initializer_list<const char*> texts) {
  std::vector<ImapValue> out;
  for (const char* t : texts) {
    ImapValue v;
    v.text = t;
    out.push_back(v);
  }
  return out;
}

TEST(FlagListTest, SystemFlagsByNameInAnyCase) {
  EXPECT_EQ(parseSystemFlag("\\Seen"), mailbox::kFlagSeen);
  EXPECT_EQ(parseSystemFlag("\\ANSWERED"), mailbox::kFlagAnswered);
  EXPECT_EQ(parseSystemFlag("\\flagged"), mailbox::kFlagFlagged);
  EXPECT_EQ(parseSystemFlag("\\Deleted"), mailbox::kFlagDeleted);
  EXPECT_EQ(parseSystemFlag("\\Draft"), mailbox::kFlagDraft);
  for (const char* name : {"\\Recent", "\\Bogus", "Seen", "\\", ""}) EXPECT_FALSE(parseSystemFlag(name)) << name;
}

TEST(FlagListTest, SystemFlagsAndKeywords) {
  std::string error;
  const auto flags = parseFlagList(atoms({"\\Seen", "\\DELETED", "$Forwarded"}), &error);
  ASSERT_TRUE(flags) << error;
  EXPECT_EQ(flags->system, mailbox::kFlagSeen | mailbox::kFlagDeleted);
  EXPECT_EQ(flags->keywords, std::vector<std::string>{"$Forwarded"});
  EXPECT_TRUE(parseFlagList({}, &error));
}

TEST(FlagListTest, Refusals) {
  std::string error;
  EXPECT_FALSE(parseFlagList(atoms({"\\Recent"}), &error));
  EXPECT_EQ(error, "Invalid system flag \\Recent.");
  EXPECT_FALSE(parseFlagList(atoms({"a]b"}), &error));
  EXPECT_EQ(error, "Invalid keyword a]b.");
  EXPECT_FALSE(parseFlagList(atoms({""}), &error));
  EXPECT_EQ(error, "Invalid flag.");
  const std::string longKeyword(129, 'k');
  EXPECT_FALSE(parseFlagList(atoms({longKeyword.c_str()}), &error));
  EXPECT_EQ(error, "Keyword too long.");
  std::vector<ImapValue> quoted = atoms({"x"});
  quoted[0].kind = ImapValue::Kind::Quoted;
  EXPECT_FALSE(parseFlagList(quoted, &error));
  EXPECT_EQ(error, "Invalid flag.");
}

}  // namespace
}  // namespace posthorn::imapd
