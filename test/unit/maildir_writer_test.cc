// maildir_writer_test - Maildir delivery on real files: byte-exact content,
// Dovecot-style names with ,S= and ,W=, uniqueness across processes, no
// leftovers when the source throws, Maildir++ quota and maildirsize upkeep
// (also under concurrency and kill -9), and error results naming the path.
#include "lib/mailbox/maildir_writer.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/time.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "lib/mailbox/mailbox_error.h"
#include "lib/mailbox/maildir_name.h"
#include "test/unit/mailbox_test_util.h"

namespace posthorn::mailbox {

// Readable gtest output for usage comparisons.
void PrintTo(const MaildirUsage& u, std::ostream* os) { *os << u.bytes << " bytes, " << u.messages << " messages"; }

namespace {

using namespace posthorn::testing;

const MaildirQuota kNoQuota{};

std::uint64_t countLines(const std::string& s) { return static_cast<std::uint64_t>(std::count(s.begin(), s.end(), '\n')); }

// A message of exactly `size` bytes (size >= 40) whose content says who wrote it.
std::string makeMessage(const std::string& tag, std::size_t size) {
  std::string m = "Subject: " + tag + "\n\n";
  while (m.size() + 1 < size) m += (m.size() % 60 == 0) ? '\n' : 'x';
  m += '\n';
  return m;
}

// Sum of the real sizes (stat) and count of the messages in cur/ and new/.
MaildirUsage realUsage(const std::string& maildir) {
  MaildirUsage u;
  for (const char* sub : {"/cur/", "/new/"}) {
    for (const auto& name : listDir(maildir + sub)) {
      struct stat st;
      if (::stat((maildir + sub + name).c_str(), &st) == 0) {
        u.bytes += st.st_size;
        u.messages += 1;
      }
    }
  }
  return u;
}

// For forked workers: true when delivered, else the reason goes to stderr.
bool deliveredOrSaid(const DeliveryResult& r) {
  if (!r.ok()) std::fprintf(stderr, "delivery failed: %s %s\n", r.dsn.c_str(), r.text.c_str());
  return r.ok();
}

MaildirSizeContent readMaildirSize(const std::string& maildir) {
  return parseMaildirSize(readFile(maildir + "/maildirsize"));
}

TEST(MessageSourceTest, StringSourceGivesItsBytesInPieces) {
  StringSource s("hello world");
  char buf[4];
  std::string got;
  std::size_t n;
  while ((n = s.read(buf, sizeof buf)) > 0) {
    EXPECT_LE(n, sizeof buf);
    got.append(buf, n);
  }
  EXPECT_EQ(got, "hello world");
  EXPECT_EQ(s.read(buf, sizeof buf), 0u);
}

TEST(MessageSourceTest, ChainSourceReadsPartsInOrderSkippingEmptyOnes) {
  StringSource a("Return-Path: <a@b>\n");
  StringSource empty("");
  ChainSource chain{&a, &empty};
  chain.add(std::make_unique<StringSource>("Subject: x\n\nbody\n"));
  std::string got;
  char buf[7];
  std::size_t n;
  while ((n = chain.read(buf, sizeof buf)) > 0) got.append(buf, n);
  EXPECT_EQ(got, "Return-Path: <a@b>\nSubject: x\n\nbody\n");
  EXPECT_EQ(chain.read(buf, sizeof buf), 0u);
}

TEST(MaildirNameTest, UniqueNamesFollowDovecotsLayout) {
  const std::string host = maildirHostname();
  EXPECT_EQ(host.find('/'), std::string::npos);
  EXPECT_EQ(host.find(':'), std::string::npos);
  const std::regex layout("^[0-9]+\\.M[0-9]+P" + std::to_string(::getpid()) + "Q[0-9]+\\..+$");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string name = maildirUniqueName();
    EXPECT_TRUE(std::regex_match(name, layout)) << name;
    EXPECT_TRUE(seen.insert(name).second) << "duplicate " << name;
  }
}

TEST(MaildirNameTest, FieldsAreReadFromTheUniquePartOnly) {
  std::uint64_t v = 0;
  EXPECT_TRUE(maildirNameField("1.M2P3Q4.host,S=1234,W=1300:2,S", 'S', v));
  EXPECT_EQ(v, 1234u);
  EXPECT_TRUE(maildirNameField("1.M2P3Q4.host,S=1234,W=1300:2,S", 'W', v));
  EXPECT_EQ(v, 1300u);
  EXPECT_FALSE(maildirNameField("1.M2P3Q4.host:2,S=5", 'S', v));  // flags, not a field
  EXPECT_FALSE(maildirNameField("1.M2P3Q4.host,S=12x", 'S', v));
  EXPECT_FALSE(maildirNameField("1.M2P3Q4.host", 'S', v));
}

TEST(MaildirSizeTest, ParsesDefinitionAndSumsLines) {
  const auto c = parseMaildirSize("1000S,10C\n100 1\n  250   2\n-50 -1\n\n");
  ASSERT_TRUE(c.valid);
  EXPECT_EQ(c.quota, (MaildirQuota{1000, 10}));
  EXPECT_EQ(c.usage, (MaildirUsage{300, 2}));
  EXPECT_TRUE(parseMaildirSize("5000S\n").valid);
  EXPECT_EQ(parseMaildirSize("7C\n").quota, (MaildirQuota{0, 7}));
  EXPECT_FALSE(parseMaildirSize("").valid);
  EXPECT_FALSE(parseMaildirSize("garbage\n").valid);
  EXPECT_FALSE(parseMaildirSize("100S\n10 1\n5").valid);  // torn append
  EXPECT_FALSE(parseMaildirSize("100S\nten 1\n").valid);
  EXPECT_EQ(formatQuotaDefinition({2048, 5}), "2048S,5C");
}

TEST(MaildirWriterTest, DeliversByteExactWithSizeAndVirtualSizeInTheName) {
  TempDir dir;
  const std::string maildir = dir / "home/user/Maildir";  // parents missing too
  const std::string msg = "Return-Path: <a@example.org>\nSubject: hi\n\nline one\n\nFrom me\nlast\n";
  StringSource src(msg);
  const DeliveryResult r = deliverToMaildir(maildir, src, kNoQuota);
  ASSERT_EQ(r.kind, DeliveryResult::Kind::Ok) << r.text;
  EXPECT_EQ(r.dsn, "2.0.0");
  EXPECT_EQ(r.text, "delivered to maildir");
  EXPECT_FALSE(r.overQuota);

  const auto files = listDir(maildir + "/new");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(r.path, maildir + "/new/" + files[0]);
  EXPECT_EQ(readFile(r.path), msg);
  const std::string expectEnd = ",S=" + std::to_string(msg.size()) + ",W=" + std::to_string(msg.size() + countLines(msg));
  EXPECT_TRUE(files[0].ends_with(expectEnd)) << files[0] << " should end with " << expectEnd;
  EXPECT_TRUE(std::regex_match(files[0], std::regex("^[0-9]+\\.M[0-9]+P[0-9]+Q[0-9]+\\..*,S=[0-9]+,W=[0-9]+$")));

  EXPECT_TRUE(listDir(maildir + "/tmp").empty());
  EXPECT_TRUE(listDir(maildir + "/cur").empty());
  for (const char* d : {"/home", "/home/user", "/home/user/Maildir", "/home/user/Maildir/tmp",
                        "/home/user/Maildir/new", "/home/user/Maildir/cur"}) {
    EXPECT_EQ(modeOf(dir.path() + d) & 0777, 0700u) << d;
  }
  EXPECT_EQ(modeOf(r.path) & 0777, 0600u);
  EXPECT_FALSE(exists(maildir + "/maildirsize"));  // no quota, none created
}

TEST(MaildirWriterTest, LargeMessageInOddPiecesIsExact) {
  TempDir dir;
  std::string msg = "Subject: big\n\n";
  std::mt19937 rng(7);
  while (msg.size() < 300000) {
    const std::size_t len = rng() % 200;
    msg += std::string(len, static_cast<char>('a' + rng() % 26)) + "\n";
  }
  PieceSource src(msg, 997);
  const DeliveryResult r = deliverToMaildir(dir / "Maildir", src, kNoQuota);
  ASSERT_TRUE(r.ok()) << r.text;
  EXPECT_EQ(readFile(r.path), msg);
  EXPECT_TRUE(r.path.ends_with(",S=" + std::to_string(msg.size()) + ",W=" +
                               std::to_string(msg.size() + countLines(msg))));
}

TEST(MaildirWriterTest, EmptyMessageAndMissingFinalNewline) {
  TempDir dir;
  StringSource empty("");
  const DeliveryResult a = deliverToMaildir(dir / "Maildir", empty, kNoQuota);
  ASSERT_TRUE(a.ok()) << a.text;
  EXPECT_TRUE(a.path.ends_with(",S=0,W=0"));
  StringSource partial("Subject: x\n\nno newline");
  const DeliveryResult b = deliverToMaildir(dir / "Maildir", partial, kNoQuota);
  ASSERT_TRUE(b.ok()) << b.text;
  EXPECT_EQ(readFile(b.path), "Subject: x\n\nno newline");
  EXPECT_TRUE(b.path.ends_with(",S=22,W=24"));
  // A line that already ends in CRLF is not counted twice in W=.
  PieceSource crlf("a\r\nb\n", 2);  // the CR and LF arrive in different pieces
  const DeliveryResult c = deliverToMaildir(dir / "Maildir", crlf, kNoQuota);
  ASSERT_TRUE(c.ok()) << c.text;
  EXPECT_TRUE(c.path.ends_with(",S=5,W=6")) << c.path;
}

TEST(MaildirWriterTest, NamesAreUniqueAcrossFourProcesses) {
  TempDir dir;
  const std::string maildir = dir / "Maildir";
  constexpr int kProcs = 4;
  constexpr int kEach = 200;
  ASSERT_TRUE(runChildren(kProcs, [&](int p) {
    for (int i = 0; i < kEach; ++i) {
      StringSource src("Subject: " + std::to_string(p) + "/" + std::to_string(i) + "\n\nbody\n");
      if (!deliveredOrSaid(deliverToMaildir(maildir, src, kNoQuota))) return 1;
    }
    return 0;
  }));
  const auto files = listDir(maildir + "/new");
  EXPECT_EQ(files.size(), static_cast<std::size_t>(kProcs * kEach));
  std::set<std::string> subjects;
  for (const auto& f : files) subjects.insert(readFile(maildir + "/new/" + f));
  EXPECT_EQ(subjects.size(), static_cast<std::size_t>(kProcs * kEach));  // nobody overwrote anybody
  EXPECT_TRUE(listDir(maildir + "/tmp").empty());
}

TEST(MaildirWriterTest, ThrowingSourceLeavesTmpEmptyAndNewUntouched) {
  TempDir dir;
  const std::string maildir = dir / "Maildir";
  const MaildirQuota quota{1000000, 0};
  StringSource first(makeMessage("first", 100));
  ASSERT_TRUE(deliverToMaildir(maildir, first, quota).ok());
  const auto before = listDir(maildir + "/new");
  const std::string sizeBefore = readFile(maildir + "/maildirsize");

  PieceSource failing(makeMessage("second", 200000), 4096, 100000);
  EXPECT_THROW(deliverToMaildir(maildir, failing, quota), std::runtime_error);
  EXPECT_TRUE(listDir(maildir + "/tmp").empty());
  EXPECT_EQ(listDir(maildir + "/new"), before);
  EXPECT_EQ(readFile(maildir + "/maildirsize"), sizeBefore);
}

TEST(MaildirWriterTest, ByteQuotaAcceptsUntilTheLimitThenDefers) {
  TempDir dir;
  const std::string maildir = dir / "Maildir";
  const MaildirQuota quota{350, 0};
  for (int i = 0; i < 3; ++i) {
    StringSource src(makeMessage("m" + std::to_string(i), 100));
    const DeliveryResult r = deliverToMaildir(maildir, src, quota);
    ASSERT_TRUE(r.ok()) << i << ": " << r.text;
  }
  StringSource fourth(makeMessage("m3", 100));
  const DeliveryResult r = deliverToMaildir(maildir, fourth, quota);
  EXPECT_EQ(r.kind, DeliveryResult::Kind::TempFail);
  EXPECT_EQ(r.dsn, "4.2.2");
  EXPECT_TRUE(r.overQuota);
  EXPECT_TRUE(r.text.starts_with("mailbox full")) << r.text;
  EXPECT_EQ(listDir(maildir + "/new").size(), 3u);
  EXPECT_TRUE(listDir(maildir + "/tmp").empty());

  const std::string text = readFile(maildir + "/maildirsize");
  EXPECT_TRUE(text.starts_with("350S,0C\n")) << text;
  const auto c = parseMaildirSize(text);
  ASSERT_TRUE(c.valid);
  EXPECT_EQ(c.usage, (MaildirUsage{300, 3}));

  // A smaller message still fits exactly.
  StringSource small(makeMessage("small", 50));
  EXPECT_TRUE(deliverToMaildir(maildir, small, quota).ok());
  EXPECT_EQ(readMaildirSize(maildir).usage, (MaildirUsage{350, 4}));
}

TEST(MaildirWriterTest, MessageCountQuota) {
  TempDir dir;
  const std::string maildir = dir / "Maildir";
  const MaildirQuota quota{0, 2};
  for (int i = 0; i < 2; ++i) {
    StringSource src(makeMessage("m", 60));
    ASSERT_TRUE(deliverToMaildir(maildir, src, quota).ok());
  }
  StringSource third(makeMessage("m", 60));
  const DeliveryResult r = deliverToMaildir(maildir, third, quota);
  EXPECT_EQ(r.dsn, "4.2.2");
  EXPECT_TRUE(r.overQuota);
  EXPECT_TRUE(readFile(maildir + "/maildirsize").starts_with("0S,2C\n"));
}

TEST(MaildirWriterTest, MaildirsizeSumIsExactAfterConcurrentDeliveries) {
  TempDir dir;
  const std::string maildir = dir / "Maildir";
  const MaildirQuota quota{1000000000, 0};
  // maildirsize is missing when all four start: they race to create it.
  ASSERT_TRUE(runChildren(4, [&](int p) {
    std::mt19937 rng(static_cast<unsigned>(p));
    for (int i = 0; i < 150; ++i) {
      StringSource src(makeMessage("p" + std::to_string(p), 40 + rng() % 3000));
      if (!deliveredOrSaid(deliverToMaildir(maildir, src, quota))) return 1;
    }
    return 0;
  }));
  const MaildirUsage real = realUsage(maildir);
  EXPECT_EQ(real.messages, 600);
  const auto c = readMaildirSize(maildir);
  ASSERT_TRUE(c.valid);
  EXPECT_EQ(c.usage, real);
  EXPECT_LE(readFile(maildir + "/maildirsize").size(), 5120u + 64u);  // rebuilt when it grew
  EXPECT_TRUE(listDir(maildir + "/tmp").empty());
}

// Two quotas fight over the definition line, so maildirsize is rebuilt
// (scan + rename) over and over while the other processes deliver: the
// shared/exclusive flock must keep the sum exact all the same.
TEST(MaildirWriterTest, MaildirsizeStaysExactWhileRebuiltUnderLoad) {
  TempDir dir;
  const std::string maildir = dir / "Maildir";
  ASSERT_TRUE(runChildren(4, [&](int p) {
    const MaildirQuota quota{1000000000 + static_cast<std::uint64_t>(p % 2), 0};
    for (int i = 0; i < 100; ++i) {
      StringSource src(makeMessage("p" + std::to_string(p), 40 + static_cast<std::size_t>(i * 31 % 2000)));
      if (!deliveredOrSaid(deliverToMaildir(maildir, src, quota))) return 1;
    }
    return 0;
  }));
  const MaildirUsage real = realUsage(maildir);
  EXPECT_EQ(real.messages, 400);
  const auto c = readMaildirSize(maildir);
  ASSERT_TRUE(c.valid);
  EXPECT_EQ(c.usage, real);
  EXPECT_TRUE(listDir(maildir + "/tmp").empty());
}

TEST(MaildirWriterTest, MissingMaildirsizeIsRecalculatedFromAllFolders) {
  TempDir dir;
  const std::string maildir = dir / "Maildir";
  const MaildirQuota quota{100000, 0};
  for (int i = 0; i < 2; ++i) {
    StringSource src(makeMessage("m", 100));
    ASSERT_TRUE(deliverToMaildir(maildir, src, quota).ok());
  }
  // A message without ,S= (counted by stat) and one in a folder.
  writeFile(maildir + "/cur/1700000000.M1P1.old:2,S", std::string(37, 'o'));
  ASSERT_EQ(::mkdir((maildir + "/.Sent").c_str(), 0700), 0);
  ASSERT_EQ(::mkdir((maildir + "/.Sent/cur").c_str(), 0700), 0);
  writeFile(maildir + "/.Sent/cur/1700000001.M1P1.host,S=500,W=510:2,S", std::string(500, 's'));
  ASSERT_EQ(::unlink((maildir + "/maildirsize").c_str()), 0);

  StringSource src(makeMessage("m", 80));
  ASSERT_TRUE(deliverToMaildir(maildir, src, quota).ok());
  const std::string text = readFile(maildir + "/maildirsize");
  EXPECT_EQ(text, "100000S,0C\n737 4\n80 1\n");
  EXPECT_TRUE(listDir(maildir + "/tmp").empty());
}

TEST(MaildirWriterTest, OversizedOrMalformedMaildirsizeIsRebuilt) {
  TempDir dir;
  const std::string maildir = dir / "Maildir";
  const MaildirQuota quota{100000, 0};
  StringSource first(makeMessage("m", 100));
  ASSERT_TRUE(deliverToMaildir(maildir, first, quota).ok());

  std::string big = "100000S,0C\n";
  while (big.size() <= 5120) big += "7 1\n";  // wrong sums, too long
  writeFile(maildir + "/maildirsize", big);
  StringSource second(makeMessage("m", 120));
  ASSERT_TRUE(deliverToMaildir(maildir, second, quota).ok());
  EXPECT_EQ(readFile(maildir + "/maildirsize"), "100000S,0C\n100 1\n120 1\n");

  writeFile(maildir + "/maildirsize", "this is not a quota\n");
  StringSource third(makeMessage("m", 50));
  ASSERT_TRUE(deliverToMaildir(maildir, third, quota).ok());
  EXPECT_EQ(readFile(maildir + "/maildirsize"), "100000S,0C\n220 2\n50 1\n");
}

TEST(MaildirWriterTest, ChangedQuotaIsWrittenAsTheDefinition) {
  TempDir dir;
  const std::string maildir = dir / "Maildir";
  StringSource a(makeMessage("m", 100));
  ASSERT_TRUE(deliverToMaildir(maildir, a, {1000, 0}).ok());
  StringSource b(makeMessage("m", 100));
  ASSERT_TRUE(deliverToMaildir(maildir, b, {2000, 10}).ok());
  EXPECT_EQ(readFile(maildir + "/maildirsize"), "2000S,10C\n100 1\n100 1\n");
}

TEST(MaildirWriterTest, UnlimitedKeepsAnExistingMaildirsizeButCreatesNone) {
  TempDir dir;
  const std::string maildir = dir / "Maildir";
  StringSource a(makeMessage("m", 100));
  ASSERT_TRUE(deliverToMaildir(maildir, a, kNoQuota).ok());
  EXPECT_FALSE(exists(maildir + "/maildirsize"));

  writeFile(maildir + "/maildirsize", "5000S,0C\n100 1\n");
  StringSource b(makeMessage("m", 70));
  ASSERT_TRUE(deliverToMaildir(maildir, b, kNoQuota).ok());
  EXPECT_EQ(readFile(maildir + "/maildirsize"), "5000S,0C\n100 1\n70 1\n");  // definition kept
}

TEST(MaildirWriterTest, StaleOverQuotaFileIsRecalculatedFreshOneTrusted) {
  TempDir dir;
  const std::string maildir = dir / "Maildir";
  const MaildirQuota quota{1000, 0};
  StringSource a(makeMessage("m", 100));
  ASSERT_TRUE(deliverToMaildir(maildir, a, quota).ok());
  // Someone expunged without updating maildirsize: it claims 950 bytes.
  writeFile(maildir + "/maildirsize", "1000S,0C\n950 5\n");
  StringSource b(makeMessage("m", 100));
  const DeliveryResult fresh = deliverToMaildir(maildir, b, quota);
  EXPECT_EQ(fresh.dsn, "4.2.2");  // a recent file is trusted

  const struct timeval old[2] = {{::time(nullptr) - 20 * 60, 0}, {::time(nullptr) - 20 * 60, 0}};
  ASSERT_EQ(::utimes((maildir + "/maildirsize").c_str(), old), 0);
  StringSource c(makeMessage("m", 100));
  const DeliveryResult stale = deliverToMaildir(maildir, c, quota);
  ASSERT_TRUE(stale.ok()) << stale.text;
  EXPECT_EQ(readMaildirSize(maildir).usage, (MaildirUsage{200, 2}));
}

TEST(MaildirWriterTest, UnwritableDirectoryIsATemporaryFailureNamingThePath) {
  TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);  // "nobody" may look inside
  const std::string locked = dir / "locked";
  ASSERT_EQ(::mkdir(locked.c_str(), 0555), 0);
  const std::string maildir = locked + "/Maildir";
  const std::string out = runUnprivileged([&] {
    StringSource src("Subject: x\n\nbody\n");
    const DeliveryResult r = deliverToMaildir(maildir, src, kNoQuota);
    return std::string(r.kind == DeliveryResult::Kind::TempFail ? "temp " : "other ") + r.dsn + " " + r.text;
  });
  EXPECT_EQ(out, "temp 4.3.0 cannot create " + maildir + ": Permission denied");

  // An existing Maildir whose tmp/ we may not write.
  const std::string ro = dir / "ro";
  StringSource first("Subject: x\n\n");
  ASSERT_TRUE(deliverToMaildir(ro, first, kNoQuota).ok());
  ASSERT_EQ(::chmod(ro.c_str(), 0755), 0);
  ASSERT_EQ(::chmod((ro + "/tmp").c_str(), 0555), 0);
  const std::string out2 = runUnprivileged([&] {
    StringSource src("Subject: x\n\nbody\n");
    const DeliveryResult r = deliverToMaildir(ro, src, kNoQuota);
    return r.dsn + " " + r.text;
  });
  EXPECT_TRUE(out2.starts_with("4.3.0 cannot create " + ro + "/tmp/")) << out2;
  EXPECT_TRUE(out2.ends_with(": Permission denied")) << out2;
}

TEST(MaildirWriterTest, DiskFullAndOtherErrnosMapToEnhancedCodes) {
  const DeliveryResult full = failureResult(MailboxError("cannot write", "/m/tmp/x", ENOSPC), "/m");
  EXPECT_EQ(full.kind, DeliveryResult::Kind::TempFail);
  EXPECT_EQ(full.dsn, "4.3.1");
  EXPECT_EQ(full.text, std::string("cannot write /m/tmp/x: ") + std::strerror(ENOSPC));
  EXPECT_EQ(full.path, "/m");
  EXPECT_EQ(failureResult(MailboxError("cannot write", "/m", EDQUOT), "/m").dsn, "4.3.1");
  EXPECT_EQ(failureResult(MailboxError("cannot write", "/m", EIO), "/m").dsn, "4.3.0");
  EXPECT_EQ(failureResult(MailboxError("cannot create", "/m", EACCES), "/m").dsn, "4.3.0");
}

// A child delivers in a loop and is killed with SIGKILL at a random moment,
// several times over the same Maildir: new/ never holds a partial message
// and maildirsize stays within one message of a recalculation.
TEST(MaildirWriterTest, KillDashNineLeavesNoPartialMessage) {
  TempDir dir;
  const std::string maildir = dir / "Maildir";
  const MaildirQuota quota{1000000000, 0};
  const unsigned seed = static_cast<unsigned>(std::random_device{}());
  std::printf("kill -9 test seed %u\n", seed);
  std::mt19937 rng(seed);
  constexpr std::size_t kMaxMessage = 20000;
  for (int round = 0; round < 8; ++round) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      std::mt19937 r(seed + static_cast<unsigned>(round));
      for (int i = 0;; ++i) {
        StringSource src(makeMessage("r" + std::to_string(round) + "i" + std::to_string(i), 40 + r() % (kMaxMessage - 40)));
        if (!deliveredOrSaid(deliverToMaildir(maildir, src, quota))) ::_exit(1);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 150));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child stopped by itself, round " << round;

    for (const auto& name : listDir(maildir + "/new")) {
      const std::string content = readFile(maildir + "/new/" + name);
      std::uint64_t s = 0;
      ASSERT_TRUE(maildirNameField(name, 'S', s)) << name;
      ASSERT_EQ(content.size(), s) << "partial message " << name;
      ASSERT_EQ(makeMessage(content.substr(9, content.find('\n') - 9), content.size()), content) << name;
    }
    EXPECT_LE(listDir(maildir + "/tmp").size(), static_cast<std::size_t>(round + 1));
    const auto c = readMaildirSize(maildir);
    ASSERT_TRUE(c.valid) << readFile(maildir + "/maildirsize");
    const MaildirUsage real = scanMaildirUsage(maildir);
    EXPECT_GE(real.messages, c.usage.messages) << "round " << round;
    EXPECT_LE(real.messages - c.usage.messages, round + 1) << "at most one lost line per kill";
    EXPECT_LE(real.bytes - c.usage.bytes, static_cast<std::int64_t>((round + 1) * kMaxMessage));
    EXPECT_GE(real.bytes, c.usage.bytes);
  }
  // The Maildir still takes mail after all that.
  StringSource src(makeMessage("after", 100));
  EXPECT_TRUE(deliverToMaildir(maildir, src, quota).ok());
}

}  // namespace
}  // namespace posthorn::mailbox
