// queue_crash_test - kill -9 in the middle of queue file updates and
// writes: every recipient is exactly in a state the updater had reached,
// nothing is lost, and the file stays valid
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <random>

#include "lib/queue/queue_dirs.h"
#include "lib/queue/queue_file.h"
#include "lib/queue/queue_file_writer.h"
#include "test/unit/queue_test_util.h"

namespace posthorn::queue {
namespace {

using namespace posthorn::testing;
using std::chrono::seconds;
using std::chrono::sys_seconds;

constexpr std::size_t kRecipients = 30;
const std::string kContent = "Subject: crash test\r\n\r\n" + std::string(3000, 'c') + "\r\n";

// Operation number j of a trial: applied to the file by the child, and to
// a model by the parent.
using Op = std::function<void(std::vector<Recipient>& model, std::uint32_t j,
                              std::vector<QueueFile::Change>& changes)>;

std::vector<QueueFile::Change> changesFor(const Op& op, std::vector<Recipient>& model,
                                          std::uint32_t j) {
  std::vector<QueueFile::Change> changes;
  op(model, j, changes);
  for (const auto& c : changes) {
    model[c.index].status = c.status;
    if (c.report) model[c.index].report = *c.report;
  }
  return changes;
}

struct TrialResult {
  std::uint32_t reported = 0;  // operations the child said were durable
  std::vector<Recipient> onDisk;
};

// Forks a child that applies ops 0, 1, 2, ... to `path`, writing each
// number to a pipe after it returned (fdatasync done). The child kills
// itself after `selfKillAfter` ops (before reporting the last), or the
// parent kills it after `delayMicros`.
TrialResult runTrial(const std::string& path, const Op& op, std::uint32_t selfKillAfter,
                     int delayMicros, const std::vector<Recipient>& initial) {
  int progress[2];
  EXPECT_EQ(pipe(progress), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(progress[0]);
    try {
      QueueFile q(path);
      std::vector<Recipient> model = initial;
      for (std::uint32_t j = 0;; ++j) {
        q.apply(changesFor(op, model, j));
        if (j + 1 == selfKillAfter) raise(SIGKILL);
        if (write(progress[1], &j, sizeof j) != sizeof j) _exit(3);
      }
    } catch (...) {
      _exit(4);
    }
  }
  close(progress[1]);
  if (delayMicros >= 0) {
    usleep(static_cast<useconds_t>(delayMicros));
    kill(pid, SIGKILL);
  }
  TrialResult result;
  std::uint32_t j;
  while (read(progress[0], &j, sizeof j) == sizeof j) {
    EXPECT_EQ(j, result.reported);
    result.reported = j + 1;
  }
  close(progress[0]);
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "child ended otherwise: status " << status;
  QueueFileReader r(path);  // throws if the file is not valid
  EXPECT_EQ(r.readContent(), kContent);
  result.onDisk = r.envelope().recipients;
  return result;
}

// Runs `trials` trials of `op`; each must leave the file exactly as after
// `reported` or `reported + 1` operations.
void crashTrials(const Op& op, int trials, std::uint32_t maxOps, std::uint32_t seed) {
  TempDir dir;
  QueueFileWriter w(dir.path());
  w.appendContent(kContent);
  const std::string templatePath = w.commit(sampleEnvelope(kRecipients));
  const std::string pristine = readFile(templatePath);
  const std::vector<Recipient> initial = QueueFileReader(templatePath).envelope().recipients;
  std::mt19937 rng(seed);
  int killedMidway = 0;
  for (int t = 0; t < trials; ++t) {
    const std::string path = dir / ("trial" + std::to_string(t));
    writeFile(path, pristine);
    const bool selfKill = t % 2 == 0;
    const std::uint32_t after = selfKill ? 1 + rng() % maxOps : 0;
    const int delay = selfKill ? -1 : static_cast<int>(rng() % 4000);
    const TrialResult result = runTrial(path, op, after, delay, initial);
    if (selfKill) {
      ASSERT_EQ(result.reported + 1, after);
    }

    std::vector<Recipient> model = initial;
    for (std::uint32_t j = 0; j < result.reported; ++j) changesFor(op, model, j);
    const bool matchesReported = result.onDisk == model;
    changesFor(op, model, result.reported);
    const bool matchesNext = result.onDisk == model;
    ASSERT_TRUE(matchesReported || matchesNext)
        << "trial " << t << ": the file matches neither " << result.reported << " nor "
        << result.reported + 1 << " operations";
    killedMidway += result.reported > 0;
  }
  EXPECT_GT(killedMidway, trials / 3) << "too few trials were killed after some progress";
}

TEST(QueueCrashTest, DoneMarksSurviveKill9) {
  // Recipient j is marked done by op j: what is on disk is a prefix.
  const Op markInOrder = [](std::vector<Recipient>& model, std::uint32_t j,
                            std::vector<QueueFile::Change>& changes) {
    const std::size_t i = j % kRecipients;
    RecipientStatus s = model[i].status;
    s.state = j < kRecipients ? RecipientState::Delivered : RecipientState::Relayed;
    changes.push_back({i, s, std::nullopt});
  };
  crashTrials(markInOrder, 50, kRecipients, 1);
}

TEST(QueueCrashTest, DoneSetIsAPrefixOfWhatWasReported) {
  // The same, asserted directly on the recipients' done flags.
  TempDir dir;
  QueueFileWriter w(dir.path());
  w.appendContent(kContent);
  const std::string path = w.commit(sampleEnvelope(kRecipients));
  const std::string pristine = readFile(path);
  const std::vector<Recipient> initial = QueueFileReader(path).envelope().recipients;
  const Op mark = [](std::vector<Recipient>& model, std::uint32_t j,
                     std::vector<QueueFile::Change>& changes) {
    RecipientStatus s = model[j % kRecipients].status;
    s.state = RecipientState::Delivered;
    changes.push_back({j % kRecipients, s, std::nullopt});
  };
  std::mt19937 rng(2);
  for (int t = 0; t < 20; ++t) {
    writeFile(path, pristine);
    const TrialResult r = runTrial(path, mark, 1 + rng() % (kRecipients - 1), -1, initial);
    std::size_t done = 0;
    while (done < kRecipients && r.onDisk[done].status.done()) ++done;
    for (std::size_t i = done; i < kRecipients; ++i)
      ASSERT_EQ(r.onDisk[i].status.state, RecipientState::Todo) << "not a prefix at " << i;
    for (std::size_t i = 0; i < kRecipients; ++i)
      ASSERT_EQ(r.onDisk[i].address, initial[i].address) << "recipient lost";
    EXPECT_GE(done, r.reported);
    EXPECT_LE(done, r.reported + 1);
  }
}

TEST(QueueCrashTest, DeferralsSurviveKill9) {
  // Scattered recipients; two of three ops carry a report (appended
  // record), the third only changes the slot in place; some are batches.
  const Op mixed = [](std::vector<Recipient>& model, std::uint32_t j,
                      std::vector<QueueFile::Change>& changes) {
    const std::size_t i = (j * 7) % kRecipients;
    RecipientStatus s = model[i].status;
    s.nextRetry = sys_seconds(seconds(1700000000 + j));
    if (j % 3 == 2) {
      s.delayWarned = !s.delayWarned;
      changes.push_back({i, s, std::nullopt});
      return;
    }
    s.attempts += 1;
    const DeliveryReport report{Time(std::chrono::microseconds(1700000000000000 + j)), "4.0.0",
                                "smtp; 450 attempt " + std::to_string(j), "dns; mx.example.net"};
    changes.push_back({i, s, report});
    if (j % 5 == 0) {  // a batch: a second recipient in the same record
      const std::size_t k = (i + 1) % kRecipients;
      RecipientStatus s2 = model[k].status;
      s2.attempts += 1;
      changes.push_back({k, s2, report});
    }
  };
  crashTrials(mixed, 50, 60, 3);
}

TEST(QueueCrashTest, KillDuringWriteLeavesNoPartialQueueFile) {
  TempDir dir;
  std::mt19937 rng(4);
  std::string content;
  while (content.size() < (2u << 20)) content += "a line of a big message, more or less 60 bytes long ...\r\n";
  for (int t = 0; t < 20; ++t) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        for (;;) {
          QueueFileWriter w(dir.path());
          for (std::size_t pos = 0; pos < content.size(); pos += 100000)
            w.appendContent(std::string_view(content).substr(pos, 100000));
          w.commit(sampleEnvelope(3));
        }
      } catch (...) {
        _exit(4);
      }
    }
    usleep(static_cast<useconds_t>(rng() % 20000));
    kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status));
  }
  std::size_t complete = 0, temps = 0;
  for (const std::string& name : listDir(dir.path())) {
    if (isTempFileName(name)) {
      ++temps;
      continue;
    }
    ASSERT_TRUE(QueueId::isValid(name)) << name;
    QueueFileReader r(dir / name);
    EXPECT_TRUE(r.readContent() == content) << name;
    ++complete;
  }
  EXPECT_LE(temps, 20u);
  RecordProperty("complete_files", static_cast<int>(complete));
}

}  // namespace
}  // namespace posthorn::queue
