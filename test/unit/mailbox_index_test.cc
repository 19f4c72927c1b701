// mailbox_index_test - the index files (checksummed records, base + log,
// torn tails, interrupted rewrites, damage), directory sync (files
// dropped in, renamed with new flags, removed), flag changes and
// expunges through the store, import of dovecot-uidlist, and listing
// from the index without opening message files (inotify counts opens)
#include "lib/mailbox/mailbox_index.h"

#include <gtest/gtest.h>
#include <sys/inotify.h>

#include "lib/mailbox/index_record.h"
#include "lib/mailbox/maildir_folder.h"
#include "lib/mailbox/maildir_store.h"
#include "lib/mailbox/uid_import.h"
#include "lib/mailbox/maildir_writer.h"
#include "test/unit/test_util.h"

namespace posthorn::mailbox {
namespace {

using namespace posthorn::testing;

DeliveryResult deliverText(const std::string& maildir, const std::string& text) {
  StringSource s(text);
  return deliverToMaildir(maildir, s, MaildirQuota{});
}

std::vector<std::uint32_t> uidsOf(const MaildirFolder& f) {
  std::vector<std::uint32_t> out;
  for (const auto& m : f.messages()) out.push_back(m.uid);
  return out;
}

TEST(IndexRecord, RoundTripAndDamage) {
  const std::vector<std::string> fields{"A", "", "-", "a b,c%d\n\xff", "x"};
  const std::string line = formatRecord(fields);
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  std::size_t pos = 0;
  auto back = parseRecord(line, &pos);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, fields);
  EXPECT_EQ(pos, line.size());
  std::string flipped = line;
  flipped[12] ^= 1;
  pos = 0;
  EXPECT_FALSE(parseRecord(flipped, &pos).has_value());
  EXPECT_EQ(pos, 0u);
  pos = 0;
  EXPECT_FALSE(parseRecord(line.substr(0, line.size() - 1), &pos).has_value());  // torn: no newline
  EXPECT_FALSE(decodeField("%4").has_value());
  EXPECT_FALSE(decodeField("%zz").has_value());
}

TEST(MailboxIndex, CreateAppendLoadRefresh) {
  TempDir dir;
  MailboxIndex writer(dir.path());
  IndexHeader h;
  h.uidValidity = 42;
  writer.create(h, {});
  EXPECT_TRUE(writer.exists());
  IndexedMessage m;
  m.uid = 1;
  m.modseq = 1;
  m.name = "1.M1P1.h,S=5,W=6";
  m.inNew = true;
  m.size = 5;
  m.vsize = 6;
  writer.append({appendRecord(m)});

  MailboxIndex reader(dir.path());
  reader.load();
  EXPECT_EQ(reader.state().header.uidValidity, 42u);
  EXPECT_EQ(reader.state().header.uidNext, 2u);
  ASSERT_EQ(reader.state().messages().size(), 1u);
  EXPECT_EQ(reader.state().messages()[0].vsize, 6u);

  m.uid = 2;
  m.modseq = 2;
  m.name = "2.M1P1.h";
  m.size = m.vsize = kUnknownSize;
  writer.append({appendRecord(m), cacheRecord(2, "envelope", "(\"date\" NIL)")});
  EXPECT_TRUE(reader.refresh());
  ASSERT_EQ(reader.state().messages().size(), 2u);
  EXPECT_EQ(reader.state().messages()[1].size, kUnknownSize);
  EXPECT_EQ(*reader.state().find(2)->cached("envelope"), "(\"date\" NIL)");
  EXPECT_FALSE(reader.refresh());

  // A rewrite: the reader notices the new log and reloads.
  writer.compact();
  writer.append({expungeRecord(1, 3)});
  EXPECT_TRUE(reader.refresh());
  EXPECT_EQ(reader.state().messages().size(), 1u);
  EXPECT_EQ(reader.state().header.highestModseq, 3u);
  EXPECT_EQ(*reader.state().find(2)->cached("envelope"), "(\"date\" NIL)");

  MailboxIndex headerOnly(dir.path(), true);
  headerOnly.load();
  EXPECT_EQ(headerOnly.state().header.uidNext, 3u);
  EXPECT_EQ(headerOnly.state().header.highestModseq, 3u);
  EXPECT_TRUE(headerOnly.state().messages().empty());
}

TEST(MailboxIndex, TornTailIsIgnoredThenCut) {
  TempDir dir;
  MailboxIndex writer(dir.path());
  writer.create(IndexHeader{7, 1, 0, 0}, {});
  writer.append({uidNextRecord(5)});
  const std::string log = dir / "posthorn-index.log";
  const std::string good = readFile(log);
  writeFile(log, good + formatRecord(uidNextRecord(9)).substr(0, 10));  // kill -9 mid-write
  MailboxIndex reader(dir.path());
  reader.load();
  EXPECT_EQ(reader.state().header.uidNext, 5u);
  EXPECT_GT(reader.logDamagedBytes(), 0u);
  MailboxIndex next(dir.path());
  next.load();
  next.append({uidNextRecord(6)});
  EXPECT_EQ(readFile(log), good + formatRecord(uidNextRecord(6)));
}

TEST(MailboxIndex, StaleLogAfterInterruptedRewriteIsIgnored) {
  TempDir dir;
  MailboxIndex writer(dir.path());
  writer.create(IndexHeader{7, 1, 0, 0}, {});
  writer.append({uidNextRecord(5)});
  const std::string oldLog = readFile(dir / "posthorn-index.log");
  writer.compact();  // base generation 2 holds uidnext 5
  writeFile(dir / "posthorn-index.log", oldLog + formatRecord(uidNextRecord(100)));  // crash before the log rename
  MailboxIndex reader(dir.path());
  reader.load();
  EXPECT_EQ(reader.state().header.uidNext, 5u);
  reader.append({uidNextRecord(6)});  // a writer starts a fresh log of generation 2
  MailboxIndex again(dir.path());
  again.load();
  EXPECT_EQ(again.state().header.uidNext, 6u);
}

TEST(MailboxIndex, DamagedBaseIsReported) {
  TempDir dir;
  MailboxIndex writer(dir.path());
  writer.create(IndexHeader{7, 1, 0, 0}, {});
  std::string base = readFile(dir / "posthorn-index");
  base[3] ^= 1;
  writeFile(dir / "posthorn-index", base);
  MailboxIndex reader(dir.path());
  EXPECT_THROW(reader.load(), IndexDamaged);
}

TEST(MaildirFolder, DeliveryAssignsUidsAndSyncSeesOutsideChanges) {
  TempDir dir;
  const std::string md = dir / "Maildir";
  const auto r1 = deliverText(md, "Subject: 1\n\none\n");
  const auto r2 = deliverText(md, "Subject: 2\n\ntwo\n");
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ(r1.uid, 1u);
  EXPECT_EQ(r2.uid, 2u);
  MaildirFolder inbox(md, md);
  inbox.open();
  EXPECT_EQ(uidsOf(inbox), (std::vector<std::uint32_t>{1, 2}));
  const std::uint32_t validity = inbox.header().uidValidity;
  EXPECT_TRUE(inbox.sync().empty());

  // Another program drops a file into new/, renames one with flags, removes none yet.
  const std::string n1 = listDir(md + "/new")[0];
  writeFile(md + "/new/1000.M1P9.other", "Subject: 3\n\nthree\n");
  ASSERT_EQ(::rename((md + "/new/" + n1).c_str(), (md + "/cur/" + n1 + ":2,FS").c_str()), 0);
  const auto before = inbox.header().highestModseq;
  const SyncChanges c = inbox.sync();
  EXPECT_EQ(c.added, (std::vector<std::uint32_t>{3}));
  EXPECT_EQ(c.changed.size(), 1u);
  EXPECT_TRUE(c.expunged.empty());
  const IndexedMessage* changed = inbox.find(c.changed[0]);
  EXPECT_EQ(changed->flags.system, kFlagFlagged | kFlagSeen);
  EXPECT_FALSE(changed->inNew);
  EXPECT_GT(changed->modseq, before);
  EXPECT_EQ(inbox.find(3)->size, 18u);  // no S= in the name: stat

  // A removed file is an expunge; the UIDs of the rest do not move.
  ASSERT_EQ(::unlink(inbox.path(*inbox.find(2)).c_str()), 0);
  EXPECT_EQ(inbox.sync().expunged, (std::vector<std::uint32_t>{2}));
  EXPECT_EQ(uidsOf(inbox), (std::vector<std::uint32_t>{1, 3}));
  const auto r4 = deliverText(md, "Subject: 4\n\nfour\n");
  EXPECT_EQ(r4.uid, 4u);  // never 2 again
  EXPECT_TRUE(inbox.refresh());
  EXPECT_EQ(uidsOf(inbox), (std::vector<std::uint32_t>{1, 3, 4}));
  EXPECT_EQ(inbox.header().uidValidity, validity);
  EXPECT_EQ(inbox.uidl(4), pop3Uidl(4, validity));
}

TEST(MaildirFolder, StoreFlagsRenamesAndKeepsKeywords) {
  TempDir dir;
  const std::string md = dir.path();
  ASSERT_TRUE(deliverText(md, "Subject: 1\n\none\n").ok());
  MaildirFolder inbox(md, md);
  inbox.open();
  MessageFlags f;
  f.system = kFlagSeen | kFlagAnswered;
  f.addKeyword("$Forwarded");
  EXPECT_EQ(inbox.storeFlags({1, 99}, f, FlagMode::Add), (std::vector<std::uint32_t>{1}));
  const IndexedMessage* m = inbox.find(1);
  EXPECT_FALSE(m->inNew);
  EXPECT_EQ(m->name.substr(m->name.size() - 6), ":2,RSa");
  EXPECT_TRUE(exists(md + "/cur/" + m->name));
  EXPECT_EQ(readFile(md + "/dovecot-keywords"), "0 $Forwarded\n");
  MessageFlags seen;
  seen.system = kFlagSeen;
  EXPECT_EQ(inbox.storeFlags({1}, seen, FlagMode::Remove).size(), 1u);
  EXPECT_EQ(inbox.find(1)->flags.system, kFlagAnswered);
  EXPECT_TRUE(inbox.storeFlags({1}, seen, FlagMode::Remove).empty());  // nothing to change

  // The file renamed by mutt meanwhile: the store finds it by a sync.
  const std::string cur = inbox.path(*inbox.find(1));
  const std::string base = inbox.find(1)->base();
  ASSERT_EQ(::rename(cur.c_str(), (md + "/cur/" + base + ":2,FR").c_str()), 0);
  EXPECT_EQ(inbox.storeFlags({1}, seen, FlagMode::Add).size(), 1u);
  EXPECT_EQ(inbox.find(1)->flags.system, kFlagFlagged | kFlagAnswered | kFlagSeen);
  EXPECT_EQ(listDir(md + "/cur"), (std::vector<std::string>{base + ":2,FRS"}));

  // A reader sees the change and can open the message under its new name.
  MaildirFolder reader(md, md);
  reader.open();
  EXPECT_EQ(reader.find(1)->flags.system, kFlagFlagged | kFlagAnswered | kFlagSeen);
  const int fd = reader.openMessage(1);
  EXPECT_GE(fd, 0);
  ::close(fd);
  EXPECT_EQ(reader.virtualSize(1), 19u);
}

TEST(MaildirFolder, ExpungeUpdatesQuotaAndIndex) {
  TempDir dir;
  const std::string md = dir.path();
  for (int i = 0; i < 3; ++i) {
    StringSource s("Subject: " + std::to_string(i) + "\n\nbody\n");
    ASSERT_TRUE(deliverToMaildir(md, s, MaildirQuota{10000, 0}).ok());
  }
  MaildirFolder inbox(md, md);
  inbox.open();
  EXPECT_EQ(inbox.expunge({1, 3, 7}), (std::vector<std::uint32_t>{1, 3}));
  EXPECT_EQ(uidsOf(inbox), (std::vector<std::uint32_t>{2}));
  EXPECT_EQ(parseMaildirSize(readFile(md + "/maildirsize")).usage, scanMaildirUsage(md));
  EXPECT_EQ(listDir(md + "/new").size(), 1u);
}

TEST(MaildirFolder, ImportsDovecotUidlistOnFirstOpen) {
  TempDir dir;
  const std::string md = dir.path();
  for (const char* sub : {"cur", "new", "tmp"}) ::mkdir((md + "/" + sub).c_str(), 0700);
  writeFile(md + "/cur/100.M1P1.h,S=8:2,S", "a: b\n\nx\n");
  writeFile(md + "/cur/101.M1P1.h,S=8:2,Ta", "a: b\n\ny\n");
  writeFile(md + "/new/102.M1P1.h", "a: b\n\nz\n");  // not in the list: next UID
  writeFile(md + "/dovecot-uidlist", "3 V1600000000 N20 Gabc\n10 :100.M1P1.h,S=8\n12 W9 :101.M1P1.h,S=8:2,T\n");
  writeFile(md + "/dovecot-keywords", "0 Junk\n");
  MaildirFolder inbox(md, md);
  const SyncChanges c = inbox.open();
  EXPECT_TRUE(c.created);
  EXPECT_EQ(c.importedFrom, md + "/dovecot-uidlist");
  EXPECT_EQ(inbox.header().uidValidity, 1600000000u);
  EXPECT_EQ(uidsOf(inbox), (std::vector<std::uint32_t>{10, 12, 20}));
  EXPECT_EQ(inbox.header().uidNext, 21u);
  EXPECT_EQ(inbox.find(12)->flags.system, kFlagDeleted);
  EXPECT_EQ(inbox.find(12)->flags.keywords, (std::vector<std::string>{"Junk"}));
  EXPECT_EQ(inbox.uidl(10), "0000000a5f5e1000");
}

TEST(MaildirFolder, DamagedIndexIsRebuiltWithNewUidvalidity) {
  TempDir dir;
  const std::string md = dir.path();
  ASSERT_TRUE(deliverText(md, "Subject: 1\n\none\n").ok());
  writeFile(md + "/posthorn-index", "garbage\n");
  MaildirFolder inbox(md, md);
  const SyncChanges c = inbox.open();
  EXPECT_TRUE(c.rebuilt);
  EXPECT_EQ(uidsOf(inbox), (std::vector<std::uint32_t>{1}));
  // A delivery to a damaged index rebuilds it too and still gets a UID.
  writeFile(md + "/posthorn-index", "garbage again\n");
  EXPECT_EQ(deliverText(md, "Subject: 2\n\ntwo\n").uid, 2u);
}

TEST(MaildirFolder, ConcurrentDeliveriesAndFlagChangesGetDistinctUids) {
  TempDir dir;
  const std::string md = dir.path();
  constexpr int kWriters = 4;
  constexpr int kEach = 40;
  ASSERT_TRUE(deliverText(md, "Subject: first\n\n").ok());
  const bool ok = runChildren(kWriters + 1, [&md](int i) {
    if (i == kWriters) {
      // Meanwhile another session syncs and flags whatever it sees.
      MaildirFolder f(md, md);
      f.open();
      MessageFlags seen;
      seen.system = kFlagSeen;
      for (int round = 0; round < 30; ++round) {
        f.sync();
        std::vector<std::uint32_t> uids;
        for (const auto& m : f.messages()) uids.push_back(m.uid);
        f.storeFlags(uids, seen, FlagMode::Add);
      }
      return 0;
    }
    for (int n = 0; n < kEach; ++n) {
      if (deliverText(md, "Subject: " + std::to_string(i) + "/" + std::to_string(n) + "\n\nx\n").uid == 0) return 1;
    }
    return 0;
  });
  ASSERT_TRUE(ok);
  MaildirFolder inbox(md, md);
  inbox.open();
  EXPECT_TRUE(inbox.sync().empty());  // every delivery was recorded when it was made
  std::vector<std::uint32_t> want;
  for (std::uint32_t u = 1; u <= kWriters * kEach + 1; ++u) want.push_back(u);
  EXPECT_EQ(uidsOf(inbox), want);
  EXPECT_EQ(listDir(md + "/new").size() + listDir(md + "/cur").size(), want.size());
}

// Counts IN_OPEN events for files in a directory.
class OpenCounter {
 public:
  explicit OpenCounter(const std::vector<std::string>& dirs) : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    for (const auto& d : dirs) ::inotify_add_watch(fd_, d.c_str(), IN_OPEN);
  }
  ~OpenCounter() { ::close(fd_); }
  int fileOpens() {
    int n = 0;
    alignas(inotify_event) char buf[65536];
    for (;;) {
      const ssize_t len = ::read(fd_, buf, sizeof buf);
      if (len <= 0) return n;
      for (char* p = buf; p < buf + len;) {
        const auto* e = reinterpret_cast<const inotify_event*>(p);
        if (!(e->mask & IN_ISDIR)) ++n;
        p += sizeof(inotify_event) + e->len;
      }
    }
  }

 private:
  int fd_;
};

TEST(MaildirFolder, ListingFromTheIndexOpensNoMessageFile) {
  TempDir dir;
  const std::string md = dir.path();
  constexpr int kMessages = 2000;
  for (const char* sub : {"cur", "new", "tmp"}) ::mkdir((md + "/" + sub).c_str(), 0700);
  for (int i = 0; i < kMessages; ++i) {
    const std::string name = std::to_string(1000000 + i) + ".M" + std::to_string(i) + "P1.host,S=20,W=21" +
                             (i % 3 == 0 ? ":2,S" : ":2,");
    writeFile(md + "/cur/" + name, "Subject: x\n\n12345678");
  }
  {
    MaildirFolder first(md, md);
    first.open();  // creates the index: scans names, opens nothing either
    ASSERT_EQ(first.messages().size(), static_cast<std::size_t>(kMessages));
  }
  OpenCounter opens({md + "/cur", md + "/new"});
  MaildirFolder inbox(md, md);
  inbox.open();
  std::size_t seen = 0;
  for (const auto& m : inbox.messages()) {
    if (m.flags.has(kFlagSeen)) ++seen;
    EXPECT_EQ(m.size, 20u);
  }
  EXPECT_EQ(seen, static_cast<std::size_t>((kMessages + 2) / 3));
  EXPECT_EQ(inbox.messages().back().uid, static_cast<std::uint32_t>(kMessages));
  EXPECT_EQ(opens.fileOpens(), 0);
  EXPECT_TRUE(inbox.sync().empty());
  EXPECT_EQ(opens.fileOpens(), 0);
  const int fd = inbox.openMessage(5);
  ::close(fd);
  EXPECT_EQ(opens.fileOpens(), 1);  // the counter does see opens
}

}  // namespace
}  // namespace posthorn::mailbox
