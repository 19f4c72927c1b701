// spawner - fork+exec of one worker process (see spawner.h)
#include "master/spawner.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "lib/server/server.h"

namespace posthorn::master {

namespace {

// Runs in the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void childExec(const char* program, char* const* argv, int listenFd, int statusFd,
                            int errPipe) {
  for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  // Move the two fds above the target range first, so dup2 never clobbers
  // one with the other and always clears close-on-exec.
  int lfd = fcntl(listenFd, F_DUPFD_CLOEXEC, 10);
  int sfd = fcntl(statusFd, F_DUPFD_CLOEXEC, 10);
  int err = 0;
  if (lfd < 0 || sfd < 0 || dup2(lfd, server::kListenFd) < 0 ||
      dup2(sfd, server::kStatusFd) < 0) {
    err = errno;
  } else {
    // Close everything else but errPipe (above 4, close-on-exec), which
    // must stay open until exec succeeds or fails.
    close_range(server::kStatusFd + 1, static_cast<unsigned>(errPipe) - 1, 0);
    close_range(static_cast<unsigned>(errPipe) + 1, ~0U, 0);
    execv(program, argv);
    err = errno;
  }
  ssize_t ignored = write(errPipe, &err, sizeof err);
  (void)ignored;
  _exit(127);
}

}  // namespace

SpawnResult spawnWorker(const std::string& program, const std::vector<std::string>& argv,
                        int listenFd, int statusFd) {
  SpawnResult result;
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);

  int errPipe[2];
  if (pipe2(errPipe, O_CLOEXEC) < 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  // Keep the error pipe clear of fds 0-4 so the child's dup2s cannot hit it.
  for (int& end : errPipe) {
    if (end <= server::kStatusFd) {
      int moved = fcntl(end, F_DUPFD_CLOEXEC, 10);
      close(end);
      end = moved;
    }
  }
  // Signals stay blocked across fork until the child has reset master's
  // handlers: a signal that reached master's handler in the child would be
  // reported to master's event loop as master's own.
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t pid = fork();
  if (pid == 0) {
    close(errPipe[0]);
    childExec(program.c_str(), cargv.data(), listenFd, statusFd, errPipe[1]);
  }
  int forkErr = errno;
  sigprocmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) {
    result.error = std::string("fork: ") + std::strerror(forkErr);
    close(errPipe[0]);
    close(errPipe[1]);
    return result;
  }
  close(errPipe[1]);
  result.pid = pid;
  int childErr = 0;
  ssize_t n;
  do {
    n = read(errPipe[0], &childErr, sizeof childErr);
  } while (n < 0 && errno == EINTR);
  close(errPipe[0]);
  if (n == static_cast<ssize_t>(sizeof childErr)) {
    result.execErrno = childErr;
    result.error = "exec " + program + ": " + std::strerror(childErr);
  }
  return result;
}

}  // namespace posthorn::master
