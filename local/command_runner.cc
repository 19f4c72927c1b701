// command_runner - fork, drop to the user, feed the pipe, judge the exit
// status (see command_runner.h)
#include "local/command_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "local/user_privileges.h"

namespace posthorn::local {

namespace {

using Clock = std::chrono::steady_clock;

mailbox::DeliveryResult result(mailbox::DeliveryResult::Kind kind, std::string dsn, std::string text) {
  mailbox::DeliveryResult r;
  r.kind = kind;
  r.dsn = std::move(dsn);
  r.text = std::move(text);
  return r;
}

[[noreturn]] void child(const CommandSpec& spec, int readEnd) {
  if (::dup2(readEnd, 0) < 0) ::_exit(75);
  if (readEnd != 0) ::close(readEnd);
  for (int fd = 3; fd < 1024; ++fd) ::close(fd);
  const int devnull = ::open("/dev/null", O_WRONLY);
  if (devnull >= 0) {
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
  }
  ::signal(SIGPIPE, SIG_DFL);
  if (!becomeUser(spec.uid, spec.gid)) ::_exit(75);
  if ((spec.home.empty() || ::chdir(spec.home.c_str()) != 0) && ::chdir("/") != 0) ::_exit(75);
  std::vector<std::string> env = {"SHELL=/bin/sh", "PATH=/usr/bin:/bin:/usr/local/bin"};
  for (const auto& [name, value] : spec.env) env.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  ::execle("/bin/sh", "sh", "-c", spec.command.c_str(), static_cast<char*>(nullptr), envp.data());
  ::_exit(75);
}

// Writes all of `data` before `deadline`; false when the reader went away
// (EPIPE: a command may stop reading early, which is not an error by
// itself) or the time ran out (*timedOut).
bool writeAll(int fd, const char* data, std::size_t size, Clock::time_point deadline,
              bool* timedOut) {
  while (size > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      *timedOut = true;
      return false;
    }
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

mailbox::DeliveryResult runCommand(const CommandSpec& spec, mailbox::MessageSource& message) {
  using Kind = mailbox::DeliveryResult::Kind;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return result(Kind::TempFail, "4.3.0", std::string("pipe: ") + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return result(Kind::TempFail, "4.3.0", std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::close(fds[1]);
    child(spec, fds[0]);
  }
  ::close(fds[0]);
  ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
  const auto deadline = Clock::now() + spec.timeLimit;
  bool timedOut = false;
  std::vector<char> buf(64 * 1024);
  try {
    while (std::size_t n = message.read(buf.data(), buf.size()))
      if (!writeAll(fds[1], buf.data(), n, deadline, &timedOut)) break;
  } catch (...) {
    ::close(fds[1]);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw;
  }
  ::close(fds[1]);
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) break;
    if (timedOut || Clock::now() >= deadline) {
      timedOut = true;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    ::usleep(2000);
  }
  if (timedOut)
    return result(Kind::TempFail, "4.3.0", "command time limit exceeded: \"" + spec.command + "\"");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return result(Kind::Ok, "2.0.0", "delivered to command: " + spec.command);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 75)
    return result(Kind::TempFail, "4.3.0", "temporary failure. Command output: " + spec.command);
  const std::string how = WIFEXITED(status)
                              ? "status " + std::to_string(WEXITSTATUS(status))
                              : "signal " + std::to_string(WTERMSIG(status));
  return result(Kind::PermFail, "5.3.0", "Command died with " + how + ": \"" + spec.command + "\"");
}

}  // namespace posthorn::local
