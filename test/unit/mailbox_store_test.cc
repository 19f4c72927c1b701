// mailbox_store_test - Maildir++ folders, subscriptions, flags in names,
// dovecot-keywords, and delivery into folders under the root's quota
#include "lib/mailbox/maildir_store.h"

#include <gtest/gtest.h>

#include "lib/mailbox/dovecot_keywords.h"
#include "lib/mailbox/maildir_flags.h"
#include "lib/mailbox/maildir_quota.h"
#include "lib/mailbox/uid_import.h"
#include "test/unit/test_util.h"

namespace posthorn::mailbox {
namespace {

using namespace posthorn::testing;

TEST(MaildirFlags, LettersInAsciiOrderAndBack) {
  EXPECT_EQ(systemFlagLetters(kFlagSeen | kFlagDraft | kFlagDeleted | kFlagAnswered), "DRST");
  EXPECT_EQ(systemFlagsFromLetters("FSx"), kFlagFlagged | kFlagSeen);
  EXPECT_EQ(maildirBase("123.M1P2.host,S=10,W=12:2,FS"), "123.M1P2.host,S=10,W=12");
  EXPECT_EQ(maildirFlagLetters("x:2,FSab"), "FSab");
  EXPECT_EQ(maildirFlagLetters("x"), "");
  EXPECT_EQ(maildirFlagLetters("x:1,FS"), "");
  MessageFlags f;
  f.system = kFlagSeen | kFlagAnswered | kFlagPassed;
  f.addKeyword("$Junk");
  EXPECT_EQ(flagsToImap(f), "\\Answered \\Seen $Junk");
}

TEST(DovecotKeywords, ParseAssignAndLetters) {
  DovecotKeywords kw = DovecotKeywords::parse("0 $Forwarded\n2 Junk\nbad line\n30 Toolate\n");
  EXPECT_EQ(*kw.keyword('a'), "$Forwarded");
  EXPECT_EQ(kw.keyword('b'), nullptr);
  EXPECT_EQ(*kw.keyword('c'), "Junk");
  EXPECT_EQ(kw.letter("Junk"), 'c');
  EXPECT_FALSE(kw.changed());
  EXPECT_EQ(kw.assign("NonJunk"), 'b');
  EXPECT_TRUE(kw.changed());
  MessageFlags f = kw.flagsFromName("base:2,Sca");
  EXPECT_EQ(f.system, kFlagSeen);
  EXPECT_EQ(f.keywords, (std::vector<std::string>{"$Forwarded", "Junk"}));
  f.addKeyword("New");
  EXPECT_EQ(kw.lettersFor(f), "Sacd");
  for (int i = 0; i < 30; ++i) kw.assign("k" + std::to_string(i));
  EXPECT_FALSE(kw.assign("one-too-many").has_value());
}

TEST(DovecotKeywords, SavedFileReadsBack) {
  TempDir dir;
  DovecotKeywords kw;
  kw.assign("Important");
  kw.assign("$Label1");
  kw.save(dir.path());
  EXPECT_EQ(readFile(dir / "dovecot-keywords"), "0 Important\n1 $Label1\n");
  EXPECT_EQ(DovecotKeywords::load(dir.path()).letter("$Label1"), 'b');
}

TEST(MaildirStore, FolderNamesMapToDotDirectories) {
  TempDir dir;
  MaildirStore store(dir.path() + "/Maildir/");
  EXPECT_EQ(store.folderDirectory("INBOX"), dir.path() + "/Maildir");
  EXPECT_EQ(store.folderDirectory("inbox"), dir.path() + "/Maildir");
  EXPECT_EQ(store.folderDirectory("Sent"), dir.path() + "/Maildir/.Sent");
  EXPECT_EQ(store.folderDirectory("Lists.posthorn"), dir.path() + "/Maildir/.Lists.posthorn");
  for (const char* bad : {"", ".x", "x.", "a..b", "a/b", "a\nb"}) {
    EXPECT_THROW(store.folderDirectory(bad), std::invalid_argument) << bad;
  }
  EXPECT_NE(MaildirStore::checkFolderName("a/b").find("'/'"), std::string::npos);
}

TEST(MaildirStore, CreateListRenameDeleteFolders) {
  TempDir dir;
  MaildirStore store(dir / "Maildir");
  EXPECT_TRUE(store.createFolder("Sent"));
  EXPECT_FALSE(store.createFolder("Sent"));
  EXPECT_TRUE(store.createFolder("Lists"));
  EXPECT_TRUE(store.createFolder("Lists.a"));
  EXPECT_TRUE(exists(dir / "Maildir/.Sent/maildirfolder"));
  EXPECT_TRUE(exists(dir / "Maildir/.Sent/cur"));
  EXPECT_EQ(store.folders(), (std::vector<std::string>{"INBOX", "Lists", "Lists.a", "Sent"}));
  store.setSubscribed("Lists.a", true);
  store.renameFolder("Lists", "Archive");
  EXPECT_EQ(store.folders(), (std::vector<std::string>{"INBOX", "Archive", "Archive.a", "Sent"}));
  EXPECT_EQ(store.subscriptions(), (std::vector<std::string>{"Archive.a"}));
  EXPECT_THROW(store.deleteFolder("Archive"), std::invalid_argument);  // has a child
  store.deleteFolder("Archive.a");
  EXPECT_TRUE(store.subscriptions().empty());
  EXPECT_THROW(store.deleteFolder("INBOX"), std::invalid_argument);
  EXPECT_EQ(store.folders(), (std::vector<std::string>{"INBOX", "Archive", "Sent"}));
}

TEST(MaildirStore, SubscriptionsBothFormats) {
  TempDir dir;
  MaildirStore store(dir.path());
  writeFile(dir / "subscriptions", "V\t2\n\nLists\tposthorn\nSent\n");
  EXPECT_EQ(store.subscriptions(), (std::vector<std::string>{"Lists.posthorn", "Sent"}));
  ::mkdir((dir / "tmp").c_str(), 0700);
  store.setSubscribed("Trash", true);
  store.setSubscribed("Sent", false);
  EXPECT_EQ(readFile(dir / "subscriptions"), "Lists.posthorn\nTrash\n");
  EXPECT_EQ(store.subscriptions(), (std::vector<std::string>{"Lists.posthorn", "Trash"}));
}

TEST(MaildirStore, FolderDeliveryUsesRootQuotaAndGetsUids) {
  TempDir dir;
  const std::string root = dir / "Maildir";
  MaildirStore store(root, MaildirQuota{1000, 0});
  StringSource a("Subject: a\n\n" + std::string(300, 'a') + "\n");
  const auto r1 = store.deliver("INBOX", a);
  ASSERT_TRUE(r1.ok()) << r1.text;
  EXPECT_EQ(r1.uid, 1u);
  StringSource b("Subject: b\n\n" + std::string(300, 'b') + "\n");
  const auto r2 = store.deliver("Lists.x", b);
  ASSERT_TRUE(r2.ok()) << r2.text;
  EXPECT_EQ(r2.uid, 1u);  // UIDs are per folder
  EXPECT_TRUE(exists(root + "/.Lists.x/maildirfolder"));
  EXPECT_FALSE(exists(root + "/.Lists.x/maildirsize"));  // the root's file counts it
  const auto usage = parseMaildirSize(readFile(root + "/maildirsize")).usage;
  EXPECT_EQ(usage.messages, 2);
  EXPECT_EQ(usage.bytes, 2 * 313);
  StringSource c("Subject: c\n\n" + std::string(400, 'c') + "\n");
  const auto r3 = store.deliver("Lists.x", c);
  EXPECT_FALSE(r3.ok());
  EXPECT_TRUE(r3.overQuota);
  // Flags at delivery go into cur/ with letters.
  MessageFlags seen;
  seen.system = kFlagSeen;
  seen.addKeyword("Sent-by-me");
  StringSource d("Subject: d\n\nd\n");
  const auto r4 = store.deliver("Sent", d, seen);
  ASSERT_TRUE(r4.ok()) << r4.text;
  EXPECT_NE(r4.path.find("/.Sent/cur/"), std::string::npos);
  EXPECT_EQ(r4.path.substr(r4.path.size() - 5), ":2,Sa");
  MaildirFolder sent = store.folder("Sent");
  sent.open();
  ASSERT_EQ(sent.messages().size(), 1u);
  EXPECT_EQ(sent.messages()[0].flags, seen);
  EXPECT_EQ(sent.messages()[0].size, 14u);
  EXPECT_EQ(sent.messages()[0].vsize, 17u);
}

TEST(MaildirStore, DeleteFolderTakesItsMessagesOffTheQuota) {
  TempDir dir;
  MaildirStore store(dir.path(), MaildirQuota{100000, 100});
  for (int i = 0; i < 3; ++i) {
    StringSource s("Subject: x\n\n" + std::to_string(i) + "\n");
    ASSERT_TRUE(store.deliver(i == 0 ? "INBOX" : "Old", s).ok());
  }
  store.deleteFolder("Old");
  EXPECT_EQ(parseMaildirSize(readFile(dir / "maildirsize")).usage, scanMaildirUsage(dir.path()));
  EXPECT_EQ(scanMaildirUsage(dir.path()).messages, 1);
}

TEST(UidImport, DovecotUidlistVersion3AndCourier) {
  const auto d = parseDovecotUidlist(
      "3 V1700000000 N7 G0123456789abcdef\n"
      "2 :1700.M1P1.h,S=10,W=11\n"
      "5 W120 S118 :1701.M2P1.h,S=118:2,S\n"
      "junk\n");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->uidValidity, 1700000000u);
  EXPECT_EQ(d->uidNext, 7u);
  EXPECT_EQ(d->byBase.at("1700.M1P1.h,S=10,W=11"), 2u);
  EXPECT_EQ(d->byBase.at("1701.M2P1.h,S=118"), 5u);
  EXPECT_FALSE(parseDovecotUidlist("9 V1 N1\n").has_value());
  EXPECT_FALSE(parseDovecotUidlist("3 N5\n").has_value());

  const auto c = parseCourierUiddb("1 1234 10\n3 1.a.host:2,S\n9 2.b.host\n");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->uidValidity, 1234u);
  EXPECT_EQ(c->uidNext, 10u);
  EXPECT_EQ(c->byBase.at("1.a.host"), 3u);
  const auto c2 = parseCourierUiddb("2 55 4\n1.a.host 3\n");
  ASSERT_TRUE(c2.has_value());
  EXPECT_EQ(c2->byBase.at("1.a.host"), 3u);
}

TEST(UidImport, Pop3UidlIsDovecotsDefault) {
  EXPECT_EQ(pop3Uidl(1, 1700000000), "000000016553f100");  // lower case, as Dovecot prints it
  EXPECT_EQ(pop3Uidl(0xABCDEF, 1), "00abcdef00000001");
}

}  // namespace
}  // namespace posthorn::mailbox
