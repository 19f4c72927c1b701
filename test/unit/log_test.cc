// log_test - line format, sanitising, the length cap, and the log service
// (LogRecord datagrams through a LogSink into maillog_file, real sockets)
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "lib/ipc/ipc.h"
#include "lib/log/log.h"
#include "lib/log/log_sink.h"
#include "lib/log/proto_log.h"
#include "test/unit/test_util.h"

namespace posthorn {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

std::vector<std::string> readLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Captures what this process writes to fd 2 while it lives.
class StderrCapture {
 public:
  explicit StderrCapture(const std::string& path) : path_(path) {
    saved_ = ::dup(STDERR_FILENO);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
  }
  ~StderrCapture() { restore(); }
  std::string text() {
    restore();
    return testing::readFile(path_);
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
  }
  std::string path_;
  int saved_ = -1;
};

// Sends raw bytes to the sink as one datagram, from a socket of our own.
void sendRaw(const std::string& socketPath, const std::string& bytes) {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socketPath.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&addr),
                     sizeof addr),
            static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

std::string recordFrame(log::Level level, const std::string& program, int pid,
                        const std::string& text) {
  ipc::LogRecord r;
  r.level = level;
  r.program = program;
  r.pid = pid;
  r.text = text;
  return ipc::encodeFrame(r);
}

const std::regex kLineShape(
    R"(^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9] (\S+) (\S+)\[([0-9]+)\]: (.*)$)");

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
};

TEST_F(LogTest, SeverityPrefixesArePostfixs) {
  EXPECT_EQ(log::severityPrefix(log::Level::Info), "");
  EXPECT_EQ(log::severityPrefix(log::Level::Debug), "");
  EXPECT_EQ(log::severityPrefix(log::Level::Warning), "warning: ");
  EXPECT_EQ(log::severityPrefix(log::Level::Error), "error: ");
  EXPECT_EQ(log::severityPrefix(log::Level::Fatal), "fatal: ");
}

TEST_F(LogTest, FileLineFormat) {
  // 2023-11-23 12:09:01 UTC
  EXPECT_EQ(log::formatFileLine(1700741341, "mx1", "posthorn/smtpd", 1234,
                                "4Xb2kQ1z7TzA: from=<a@b>, size=312, nrcpt=1"),
            "Nov 23 12:09:01 mx1 posthorn/smtpd[1234]: 4Xb2kQ1z7TzA: from=<a@b>, size=312, nrcpt=1");
  // A one-digit day is padded with a space, as syslog writes it.
  const std::time_t feb3 = 1675407605;  // 2023-02-03 07:00:05 UTC
  EXPECT_EQ(log::formatFileLine(feb3, "h", "posthorn/qmgr", 7, "x"),
            "Feb  3 07:00:05 h posthorn/qmgr[7]: x");
  std::smatch m;
  std::string now = log::formatFileLine(std::time(nullptr), "host.example", "posthorn/master", 1, "t");
  ASSERT_TRUE(std::regex_match(now, m, kLineShape)) << now;
  EXPECT_EQ(m[2], "host.example");
  EXPECT_EQ(m[3], "posthorn/master");
}

TEST_F(LogTest, SanitiseReplacesControlCharacters) {
  EXPECT_EQ(log::sanitize("a\r\nb\x1b[31mc\x7f\td", 100), "a??b?[31mc??d");
  EXPECT_EQ(log::sanitize("Gr\xc3\xbc\xc3\x9f" "e", 100), "Gr\xc3\xbc\xc3\x9f" "e");
  std::string withNul("a\0b", 3);
  EXPECT_EQ(log::sanitize(withNul, 100), "a?b");
  // A peer cannot forge a second log line.
  std::string line = log::formatFileLine(0, "h", "posthorn/smtpd", 1,
                                         "bad\nNov 23 12:09:01 h posthorn/smtpd[1]: forged");
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(line.find("bad?Nov 23"), std::string::npos);
}

TEST_F(LogTest, HostAndTagStayOneWord) {
  std::string line = log::formatFileLine(0, "a b\n", "posthorn/x y", 5, "text");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(line, m, kLineShape)) << line;
  EXPECT_EQ(m[2], "a?b?");
  EXPECT_EQ(m[3], "posthorn/x?y");
  EXPECT_EQ(m[5], "text");
}

TEST_F(LogTest, LengthIsCapped) {
  std::string huge(100000, 'x');
  std::string line = log::formatFileLine(std::time(nullptr), "host", "posthorn/smtpd", 99, huge);
  EXPECT_EQ(line.size(), log::kMaxLineLength);
  EXPECT_EQ(line.substr(line.size() - 3), "...");
  // A cut never splits a UTF-8 character ("é" is two bytes).
  std::string accents;
  for (int i = 0; i < 3000; ++i) accents += "\xc3\xa9";
  for (std::size_t limit : {10u, 11u, 12u, 2047u}) {
    std::string cut = log::sanitize(accents, limit);
    ASSERT_LE(cut.size(), limit);
    ASSERT_EQ(cut.substr(cut.size() - 3), "...");
    std::string body = cut.substr(0, cut.size() - 3);
    ASSERT_EQ(body.size() % 2, 0u) << "limit " << limit;
    for (std::size_t i = 0; i < body.size(); i += 2) ASSERT_EQ(body.substr(i, 2), "\xc3\xa9");
  }
  EXPECT_EQ(log::sanitize("short", 5), "short");
  EXPECT_EQ(log::sanitize("toolong", 6), "too...");
}

TEST_F(LogTest, StderrLinesAndFatalExit) {
  TempDir dir;
  {
    StderrCapture capture(dir / "stderr");
    log::Options o;
    o.program = "smtpd";
    o.maillogFile = dir / "direct.log";
    o.alsoStderr = true;
    log::init(o);
    log::warning("disk %d%% full", 95);
    log::debug("not shown without debug");
    std::string err = capture.text();
    EXPECT_EQ(err, "posthorn/smtpd: warning: disk 95% full\n");
  }
  EXPECT_EXIT(
      {
        log::Options o;
        o.program = "test";
        o.maillogFile = dir / "fatal.log";
        o.alsoStderr = true;
        log::init(o);
        log::fatal("cannot go on: %s", "reason");
      },
      ::testing::ExitedWithCode(1), "posthorn/test: fatal: cannot go on: reason");
  auto lines = readLines(dir / "fatal.log");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("posthorn/test["), std::string::npos);
  EXPECT_NE(lines[0].find("]: fatal: cannot go on: reason"), std::string::npos);
}

TEST_F(LogTest, DirectFileModeAndReopen) {
  TempDir dir;
  log::Options o;
  o.syslogName = "postfix";
  o.program = "master";
  o.maillogFile = dir / "maillog";
  o.hostname = "mx.example";
  log::init(o);
  log::info("daemon started -- version %s", "0.1.0");
  log::debug("hidden");
  fs::rename(dir / "maillog", dir / "maillog.0");
  log::reopen();
  log::error("after rotation");
  auto old = readLines(dir / "maillog.0");
  ASSERT_EQ(old.size(), 1u);
  std::smatch m;
  ASSERT_TRUE(std::regex_match(old[0], m, kLineShape)) << old[0];
  EXPECT_EQ(m[2], "mx.example");
  EXPECT_EQ(m[3], "postfix/master");
  EXPECT_EQ(m[4], std::to_string(::getpid()));
  EXPECT_EQ(m[5], "daemon started -- version 0.1.0");
  auto fresh = readLines(dir / "maillog");
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_NE(fresh[0].find("]: error: after rotation"), std::string::npos);
}

TEST_F(LogTest, RecordsThroughTheSinkIntoTheFile) {
  TempDir dir;
  log::LogSink sink(dir / "log", dir / "maillog", "mx.example");
  // master's own lines: direct mode, same file.
  log::Options self;
  self.program = "master";
  self.maillogFile = dir / "maillog";
  self.hostname = "mx.example";
  log::init(self);

  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    log::Options o;
    o.program = "smtpd";
    o.maillogFile = "ignored-in-service-mode";
    o.logServiceSocket = dir / "log";
    log::init(o);
    log::info("connect from client[192.0.2.1]");
    log::warning("hostile input: %s", "EHLO x\r\nMAIL FROM:<forged>");
    log::debug("not sent");
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(sink.drain(), 2u);
  EXPECT_EQ(sink.received(), 2u);
  EXPECT_EQ(sink.malformed(), 0u);
  log::info("master line");

  auto lines = readLines(dir / "maillog");
  ASSERT_EQ(lines.size(), 3u);
  std::smatch m;
  ASSERT_TRUE(std::regex_match(lines[0], m, kLineShape)) << lines[0];
  EXPECT_EQ(m[2], "mx.example");
  EXPECT_EQ(m[3], "posthorn/smtpd");
  EXPECT_EQ(m[4], std::to_string(child));
  EXPECT_EQ(m[5], "connect from client[192.0.2.1]");
  ASSERT_TRUE(std::regex_match(lines[1], m, kLineShape)) << lines[1];
  EXPECT_EQ(m[5], "warning: hostile input: EHLO x??MAIL FROM:<forged>");
  ASSERT_TRUE(std::regex_match(lines[2], m, kLineShape)) << lines[2];
  EXPECT_EQ(m[3], "posthorn/master");
  EXPECT_EQ(m[5], "master line");
}

TEST_F(LogTest, SinkTakesThePidFromTheKernel) {
  TempDir dir;
  log::LogSink sink(dir / "log", dir / "maillog", "h");
  sendRaw(dir / "log", recordFrame(log::Level::Info, "posthorn/smtpd", 1, "claims pid 1"));
  EXPECT_EQ(sink.drain(), 1u);
  auto lines = readLines(dir / "maillog");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("posthorn/smtpd[" + std::to_string(::getpid()) + "]: claims pid 1"),
            std::string::npos)
      << lines[0];
}

TEST_F(LogTest, MalformedDatagramsAreCountedAndReportedOnce) {
  TempDir dir;
  log::LogSink sink(dir / "log", dir / "maillog", "h");
  log::Options self;
  self.program = "master";
  self.maillogFile = dir / "maillog";
  log::init(self);

  std::string good = recordFrame(log::Level::Info, "posthorn/smtpd", 10, "good");
  sendRaw(dir / "log", "garbage that is not a frame");
  sendRaw(dir / "log", good.substr(0, good.size() - 1));  // truncated
  sendRaw(dir / "log", good + "x");                      // trailing byte
  sendRaw(dir / "log", good + good);                     // two frames
  sendRaw(dir / "log", recordFrame(static_cast<log::Level>(9), "posthorn/smtpd", 10, "bad level"));
  sendRaw(dir / "log", recordFrame(log::Level::Info, "", 10, "no program"));
  sendRaw(dir / "log", ipc::frameBytes(static_cast<std::uint32_t>(ipc::MsgType::TestPing), 1, ""));
  sendRaw(dir / "log", ipc::frameBytes(static_cast<std::uint32_t>(ipc::MsgType::LogRecord), 99,
                                       ipc::encode(ipc::LogRecord{})));  // other version
  sendRaw(dir / "log", std::string(20000, 'z'));                      // oversized
  sendRaw(dir / "log", "");                                           // empty
  sendRaw(dir / "log", good);
  EXPECT_EQ(sink.drain(), 1u);
  EXPECT_EQ(sink.received(), 11u);
  EXPECT_EQ(sink.malformed(), 10u);
  EXPECT_EQ(sink.written(), 1u);

  auto lines = readLines(dir / "maillog");
  ASSERT_EQ(lines.size(), 2u);  // one warning for ten bad datagrams, one good line
  EXPECT_NE(lines[0].find("posthorn/master["), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("warning: log service " + (dir / "log") + ": dropped a malformed datagram"),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find("posthorn/smtpd["), std::string::npos);
  EXPECT_NE(lines[1].find("]: good"), std::string::npos);
}

TEST_F(LogTest, UnreachableServiceFallsBackToStderr) {
  TempDir dir;
  StderrCapture capture(dir / "stderr");
  log::Options o;
  o.program = "cleanup";
  o.maillogFile = dir / "maillog";
  o.logServiceSocket = dir / "no-such-socket";
  log::init(o);
  log::info("still %s", "logged");
  log::info("twice");
  std::string err = capture.text();
  EXPECT_NE(err.find("posthorn/cleanup: warning: log service " + (dir / "no-such-socket") +
                     " unreachable"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("posthorn/cleanup: still logged\n"), std::string::npos) << err;
  EXPECT_NE(err.find("posthorn/cleanup: twice\n"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir / "maillog"));
}

TEST_F(LogTest, ServiceComingBackIsFoundAgain) {
  TempDir dir;
  StderrCapture capture(dir / "stderr");
  log::Options o;
  o.program = "qmgr";
  o.maillogFile = dir / "maillog";
  o.logServiceSocket = dir / "log";
  log::init(o);
  log::info("before master");
  {
    log::LogSink sink(dir / "log", dir / "maillog", "h");  // master (re)starts
    log::info("after master");
    EXPECT_EQ(sink.drain(), 1u);
  }
  auto lines = readLines(dir / "maillog");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("posthorn/qmgr["), std::string::npos);
  EXPECT_NE(lines[0].find("]: after master"), std::string::npos);
  EXPECT_NE(capture.text().find("posthorn/qmgr: before master\n"), std::string::npos);
}

TEST_F(LogTest, AStuckServiceNeverBlocksForLong) {
  TempDir dir;
  log::LogSink sink(dir / "log", dir / "maillog", "h");  // never drained below
  StderrCapture capture(dir / "stderr");
  log::Options o;
  o.program = "smtp";
  o.maillogFile = dir / "maillog";
  o.logServiceSocket = dir / "log";
  log::init(o);
  auto start = std::chrono::steady_clock::now();
  // Far more than the kernel queues for one datagram socket.
  for (int i = 0; i < 600; ++i) log::info("line %d", i);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, log::kSendTimeout * 3);
  std::string err = capture.text();
  EXPECT_NE(err.find("posthorn/smtp: line 599\n"), std::string::npos);
  std::size_t queued = 0;
  while (sink.drain() > 0) queued = sink.written();
  EXPECT_GT(queued, 0u);
  EXPECT_LT(queued, 600u);
  // Every line went somewhere: into the file or onto stderr.
  std::size_t onStderr = 0;
  for (std::size_t pos = 0; (pos = err.find("posthorn/smtp: line ", pos)) != std::string::npos; ++pos)
    ++onStderr;
  EXPECT_EQ(queued + onStderr, 600u);
}

TEST_F(LogTest, SinkRefusesAnUnusablePath) {
  TempDir dir;
  EXPECT_THROW(log::LogSink(dir / "missing-dir/log", dir / "maillog"), std::system_error);
  EXPECT_THROW(log::LogSink(dir / "log", dir / "missing-dir/maillog"), std::system_error);
  EXPECT_FALSE(fs::exists(dir / "log"));  // the second one cleaned up its socket
  try {
    log::LogSink sink(dir / "missing-dir/log", dir / "maillog");
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing-dir/log"), std::string::npos) << e.what();
  }
}

TEST_F(LogTest, SinkReopenFollowsRotation) {
  TempDir dir;
  log::LogSink sink(dir / "log", dir / "maillog", "h");
  sendRaw(dir / "log", recordFrame(log::Level::Info, "posthorn/smtpd", 10, "one"));
  sink.drain();
  fs::rename(dir / "maillog", dir / "maillog.1");
  sink.reopen();
  sendRaw(dir / "log", recordFrame(log::Level::Error, "posthorn/smtpd", 10, "two"));
  sink.drain();
  ASSERT_EQ(readLines(dir / "maillog.1").size(), 1u);
  auto fresh = readLines(dir / "maillog");
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_NE(fresh[0].find("]: error: two"), std::string::npos);
}

}  // namespace
}  // namespace posthorn
