// queue_id_test - queue IDs: format, ordering, uniqueness across threads
// and concurrently forked processes
#include "lib/queue/queue_id.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <thread>
#include <unordered_set>
#include <vector>

#include "test/unit/test_util.h"

namespace posthorn::queue {
namespace {

using std::chrono::microseconds;
using Micros = std::chrono::sys_time<microseconds>;

TEST(QueueIdTest, FormatIsFileNameSafe) {
  const QueueId id = QueueId::generate();
  ASSERT_EQ(id.str().size(), QueueId::kLength);
  for (char c : id.str()) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << id.str();
  EXPECT_TRUE(QueueId::isValid(id.str()));
  EXPECT_EQ(id.pid(), getpid());
  const auto age = std::chrono::system_clock::now() - id.time();
  EXPECT_GE(age, std::chrono::seconds(-1));
  EXPECT_LT(age, std::chrono::seconds(5));
}

TEST(QueueIdTest, ParseRoundTripAndRejects) {
  const QueueId id = QueueId::make(Micros(microseconds(1700000000123456)), 4194303);
  auto parsed = QueueId::parse(id.str());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, id);
  EXPECT_EQ(parsed->time(), Micros(microseconds(1700000000123456)));
  EXPECT_EQ(parsed->pid(), 4194303);

  for (const char* bad : {"", "abc", "123456789012!", ".1234567890123.tmp", "12345678901234",
                          "12345678901 3", "../../etc/pwd", "123456789012/"}) {
    EXPECT_FALSE(QueueId::isValid(bad)) << bad;
    EXPECT_FALSE(QueueId::parse(bad)) << bad;
  }
  EXPECT_TRUE(QueueId::isValid("1234567890123"));
  EXPECT_TRUE(QueueId::isValid("zzzzzzzzzzzzz"));
}

TEST(QueueIdTest, SortsByTime) {
  // Across digit boundaries too: 61 -> 62 changes two digits.
  std::vector<std::int64_t> times = {1, 61, 62, 3843, 3844, 1700000000000000, 1700000000000001,
                                     1700000000999999, 1700000001000000, 9000000000000000};
  for (std::size_t i = 1; i < times.size(); ++i) {
    const QueueId a = QueueId::make(Micros(microseconds(times[i - 1])), 99999);
    const QueueId b = QueueId::make(Micros(microseconds(times[i])), 1);
    EXPECT_LT(a.str(), b.str()) << times[i - 1] << " vs " << times[i];
  }
}

TEST(QueueIdTest, HundredThousandUniqueAndIncreasing) {
  std::vector<std::string> ids;
  ids.reserve(100000);
  for (int i = 0; i < 100000; ++i) ids.push_back(QueueId::generate().str());
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  std::unordered_set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size());
}

TEST(QueueIdTest, UniqueAcrossThreads) {
  constexpr int kThreads = 4, kEach = 20000;
  std::vector<std::vector<std::string>> out(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&out, t] {
      for (int i = 0; i < kEach; ++i) out[t].push_back(QueueId::generate().str());
    });
  for (auto& th : threads) th.join();
  std::unordered_set<std::string> unique;
  for (const auto& v : out) unique.insert(v.begin(), v.end());
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(kThreads * kEach));
}

TEST(QueueIdTest, UniqueAcrossConcurrentProcesses) {
  constexpr int kChildren = 4, kEach = 25000;
  testing::TempDir dir;
  // Generate once in the parent first: children inherit its state.
  QueueId::generate();
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  std::vector<pid_t> pids;
  for (int c = 0; c < kChildren; ++c) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(go[1]);
      char byte;
      if (read(go[0], &byte, 1) != 0) _exit(2);  // wait until the parent closes
      std::string all;
      for (int i = 0; i < kEach; ++i) all += QueueId::generate().str() + "\n";
      testing::writeFile(dir / std::to_string(c), all);
      _exit(0);
    }
    pids.push_back(pid);
  }
  close(go[0]);
  close(go[1]);  // all children start together
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  std::unordered_set<std::string> unique;
  std::set<pid_t> seenPids;
  std::size_t total = 0;
  for (int c = 0; c < kChildren; ++c) {
    std::istringstream in(testing::readFile(dir / std::to_string(c)));
    for (std::string line; std::getline(in, line);) {
      ASSERT_TRUE(QueueId::isValid(line)) << line;
      unique.insert(line);
      seenPids.insert(QueueId::parse(line)->pid());
      ++total;
    }
  }
  EXPECT_EQ(total, static_cast<std::size_t>(kChildren * kEach));
  EXPECT_EQ(unique.size(), total);
  EXPECT_EQ(seenPids, std::set<pid_t>(pids.begin(), pids.end()));
}

}  // namespace
}  // namespace posthorn::queue
