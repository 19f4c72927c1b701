// mbox_writer_test - mbox appends on real files: the From_ line, mboxrd
// quoting over any split of the input, concurrent writers under the
// dotlock and fcntl lock, all-or-nothing appends, the size limit, stale and
// held locks, and refusals of unsafe or unwritable mailboxes.
#include "lib/mailbox/mbox_writer.h"

#include <gtest/gtest.h>
#include <sys/time.h>

#include <chrono>
#include <map>
#include <regex>
#include <thread>

#include "lib/mailbox/dotlock.h"
#include "test/unit/mailbox_test_util.h"

namespace posthorn::mailbox {
namespace {

using namespace posthorn::testing;

constexpr std::time_t kWhen = 1700000000;

MboxOptions fixedTime() {
  MboxOptions o;
  o.arrivalTime = kWhen;
  return o;
}

std::string quoted(const std::string& in, std::size_t piece) {
  MboxQuoter q;
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += piece) q.feed(in.data() + i, std::min(piece, in.size() - i), out);
  q.finish(out);
  return out;
}

// Splits an mbox into messages at "From " lines that start the file or
// follow a blank line; returns the messages without their From_ line.
std::vector<std::string> parseMbox(const std::string& mbox) {
  std::vector<std::string> messages;
  std::size_t pos = 0;
  while (pos < mbox.size()) {
    EXPECT_EQ(mbox.compare(pos, 5, "From "), 0) << "no From_ line at " << pos;
    const std::size_t bodyStart = mbox.find('\n', pos) + 1;
    std::size_t next = mbox.find("\n\nFrom ", bodyStart);
    next = next == std::string::npos ? mbox.size() : next + 2;
    std::string message = mbox.substr(bodyStart, next - bodyStart);
    EXPECT_TRUE(message.ends_with("\n\n")) << message;
    message.pop_back();  // the separating blank line
    messages.push_back(message);
    pos = next;
  }
  return messages;
}

TEST(MboxQuoterTest, FromLineLayout) {
  const std::string line = mboxFromLine("alice@example.org", kWhen);
  EXPECT_TRUE(std::regex_match(line, std::regex("^From alice@example\\.org [A-Z][a-z]{2} [A-Z][a-z]{2} [ 123][0-9] "
                                                "[0-9]{2}:[0-9]{2}:[0-9]{2} 2023\n$")))
      << line;
  EXPECT_TRUE(mboxFromLine("", kWhen).starts_with("From MAILER-DAEMON "));
  EXPECT_TRUE(mboxFromLine("a b\n@c", kWhen).starts_with("From a_b_@c "));
}

TEST(MboxQuoterTest, QuotesFromLinesMboxrdStyle) {
  const std::string in =
      "From: header is not a From_ line\n\nFrom me\n>From you\n>>From them\nFromage\nFrom\n From x\n"
      "a From b\n>\n>>\n>Fro\nFrom ";
  const std::string want =
      "From: header is not a From_ line\n\n>From me\n>>From you\n>>>From them\nFromage\nFrom\n From x\n"
      "a From b\n>\n>>\n>Fro\n>From \n";
  for (std::size_t piece = 1; piece <= in.size(); ++piece) {
    EXPECT_EQ(quoted(in, piece), want) << "piece size " << piece;
  }
  EXPECT_EQ(quoted("", 1), "");
  EXPECT_EQ(quoted("x", 1), "x\n");
  EXPECT_EQ(quoted(">>", 1), ">>\n");
}

TEST(MboxWriterTest, AppendsFromLineMessageAndBlankLine) {
  TempDir dir;
  const std::string mbox = dir / "alice";
  const std::string m1 = "Return-Path: <a@example.org>\nSubject: one\n\nhello\n";
  const std::string m2 = "Subject: two\n\nFrom the start\n>From quoted\nno newline";
  StringSource s1(m1);
  const DeliveryResult r1 = deliverToMbox(mbox, "a@example.org", s1, 0, fixedTime());
  ASSERT_TRUE(r1.ok()) << r1.text;
  EXPECT_EQ(r1.dsn, "2.0.0");
  EXPECT_EQ(r1.path, mbox);
  EXPECT_EQ(modeOf(mbox) & 0777, 0600u);
  StringSource s2(m2);
  ASSERT_TRUE(deliverToMbox(mbox, "", s2, 0, fixedTime()).ok());

  const std::string want = mboxFromLine("a@example.org", kWhen) + m1 + "\n" + mboxFromLine("", kWhen) +
                           "Subject: two\n\n>From the start\n>>From quoted\nno newline\n\n";
  EXPECT_EQ(readFile(mbox), want);
  EXPECT_FALSE(exists(mbox + ".lock"));
  EXPECT_EQ(listDir(dir.path()), std::vector<std::string>{"alice"});  // no lock debris
}

TEST(MboxWriterTest, QuotingHoldsAcrossSourcePieces) {
  TempDir dir;
  const std::string body = "Subject: s\n\nFrom a\n>From b\nx\nFrom c\n";
  for (std::size_t piece : {1u, 2u, 3u, 5u, 7u}) {
    const std::string mbox = dir / ("m" + std::to_string(piece));
    PieceSource src(body, piece);
    ASSERT_TRUE(deliverToMbox(mbox, "s@x", src, 0, fixedTime()).ok());
    EXPECT_EQ(readFile(mbox), mboxFromLine("s@x", kWhen) + "Subject: s\n\n>From a\n>>From b\nx\n>From c\n\n");
  }
}

TEST(MboxWriterTest, TwoProcessesAppendingGiveWellFormedMessages) {
  TempDir dir;
  const std::string mbox = dir / "bob";
  constexpr int kEach = 100;
  auto message = [](int p, int i) {
    return "Subject: p" + std::to_string(p) + " i" + std::to_string(i) + "\n\nline one\nFrom inside\n" +
           std::string(static_cast<std::size_t>(i * 37 % 5000), 'z') + "\nend\n";
  };
  ASSERT_TRUE(runChildren(2, [&](int p) {
    for (int i = 0; i < kEach; ++i) {
      StringSource src(message(p, i));
      if (!deliverToMbox(mbox, "s@x", src, 0).ok()) return 1;
    }
    return 0;
  }));
  const auto messages = parseMbox(readFile(mbox));
  ASSERT_EQ(messages.size(), 2u * kEach);
  std::map<std::string, int> seen;
  for (const auto& m : messages) {
    const std::string subject = m.substr(0, m.find('\n'));
    const int p = std::stoi(subject.substr(10));
    const int i = std::stoi(subject.substr(subject.find(" i") + 2));
    std::string want = message(p, i);
    want.replace(want.find("From inside"), 4, ">From");
    EXPECT_EQ(m, want);
    ++seen[subject];
  }
  EXPECT_EQ(seen.size(), 2u * kEach);
  EXPECT_FALSE(exists(mbox + ".lock"));
}

TEST(MboxWriterTest, ThrowingSourceLeavesTheFileAtItsOriginalSize) {
  TempDir dir;
  const std::string mbox = dir / "carol";
  StringSource first("Subject: first\n\nbody\n");
  ASSERT_TRUE(deliverToMbox(mbox, "s@x", first, 0).ok());
  const std::string before = readFile(mbox);

  std::string big = "Subject: big\n\n";
  while (big.size() < 400000) big += "a line of the body\n";
  PieceSource failing(big, 8192, 300000);  // several 64 KB writes happen first
  EXPECT_THROW(deliverToMbox(mbox, "s@x", failing, 0), std::runtime_error);
  EXPECT_EQ(readFile(mbox), before);
  EXPECT_FALSE(exists(mbox + ".lock"));

  StringSource after("Subject: after\n\n");
  ASSERT_TRUE(deliverToMbox(mbox, "s@x", after, 0).ok());
  EXPECT_EQ(parseMbox(readFile(mbox)).size(), 2u);
}

TEST(MboxWriterTest, SizeLimitDefersWithOverQuotaAndKeepsTheFile) {
  TempDir dir;
  const std::string mbox = dir / "dave";
  StringSource first("Subject: first\n\nbody\n");
  ASSERT_TRUE(deliverToMbox(mbox, "s@x", first, 0, fixedTime()).ok());
  const std::string before = readFile(mbox);
  const std::string msg = "Subject: second\n\n" + std::string(200, 'b') + "\n";
  const std::uint64_t needed = before.size() + mboxFromLine("s@x", kWhen).size() + msg.size() + 1;

  StringSource tooBig(msg);
  const DeliveryResult r = deliverToMbox(mbox, "s@x", tooBig, needed - 1, fixedTime());
  EXPECT_EQ(r.kind, DeliveryResult::Kind::TempFail);
  EXPECT_EQ(r.dsn, "4.2.2");
  EXPECT_TRUE(r.overQuota);
  EXPECT_NE(r.text.find(mbox), std::string::npos) << r.text;
  EXPECT_EQ(readFile(mbox), before);

  StringSource fits(msg);
  EXPECT_TRUE(deliverToMbox(mbox, "s@x", fits, needed, fixedTime()).ok());
  EXPECT_EQ(readFile(mbox).size(), needed);

  // A big message passes the limit only after several writes: all undone.
  const std::string grown = readFile(mbox);
  PieceSource big("Subject: big\n\n" + std::string(400000, 'x') + "\n", 8192);
  const DeliveryResult r2 = deliverToMbox(mbox, "s@x", big, grown.size() + 300000, fixedTime());
  EXPECT_EQ(r2.dsn, "4.2.2");
  EXPECT_EQ(readFile(mbox), grown);
}

TEST(MboxWriterTest, StaleDotlockIsRemoved) {
  TempDir dir;
  const std::string mbox = dir / "erin";
  writeFile(mbox + ".lock", "12345\n");
  const struct timeval old[2] = {{::time(nullptr) - 600, 0}, {::time(nullptr) - 600, 0}};
  ASSERT_EQ(::utimes((mbox + ".lock").c_str(), old), 0);
  StringSource src("Subject: x\n\n");
  const DeliveryResult r = deliverToMbox(mbox, "s@x", src, 0);
  ASSERT_TRUE(r.ok()) << r.text;
  EXPECT_FALSE(exists(mbox + ".lock"));
}

TEST(MboxWriterTest, HeldDotlockIsWaitedForThenTimesOut) {
  TempDir dir;
  const std::string mbox = dir / "frank";
  writeFile(mbox + ".lock", "12345\n");
  MboxOptions quick;
  quick.lockTimeout = std::chrono::milliseconds(300);
  StringSource src("Subject: x\n\n");
  const auto start = std::chrono::steady_clock::now();
  const DeliveryResult r = deliverToMbox(mbox, "s@x", src, 0, quick);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  EXPECT_EQ(r.kind, DeliveryResult::Kind::TempFail);
  EXPECT_EQ(r.dsn, "4.2.0");
  EXPECT_NE(r.text.find(mbox + ".lock"), std::string::npos) << r.text;
  EXPECT_TRUE(exists(mbox + ".lock"));  // somebody else's lock stays
  EXPECT_FALSE(exists(mbox));

  // Released while we wait: the delivery goes through.
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    ::unlink((mbox + ".lock").c_str());
  });
  StringSource again("Subject: x\n\n");
  const DeliveryResult ok = deliverToMbox(mbox, "s@x", again, 0);
  releaser.join();
  EXPECT_TRUE(ok.ok()) << ok.text;
}

TEST(MboxWriterTest, HeldFcntlLockTimesOut) {
  TempDir dir;
  const std::string mbox = dir / "gina";
  writeFile(mbox, "");
  ASSERT_EQ(::chmod(mbox.c_str(), 0600), 0);
  // A mail reader in another process holds a write lock on the mailbox.
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t holder = ::fork();
  if (holder == 0) {
    const int fd = ::open(mbox.c_str(), O_RDWR);
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    const char c = ::fcntl(fd, F_SETLK, &fl) == 0 ? 'y' : 'n';
    ssize_t ignored = ::write(ready[1], &c, 1);
    (void)ignored;
    ::pause();
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  MboxOptions quick;
  quick.lockTimeout = std::chrono::milliseconds(300);
  StringSource src("Subject: x\n\n");
  const DeliveryResult r = deliverToMbox(mbox, "s@x", src, 0, quick);
  ::kill(holder, SIGKILL);
  ::waitpid(holder, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  EXPECT_EQ(r.dsn, "4.2.0") << r.text;
  EXPECT_NE(r.text.find(mbox), std::string::npos);
  EXPECT_EQ(readFile(mbox), "");
  EXPECT_FALSE(exists(mbox + ".lock"));
}

TEST(MboxWriterTest, RefusesSymlinksAndHardLinks) {
  TempDir dir;
  writeFile(dir / "target", "");
  ASSERT_EQ(::symlink((dir / "target").c_str(), (dir / "link").c_str()), 0);
  StringSource a("Subject: x\n\n");
  const DeliveryResult sym = deliverToMbox(dir / "link", "s@x", a, 0);
  EXPECT_EQ(sym.kind, DeliveryResult::Kind::TempFail);
  EXPECT_NE(sym.text.find(dir / "link"), std::string::npos) << sym.text;
  EXPECT_EQ(readFile(dir / "target"), "");

  ASSERT_EQ(::link((dir / "target").c_str(), (dir / "hard").c_str()), 0);
  StringSource b("Subject: x\n\n");
  const DeliveryResult hard = deliverToMbox(dir / "hard", "s@x", b, 0);
  EXPECT_EQ(hard.kind, DeliveryResult::Kind::TempFail);
  EXPECT_NE(hard.text.find("hard links"), std::string::npos) << hard.text;
  EXPECT_EQ(readFile(dir / "target"), "");
}

TEST(MboxWriterTest, UnwritableDirectoryIsATemporaryFailureNamingThePath) {
  TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  const std::string spool = dir / "spool";
  ASSERT_EQ(::mkdir(spool.c_str(), 0555), 0);
  const std::string mbox = spool + "/henry";
  const std::string out = runUnprivileged([&] {
    StringSource src("Subject: x\n\n");
    const DeliveryResult r = deliverToMbox(mbox, "s@x", src, 0);
    return std::string(r.kind == DeliveryResult::Kind::TempFail ? "temp " : "other ") + r.dsn + " " + r.text;
  });
  EXPECT_EQ(out, "temp 4.3.0 cannot create " + mbox + ": Permission denied");

  // requireDotlock turns the missing dotlock permission into a lock failure.
  const std::string out2 = runUnprivileged([&] {
    StringSource src("Subject: x\n\n");
    MboxOptions strict;
    strict.requireDotlock = true;
    const DeliveryResult r = deliverToMbox(mbox, "s@x", src, 0, strict);
    return r.dsn + " " + r.text;
  });
  EXPECT_EQ(out2, "4.2.0 cannot create " + mbox + ".lock: permission denied");
}

}  // namespace
}  // namespace posthorn::mailbox
