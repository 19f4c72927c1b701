// server_test - the worker skeleton: option parsing, and echo_worker started
// by hand with a listener on fd 3 and a status pipe on fd 4 (status records,
// client_limit, max_use, max_idle, SIGTERM, unix transport, logging through
// the log service; chroot and uid when run as root); status records of
// another version
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstddef>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "lib/log/log.h"
#include "lib/log/log_sink.h"
#include "lib/util/privilege.h"
#include "lib/server/server.h"

namespace posthorn {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// ---------------------------------------------------------------- options

std::vector<char*> argvOf(std::vector<std::string>& words) {
  std::vector<char*> out;
  for (auto& w : words) out.push_back(w.data());
  out.push_back(nullptr);
  return out;
}

server::Options parse(std::vector<std::string> words) {
  auto argv = argvOf(words);
  return server::Options::fromArgv(static_cast<int>(words.size()), argv.data());
}

TEST(WorkerOptions, ParsesWhatMasterPasses) {
  server::Options o = parse({"/usr/libexec/posthorn/smtpd", "-n", "submission", "-t", "inet",
                             "-c", "/etc/mail", "-v", "-o", "syslog_name=posthorn/submission",
                             "-o", "smtpd_tls_security_level = encrypt", "-oa=1", "-u", "n",
                             "-jn", "arg1", "-o", "x=y"});
  EXPECT_EQ(o.program, "smtpd");
  EXPECT_EQ(o.service, "submission");
  EXPECT_EQ(o.transport, "inet");
  EXPECT_EQ(o.configDir, "/etc/mail");
  EXPECT_TRUE(o.verbose);
  EXPECT_FALSE(o.unprivileged);
  EXPECT_FALSE(o.chroot);
  EXPECT_EQ(o.overrides.at("syslog_name"), "posthorn/submission");
  EXPECT_EQ(o.overrides.at("smtpd_tls_security_level"), "encrypt");
  EXPECT_EQ(o.overrides.at("a"), "1");
  EXPECT_EQ(o.args, (std::vector<std::string>{"arg1", "-o", "x=y"}));

  server::Options d = parse({"qmgr"});
  EXPECT_EQ(d.service, "qmgr");
  EXPECT_TRUE(d.unprivileged);
  EXPECT_TRUE(d.chroot);
  EXPECT_FALSE(d.verbose);
  EXPECT_FALSE(d.configDir.empty());
  EXPECT_EQ(parse({"w", "--", "-n"}).args, std::vector<std::string>{"-n"});
}

// ---------------------------------------------------------------- status records

std::string bytesOf(const server::WorkerStatus& st) {
  return std::string(reinterpret_cast<const char*>(&st), sizeof st);
}

TEST(StatusRecord, CarriesTheVersionAndZeroPadding) {
  const auto st = server::statusRecord(4242, server::WorkerState::Busy);
  EXPECT_EQ(st.version, server::kStatusProtoVersion);
  const std::string bytes = bytesOf(st);
  std::uint32_t version;
  std::memcpy(&version, bytes.data(), sizeof version);
  EXPECT_EQ(version, server::kStatusProtoVersion) << "the version comes first";
  const std::size_t end = offsetof(server::WorkerStatus, state) + sizeof st.state;
  EXPECT_EQ(bytes.substr(end), std::string(bytes.size() - end, '\0'));
  std::string why;
  const auto parsed = server::parseStatusRecord(bytes, &why);
  ASSERT_TRUE(parsed.has_value()) << why;
  EXPECT_EQ(parsed->pid, 4242);
  EXPECT_EQ(parsed->state, server::WorkerState::Busy);
}

TEST(StatusRecord, AnotherVersionOrSizeIsRefused) {
  const std::string good = bytesOf(server::statusRecord(7, server::WorkerState::Available));
  std::string why;

  std::string newer = good;
  const std::uint32_t v2 = server::kStatusProtoVersion + 1;
  std::memcpy(newer.data(), &v2, sizeof v2);
  EXPECT_FALSE(server::parseStatusRecord(newer, &why));
  EXPECT_NE(why.find("version " + std::to_string(v2)), std::string::npos) << why;

  EXPECT_FALSE(server::parseStatusRecord(good + "more", &why));
  EXPECT_NE(why.find(std::to_string(good.size() + 4) + " bytes"), std::string::npos) << why;

  // The record before versions: {pid_t pid; state} in 8 bytes.
  EXPECT_FALSE(server::parseStatusRecord(good.substr(0, 8), &why));
  EXPECT_FALSE(server::parseStatusRecord("", &why));
  EXPECT_EQ(why.find(" and version"), std::string::npos)
      << "no version is claimed for a record too short to have one: " << why;
}

// Every daemon starts from these: the jail, the user and the limits come
// from posthorn.conf once, here.
TEST(WorkerSettings, FromTheConfiguration) {
  using server::WorkerSettings;
  const auto s = WorkerSettings::fromConfig(config::Config::parse(
      "queue_directory = /q\nmail_owner = mo\nmax_use = 7\nmax_idle = 30s\n", "posthorn.conf"));
  EXPECT_EQ(s.chroot, "/q");
  EXPECT_EQ(s.user, "mo");
  EXPECT_EQ(s.maxUse, 7);
  EXPECT_EQ(s.maxIdle, std::chrono::seconds(30));
  EXPECT_TRUE(s.networkFacing);
  EXPECT_EQ(s.clientLimit, 1);
  // A negative max_use means no limit, as 0 does.
  EXPECT_EQ(WorkerSettings::fromConfig(config::Config::parse("max_use = -1\n", "posthorn.conf")).maxUse, 0);
  // Postfix's defaults when unset.
  const auto d = WorkerSettings::fromConfig(config::Config::defaults());
  EXPECT_EQ(d.maxUse, 100);
  EXPECT_EQ(d.maxIdle, std::chrono::seconds(100));
  EXPECT_THROW(WorkerSettings::fromConfig(config::Config::parse("queue_directory =\n", "posthorn.conf")),
               config::ConfigError);
}

TEST(WorkerOptions, BadOptionsNameTheProblem) {
  auto error = [](std::vector<std::string> words) -> std::string {
    try {
      parse(std::move(words));
    } catch (const config::ConfigError& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(error({"w", "-x"}).find("unknown option -x"), std::string::npos);
  EXPECT_NE(error({"w", "-x"}).find("usage: w -n SERVICE"), std::string::npos);
  EXPECT_NE(error({"w", "-t", "tcp"}).find("-t takes inet or unix, not \"tcp\""), std::string::npos);
  EXPECT_NE(error({"w", "-o", "novalue"}).find("-o takes name=value"), std::string::npos);
  EXPECT_NE(error({"w", "-o", "=v"}).find("-o takes name=value"), std::string::npos);
  EXPECT_NE(error({"w", "-n"}).find("option -n needs a value"), std::string::npos);
  EXPECT_NE(error({"w", "-u", "maybe"}).find("-u takes y or n"), std::string::npos);
  EXPECT_NE(error({"w", "-vx"}).find("unknown option -vx"), std::string::npos);
}

// ---------------------------------------------------------------- echo_worker

std::string echoWorkerPath() {
  fs::path self = fs::read_symlink("/proc/self/exe");
  return (self.parent_path().parent_path() / "helpers" / "echo_worker").string();
}

bool waitReadable(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

// A queue directory, a config directory and the log service, in a temp dir.
class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "posthorn-worker-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    ::chmod(dir_.c_str(), 0755);
    fs::create_directories(dir_ + "/queue/private");
    fs::create_directories(dir_ + "/etc");
    std::ofstream(dir_ + "/etc/posthorn.conf") << "queue_directory = " << dir_ << "/queue\n"
                                               << "mail_owner = nobody\n"
                                               << "maillog_file = " << dir_ << "/maillog\n";
    sink_ = std::make_unique<log::LogSink>(dir_ + "/queue/private/log", dir_ + "/maillog", "h");
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (listenFd_ >= 0) ::close(listenFd_);
    if (statusRead_ >= 0) ::close(statusRead_);
    sink_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void listenInet() {
    listenFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listenFd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(listenFd_, 16), 0);
    socklen_t len = sizeof a;
    ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }

  void listenUnix() {
    unixPath_ = dir_ + "/queue/private/echo";
    listenFd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, unixPath_.c_str(), sizeof a.sun_path - 1);
    ASSERT_EQ(::bind(listenFd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ::chmod(unixPath_.c_str(), 0666);
    ASSERT_EQ(::listen(listenFd_, 16), 0);
  }

  // Starts echo_worker with the listener on 3 and a status pipe on 4.
  void start(const std::vector<std::string>& extra, const std::string& transport = "inet",
             bool closeStatusReader = false) {
    int pipeFds[2];
    ASSERT_EQ(::pipe2(pipeFds, O_CLOEXEC), 0);
    std::vector<std::string> words = {echoWorkerPath(), "-n", "echo", "-t", transport, "-c",
                                      dir_ + "/etc"};
    words.insert(words.end(), extra.begin(), extra.end());
    auto argv = argvOf(words);
    std::string errPath = dir_ + "/stderr";
    if (closeStatusReader) {  // master is gone before the worker says a word
      ::close(pipeFds[0]);
      pipeFds[0] = -1;
    }
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      int err = ::open(errPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(err, 2);
      int l = ::fcntl(listenFd_, F_DUPFD, 10), s = ::fcntl(pipeFds[1], F_DUPFD, 10);
      ::close(server::kListenFd);
      ::dup2(l, server::kListenFd);
      ::dup2(s, server::kStatusFd);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(pipeFds[1]);
    statusRead_ = pipeFds[0];
  }

  // The next status record from the worker, or '?' after a timeout.
  char nextStatus(std::chrono::milliseconds timeout = 5s) {
    if (!waitReadable(statusRead_, timeout)) return '?';
    server::WorkerStatus st;
    ssize_t n = ::read(statusRead_, &st, sizeof st);
    if (n != static_cast<ssize_t>(sizeof st)) return '!';
    EXPECT_EQ(st.version, server::kStatusProtoVersion);
    EXPECT_EQ(st.pid, pid_);
    return static_cast<char>(st.state);
  }

  int connectClient() {
    int fd;
    if (unixPath_.empty()) {
      fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(port_);
      EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    } else {
      fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_un a{};
      a.sun_family = AF_UNIX;
      std::strncpy(a.sun_path, unixPath_.c_str(), sizeof a.sun_path - 1);
      EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    }
    return fd;
  }

  // One CRLF-terminated line, or "" after a timeout or EOF.
  std::string readLine(int fd, std::chrono::milliseconds timeout = 5s) {
    std::string line;
    char c;
    while (line.size() < 2 || line.substr(line.size() - 2) != "\r\n") {
      if (!waitReadable(fd, timeout) || ::read(fd, &c, 1) != 1) return "";
      line += c;
    }
    return line;
  }

  // The worker's exit status, or -1 if it is still running after timeout.
  int waitExit(std::chrono::milliseconds timeout = 5s) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(20ms);
    }
    return -1;
  }

  std::string maillog() {
    sink_->drain();
    std::ifstream in(dir_ + "/maillog");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string expectedHello() const {
    uid_t uid = privilege::runningAsRoot() ? privilege::lookupUser("nobody").uid : ::getuid();
    return "hello echo pid=" + std::to_string(pid_) + " uid=" + std::to_string(uid) + "\r\n";
  }

  std::string dir_;
  std::string unixPath_;
  std::unique_ptr<log::LogSink> sink_;
  int listenFd_ = -1;
  int statusRead_ = -1;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(WorkerTest, ServesMaxUseClientsThenExits) {
  listenInet();
  start({"-o", "max_use=2", "-o", "max_idle=60"});
  const pid_t worker = pid_;
  EXPECT_EQ(nextStatus(), 'A');

  int c1 = connectClient();
  EXPECT_EQ(readLine(c1), expectedHello());
  EXPECT_EQ(nextStatus(), 'B');  // client_limit 1: full
  ASSERT_EQ(::write(c1, "ping\r\nsecond line\n", 19), 19);
  EXPECT_EQ(readLine(c1), "ping\r\n");
  EXPECT_EQ(readLine(c1), "second line\r\n");
  if (privilege::runningAsRoot()) {
    // Jailed: root directory and ids, seen from outside.
    fs::path root = fs::read_symlink("/proc/" + std::to_string(pid_) + "/root");
    EXPECT_EQ(root, fs::canonical(dir_ + "/queue"));
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string uid = std::to_string(privilege::lookupUser("nobody").uid), line, uidLine;
    while (std::getline(status, line))
      if (line.rfind("Uid:", 0) == 0) uidLine = line;
    EXPECT_EQ(uidLine, "Uid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid);
  }
  ::close(c1);
  EXPECT_EQ(nextStatus(), 'A');

  int c2 = connectClient();
  EXPECT_EQ(readLine(c2), expectedHello());
  EXPECT_EQ(nextStatus(), 'B');  // the last one it takes
  EXPECT_EQ(waitExit(300ms), -1) << "exited with a client still connected";
  ::shutdown(c2, SHUT_WR);
  EXPECT_EQ(waitExit(), 0);
  ::close(c2);

  std::string log = maillog();
  EXPECT_NE(log.find("posthorn/echo_worker[" + std::to_string(worker) + "]: connect from 127.0.0.1:"),
            std::string::npos)
      << log;
  if (!privilege::runningAsRoot()) {
    EXPECT_NE(log.find("not root: no chroot to " + dir_ + "/queue, no change of user to nobody"),
              std::string::npos)
        << log;
  }
}

TEST_F(WorkerTest, ClientLimitTwoServesTwoAtOnce) {
  listenInet();
  start({"-o", "max_use=0", "-o", "max_idle=60", "client_limit=2"});
  EXPECT_EQ(nextStatus(), 'A');
  int c1 = connectClient();
  EXPECT_EQ(readLine(c1), expectedHello());
  EXPECT_EQ(nextStatus(200ms), '?');  // one of two: still available
  int c2 = connectClient();
  EXPECT_EQ(readLine(c2), expectedHello());
  EXPECT_EQ(nextStatus(), 'B');
  int c3 = connectClient();  // waits in the backlog
  EXPECT_EQ(readLine(c3, 300ms), "");
  ::close(c1);
  EXPECT_EQ(nextStatus(), 'A');
  EXPECT_EQ(readLine(c3), expectedHello());
  EXPECT_EQ(nextStatus(), 'B');
  ::close(c2);
  ::close(c3);
  ::kill(pid_, SIGTERM);
  EXPECT_EQ(waitExit(), 0);
}

TEST_F(WorkerTest, ExitsAfterMaxIdle) {
  listenInet();
  auto started = std::chrono::steady_clock::now();
  start({"-o", "max_idle=1"});
  EXPECT_EQ(nextStatus(), 'A');
  EXPECT_EQ(waitExit(5s), 0);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 900ms);
}

TEST_F(WorkerTest, SigtermFinishesTheCurrentClient) {
  listenInet();
  start({"-o", "max_idle=60", "client_limit=5"});
  EXPECT_EQ(nextStatus(), 'A');
  int c1 = connectClient();
  EXPECT_EQ(readLine(c1), expectedHello());
  ::kill(pid_, SIGTERM);
  EXPECT_EQ(nextStatus(), 'B');  // no longer takes clients
  int c2 = connectClient();     // the listener is master's: this one waits
  EXPECT_EQ(readLine(c2, 300ms), "");
  ASSERT_EQ(::write(c1, "still here\r\n", 12), 12);
  EXPECT_EQ(readLine(c1), "still here\r\n");
  EXPECT_EQ(waitExit(200ms), -1);
  ::close(c1);
  EXPECT_EQ(waitExit(), 0);
  ::close(c2);
}

TEST_F(WorkerTest, UnixTransport) {
  listenUnix();
  start({"-o", "max_use=1"}, "unix");
  EXPECT_EQ(nextStatus(), 'A');
  int c = connectClient();
  EXPECT_EQ(readLine(c), expectedHello());
  ASSERT_EQ(::write(c, "over unix\r\n", 11), 11);
  EXPECT_EQ(readLine(c), "over unix\r\n");
  ::close(c);
  EXPECT_EQ(waitExit(), 0);
  EXPECT_NE(maillog().find("]: connect from local"), std::string::npos);
}

TEST_F(WorkerTest, LogServiceRestartIsFoundAgainFromTheJail) {
  listenInet();
  start({"-o", "max_use=2"});
  const pid_t worker = pid_;
  EXPECT_EQ(nextStatus(), 'A');
  int c1 = connectClient();
  EXPECT_EQ(readLine(c1), expectedHello());
  EXPECT_NE(maillog().find("[" + std::to_string(worker) + "]: connect from"), std::string::npos);
  // master restarts its log service: a new socket at the same path. As root
  // the worker is chrooted and reconnects through /private/log.
  sink_.reset();
  fs::rename(dir_ + "/maillog", dir_ + "/maillog.old");
  sink_ = std::make_unique<log::LogSink>(dir_ + "/queue/private/log", dir_ + "/maillog", "h");
  ::close(c1);
  int c2 = connectClient();
  EXPECT_EQ(readLine(c2), expectedHello());
  ::close(c2);
  EXPECT_EQ(waitExit(), 0);
  std::string log = maillog();
  EXPECT_NE(log.find("posthorn/echo_worker[" + std::to_string(worker) + "]: connect from"),
            std::string::npos)
      << log;
}

TEST_F(WorkerTest, MasterGoneMeansExit) {
  listenInet();
  start({"-o", "max_idle=60"}, "inet", /*closeStatusReader=*/true);
  EXPECT_EQ(waitExit(), 0);
  EXPECT_NE(maillog().find("master went away"), std::string::npos);
}

TEST_F(WorkerTest, NoListenerIsFatal) {
  start({});  // listenFd_ is -1: fd 3 is not a socket
  EXPECT_EQ(waitExit(), 1);
  EXPECT_NE(maillog().find("fatal: fd 3 is not a listening socket"), std::string::npos)
      << maillog();
}

TEST_F(WorkerTest, UnknownOverrideIsWarnedAbout) {
  listenInet();
  start({"-o", "max_idle=1", "-o", "no_such_parameter=1"});
  EXPECT_EQ(waitExit(), 0);
  EXPECT_NE(maillog().find("warning: -o no_such_parameter=1: unknown parameter no_such_parameter"),
            std::string::npos)
      << maillog();
}

TEST_F(WorkerTest, BadConfigValueIsFatal) {
  listenInet();
  std::ofstream(dir_ + "/etc/posthorn.conf", std::ios::app) << "max_idle = soon\n";
  start({});
  EXPECT_EQ(waitExit(), 1);
  std::string log = maillog();
  EXPECT_NE(log.find("]: fatal: "), std::string::npos) << log;
  EXPECT_NE(log.find("soon"), std::string::npos) << log;
}

TEST_F(WorkerTest, MissingConfigIsFatalOnStderr) {
  listenInet();
  fs::remove(dir_ + "/etc/posthorn.conf");
  start({});
  EXPECT_EQ(waitExit(), 1);
  std::ifstream err(dir_ + "/stderr");
  std::stringstream ss;
  ss << err.rdbuf();
  EXPECT_NE(ss.str().find("posthorn/echo_worker: fatal: "), std::string::npos) << ss.str();
  EXPECT_NE(ss.str().find(dir_ + "/etc"), std::string::npos) << ss.str();
}

TEST_F(WorkerTest, RootNetworkWorkerRefusesToStayRoot) {
  if (!privilege::runningAsRoot()) GTEST_SKIP() << "needs root";
  listenInet();
  start({"-u", "n"});  // master.conf unpriv=n for a network-facing service
  EXPECT_EQ(waitExit(), 1);
  EXPECT_NE(maillog().find("fatal: service echo: a network-facing service must run unprivileged"),
            std::string::npos)
      << maillog();
}

TEST_F(WorkerTest, RootWithUnknownMailOwnerIsFatal) {
  if (!privilege::runningAsRoot()) GTEST_SKIP() << "needs root";
  listenInet();
  start({"-o", "mail_owner=no-such-user-posthorn"});
  EXPECT_EQ(waitExit(), 1);
  EXPECT_NE(maillog().find("fatal: service echo: unknown user \"no-such-user-posthorn\""),
            std::string::npos)
      << maillog();
}

TEST_F(WorkerTest, RootWithoutChrootColumnStaysOutsideTheJail) {
  if (!privilege::runningAsRoot()) GTEST_SKIP() << "needs root";
  listenInet();
  start({"-j", "n", "-o", "max_use=1"});
  EXPECT_EQ(nextStatus(), 'A');
  int c = connectClient();
  EXPECT_EQ(readLine(c), expectedHello());
  EXPECT_EQ(fs::read_symlink("/proc/" + std::to_string(pid_) + "/root"), fs::path("/"));
  ::close(c);
  EXPECT_EQ(waitExit(), 0);
}

}  // namespace
}  // namespace posthorn
