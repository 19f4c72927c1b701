// queue_update_test - QueueFile: done marks in place, deferrals with
// reports, batches, the update lock, and torn slot writes
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "lib/queue/queue_file.h"
#include "lib/queue/queue_file_writer.h"
#include "test/unit/queue_test_util.h"

namespace posthorn::queue {
namespace {

using namespace posthorn::testing;
using Kind = QueueFileError::Kind;
using std::chrono::seconds;
using std::chrono::sys_seconds;

std::string writeSample(const TempDir& dir, std::size_t recipients) {
  QueueFileWriter w(dir.path());
  w.appendContent("Subject: test\r\n\r\nHello.\r\n");
  return w.commit(sampleEnvelope(recipients));
}

std::vector<Recipient> onDisk(const std::string& path) {
  return QueueFileReader(path).envelope().recipients;
}

TEST(QueueUpdateTest, MarkDoneInPlace) {
  TempDir dir;
  const std::string path = writeSample(dir, 5);
  const std::size_t size = readFile(path).size();
  {
    QueueFile q(path);
    EXPECT_EQ(q.recipientCount(), 5u);
    q.markDone(1);
    q.markDone(3, RecipientState::Relayed);
    EXPECT_TRUE(q.recipient(1).status.done());
    EXPECT_EQ(q.envelope().recipients, onDisk(path));
  }
  const auto r = onDisk(path);
  EXPECT_EQ(r[0].status.state, RecipientState::Todo);
  EXPECT_EQ(r[1].status.state, RecipientState::Delivered);
  EXPECT_EQ(r[2].status.state, RecipientState::Todo);
  EXPECT_EQ(r[3].status.state, RecipientState::Relayed);
  EXPECT_EQ(r[4].status.state, RecipientState::Todo);
  EXPECT_FALSE(QueueFileReader(path).envelope().allDone());
  EXPECT_EQ(readFile(path).size(), size) << "a done mark must not grow the file";
  EXPECT_EQ(QueueFileReader(path).readContent(), "Subject: test\r\n\r\nHello.\r\n");
}

TEST(QueueUpdateTest, DeferralsAndFailuresRoundTrip) {
  TempDir dir;
  const std::string path = writeSample(dir, 3);
  const DeliveryReport first{{}, "4.4.1", "smtp; 421 4.4.1 connection timed out", "dns; mx1.example.net"};
  const DeliveryReport second{{}, "4.2.2", "smtp; 452 4.2.2 mailbox full", "dns; mx2.example.net"};
  const DeliveryReport bounce{{}, "5.1.1", "smtp; 550 5.1.1 no such user", "dns; mx1.example.net"};
  const Time start = now();
  QueueFile q(path);
  q.defer(0, sys_seconds(seconds(1700000600)), first);
  q.defer(0, sys_seconds(seconds(1700001800)), second);
  q.markDone(1, RecipientState::Failed, bounce);
  q.setDelayWarned(2);

  auto r = onDisk(path);
  EXPECT_EQ(r, q.envelope().recipients);
  EXPECT_EQ(r[0].status.state, RecipientState::Todo);
  EXPECT_EQ(r[0].status.attempts, 2u);
  EXPECT_EQ(r[0].status.nextRetry, sys_seconds(seconds(1700001800)));
  EXPECT_EQ(r[0].report.dsnStatus, "4.2.2");
  EXPECT_EQ(r[0].report.diagnostic, second.diagnostic);
  EXPECT_EQ(r[0].report.remoteMta, second.remoteMta);
  EXPECT_GE(r[0].report.time, start);
  EXPECT_LE(r[0].report.time, now());
  EXPECT_EQ(r[1].status.state, RecipientState::Failed);
  EXPECT_EQ(r[1].report.diagnostic, bounce.diagnostic);
  EXPECT_TRUE(r[2].status.delayWarned);
  EXPECT_EQ(r[2].status.state, RecipientState::Todo);

  // A later done mark without a report keeps the last report.
  q.markDone(0);
  r = onDisk(path);
  EXPECT_EQ(r[0].status.state, RecipientState::Delivered);
  EXPECT_EQ(r[0].status.attempts, 2u);
  EXPECT_EQ(r[0].report.diagnostic, second.diagnostic);
  // A report with its own time keeps it.
  const Time when(std::chrono::microseconds(1600000000000000));
  q.markDone(2, RecipientState::Delivered, {when, "2.0.0", "smtp; 250 ok", "dns; mx3"});
  EXPECT_EQ(onDisk(path)[2].report.time, when);
  EXPECT_TRUE(QueueFileReader(path).envelope().allDone());
  EXPECT_EQ(onDisk(path), q.envelope().recipients);
}

TEST(QueueUpdateTest, BatchIsOneRecord) {
  TempDir dir;
  const std::string path = writeSample(dir, 4);
  QueueFile q(path);
  const std::size_t before = readFile(path).size();
  RecipientStatus deferred = q.recipient(1).status;
  deferred.attempts = 7;
  deferred.nextRetry = sys_seconds(seconds(1800000000));
  q.apply({{0, {RecipientState::Delivered, 0, {}, false}, std::nullopt},
           {1, deferred, DeliveryReport{{}, "4.0.0", "later", "dns; x"}},
           {3, {RecipientState::Failed, 1, {}, false}, DeliveryReport{{}, "5.0.0", "never", "dns; y"}}});
  const std::string after = readFile(path);
  RawRecord r;
  ASSERT_EQ(parseRecord(after, before, 0, r), ParseStatus::Ok);
  EXPECT_EQ(r.type, rec::kUpdate);
  EXPECT_EQ(before + r.size, after.size()) << "one record for the whole batch";
  const auto got = onDisk(path);
  EXPECT_EQ(got, q.envelope().recipients);
  EXPECT_EQ(got[0].status.state, RecipientState::Delivered);
  EXPECT_TRUE(got[0].report.empty());
  EXPECT_EQ(got[1].status, deferred);
  EXPECT_EQ(got[1].report.diagnostic, "later");
  EXPECT_EQ(got[2].status.state, RecipientState::Todo);
  EXPECT_EQ(got[3].status.state, RecipientState::Failed);
  EXPECT_EQ(got[3].report.diagnostic, "never");

  // Slot-only batches, the same recipient twice: the last change wins.
  q.apply({{2, {RecipientState::Todo, 1, {}, false}, std::nullopt},
           {2, {RecipientState::Todo, 2, {}, true}, std::nullopt}});
  EXPECT_EQ(onDisk(path)[2].status, (RecipientStatus{RecipientState::Todo, 2, {}, true}));
  EXPECT_EQ(readFile(path).size(), after.size());
  q.apply({});
}

TEST(QueueUpdateTest, ManyUpdatesAlternateSlotsAndMixWithRecords) {
  TempDir dir;
  const std::string path = writeSample(dir, 2);
  QueueFile q(path);
  for (std::uint32_t i = 1; i <= 200; ++i) {
    RecipientStatus s = q.recipient(0).status;
    s.attempts = i;
    s.nextRetry = sys_seconds(seconds(1700000000 + i));
    std::optional<DeliveryReport> report;
    if (i % 7 == 0) report = DeliveryReport{{}, "4.0.0", "try " + std::to_string(i), ""};
    q.apply({{0, s, report}});
    const auto got = onDisk(path);
    ASSERT_EQ(got[0].status, s) << i;
    ASSERT_EQ(got, q.envelope().recipients) << i;
  }
  EXPECT_EQ(onDisk(path)[0].report.diagnostic, "try 196");
  EXPECT_EQ(onDisk(path)[1].status, RecipientStatus{});
}

TEST(QueueUpdateTest, OneUpdaterAtATime) {
  TempDir dir;
  const std::string path = writeSample(dir, 2);
  {
    QueueFile first(path);
    try {
      QueueFile second(path);
      FAIL() << "two updaters";
    } catch (const QueueFileError& e) {
      EXPECT_EQ(e.kind(), Kind::Locked);
      EXPECT_EQ(e.what(), path + ": locked by another process");
    }
    first.markDone(0);
    EXPECT_EQ(QueueFileReader(path).envelope().recipients[0].status.state, RecipientState::Delivered);
  }
  QueueFile again(path);
  EXPECT_TRUE(again.recipient(0).status.done());
  EXPECT_THROW(again.markDone(2), QueueFileError);
  EXPECT_THROW(again.recipient(2), QueueFileError);
  EXPECT_THROW(again.apply({{0, {static_cast<RecipientState>(9), 0, {}, false}, std::nullopt}}),
               QueueFileError);
}

// A write that fails halfway (here: the file size limit, like a full disk)
// throws, leaves a torn tail that readers ignore, and makes the object
// refuse further changes until the file is reopened.
TEST(QueueUpdateTest, FailedUpdateIsReportedAndHarmless) {
  TempDir dir;
  const std::string path = writeSample(dir, 2);
  const std::size_t size = readFile(path).size();
  const auto before = onDisk(path);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    const rlim_t cap = static_cast<rlim_t>(size + 100);
    struct rlimit limit = {cap, cap};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(10);
    QueueFile q(path);
    try {
      q.defer(0, sys_seconds(seconds(1)), {{}, "4.0.0", std::string(10000, 'd'), ""});
      _exit(11);
    } catch (const QueueFileError& e) {
      if (e.kind() != Kind::Io) _exit(12);
    }
    try {
      q.markDone(1);
      _exit(13);
    } catch (const QueueFileError& e) {
      if (std::string(e.what()).find("reopen") == std::string::npos) _exit(14);
    }
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << "10 setrlimit, 11/13 no error, 12 wrong kind, 14 wrong text";
  EXPECT_EQ(readFile(path).size(), size + 100) << "expected a torn tail";
  EXPECT_EQ(onDisk(path), before);
  QueueFile q(path);
  q.defer(0, sys_seconds(seconds(1)), {{}, "4.0.0", "short", ""});
  EXPECT_EQ(onDisk(path)[0].report.diagnostic, "short");
  EXPECT_EQ(onDisk(path)[1].status.state, RecipientState::Todo);
}

// A slot write torn at any byte (a crash in the middle of the sector) reads
// as the old state or the new one, and the next update repairs it.
TEST(QueueUpdateTest, TornSlotWriteLeavesOldOrNew) {
  TempDir dir;
  const std::string path = writeSample(dir, 3);
  std::mt19937 rng(99);
  for (int round = 0; round < 4; ++round) {  // both copies, twice
    {
      // A whole update first, so both copies are valid and differ: the
      // torn write must go to the older one, not the current one.
      QueueFile q(path);
      RecipientStatus s = q.recipient(1).status;
      s.delayWarned = !s.delayWarned;
      q.apply({{1, s, std::nullopt}});
    }
    const std::string before = readFile(path);
    const auto oldState = onDisk(path);
    {
      QueueFile q(path);
      RecipientStatus s = q.recipient(1).status;
      s.attempts += 1;
      s.nextRetry = sys_seconds(seconds(1700000000 + round));
      s.state = round == 3 ? RecipientState::Delivered : RecipientState::Todo;
      q.apply({{1, s, std::nullopt}});
    }
    const std::string after = readFile(path);
    const auto newState = onDisk(path);
    ASSERT_EQ(before.size(), after.size());
    std::vector<std::size_t> changed;
    for (std::size_t i = 0; i < before.size(); ++i)
      if (before[i] != after[i]) changed.push_back(i);
    ASSERT_FALSE(changed.empty());
    ASSERT_LE(changed.back() - changed.front(), kSlotSize);

    auto check = [&](const std::vector<bool>& take, const std::string& what) {
      std::string mixed = before;
      for (std::size_t k = 0; k < changed.size(); ++k)
        if (take[k]) mixed[changed[k]] = after[changed[k]];
      overwriteFile(path, mixed);
      const auto got = onDisk(path);
      EXPECT_TRUE(got == oldState || got == newState) << what;
    };
    for (std::size_t n = 0; n <= changed.size(); ++n) {  // in order, cut at n
      std::vector<bool> take(changed.size(), false);
      std::fill(take.begin(), take.begin() + static_cast<long>(n), true);
      check(take, "prefix " + std::to_string(n));
    }
    for (int t = 0; t < 200; ++t) {  // any subset of the changed bytes
      std::vector<bool> take(changed.size());
      for (std::size_t k = 0; k < take.size(); ++k) take[k] = rng() & 1;
      check(take, "subset " + std::to_string(t));
    }
    // Leave it torn halfway; the next round's update must cope.
    std::vector<bool> half(changed.size(), false);
    std::fill(half.begin(), half.begin() + static_cast<long>(changed.size() / 2), true);
    check(half, "half");
  }
  // After four torn rounds: still readable, and an update still works.
  QueueFile q(path);
  q.markDone(1);
  EXPECT_EQ(onDisk(path)[1].status.state, RecipientState::Delivered);
}

}  // namespace
}  // namespace posthorn::queue
