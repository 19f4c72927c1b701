// master - the posthorn master daemon: command line, start-up, daemon mode
//
//   master [-c CONFIG_DIR] [-f] [-w] [-v]
//
// -f  foreground: log to stderr as well (`posthorn start-fg`).
// -w  wait mode (`posthorn start`): a foreground process forks the real
//     master, which detaches (setsid, stdio on /dev/null) once it is ready;
//     the foreground process exits 0 when the master has taken its lock and
//     bound every listener, 1 (after the master's error on stderr) if not.
// -v  verbose: debug lines, and -v for every worker.
// Neither -f nor -w: run in the foreground without stderr logging (for a
// service manager). See master(8).
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <memory>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/config/config.h"
#include "lib/log/log.h"
#include "lib/log/log_sink.h"
#include "lib/util/privilege.h"
#include "lib/queue/queue_dirs.h"
#include "master/master.h"
#include "lib/server/pid_lock.h"

#ifndef POSTHORN_VERSION
#define POSTHORN_VERSION "0"
#endif

namespace {

using namespace posthorn;

struct Args {
  std::string configDir;
  bool foreground = false;
  bool wait = false;
  bool verbose = false;
};

// Creates the queue directory tree (lib/queue/queue_dirs.h) and, when
// process_id_directory is not the standard pid/, that directory too.
// Running as root, the tree gets its owners: root for the queue directory
// and pid/, mail_owner for the rest (group setgid_group for maildrop/ and
// public/ when that group exists).
void prepareQueue(const config::Config& cfg, const std::string& pidDir) {
  const std::string queueDir = cfg.get("queue_directory");
  if (queueDir.empty() || queueDir.front() != '/')
    throw std::runtime_error("queue_directory must be an absolute path, not \"" + queueDir + "\"");
  for (std::size_t pos = 1; (pos = queueDir.find('/', pos)) != std::string::npos; ++pos) {
    std::string parent = queueDir.substr(0, pos);
    if (::mkdir(parent.c_str(), 0755) < 0 && errno != EEXIST)
      throw std::runtime_error("cannot create directory " + parent + ": " + std::strerror(errno));
  }
  queue::QueueOwners owners;
  if (privilege::runningAsRoot()) {
    privilege::Identity id = privilege::lookupUser(cfg.get("mail_owner"));
    owners.mailOwner = id.uid;
    owners.mailGroup = id.gid;
    if (struct group* gr = ::getgrnam(cfg.get("setgid_group").c_str()))
      owners.setgidGroup = gr->gr_gid;
  }
  queue::createQueueDirectories(queueDir, owners);
  if (pidDir != queueDir + "/pid" && ::mkdir(pidDir.c_str(), 0755) < 0 && errno != EEXIST)
    throw std::runtime_error("cannot create directory " + pidDir + ": " + std::strerror(errno));
}

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: master [-c CONFIG_DIR] [-f] [-w] [-v]\n");
  std::exit(2);
}

Args parseArgs(int argc, char** argv) {
  Args a;
  int c;
  while ((c = ::getopt(argc, argv, "c:fvw")) != -1) {
    switch (c) {
      case 'c': a.configDir = optarg; break;
      case 'f': a.foreground = true; break;
      case 'v': a.verbose = true; break;
      case 'w': a.wait = true; break;
      default: usage();
    }
  }
  if (optind != argc) usage();
  if (a.configDir.empty()) a.configDir = config::defaultConfigDir();
  return a;
}

// Start-up errors go to the log and, so that `posthorn start` shows them,
// to stderr when the log does not already go there.
bool gStderrLogged = false;

[[noreturn]] void startupFatal(const std::string& why) {
  log::write(log::Level::Fatal, why);
  if (!gStderrLogged) std::fprintf(stderr, "posthorn/master: fatal: %s\n", why.c_str());
  std::exit(1);
}

void redirectStdio(bool all) {
  int null = ::open("/dev/null", O_RDWR);
  if (null < 0) return;
  ::dup2(null, 0);
  if (all) {
    ::dup2(null, 1);
    ::dup2(null, 2);
  }
  if (null > 2) ::close(null);
}

// -w: the foreground half. Returns only in the child (the real master),
// with the write end of the readiness pipe.
int forkForWait() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) {
    std::perror("posthorn/master: fatal: pipe");
    std::exit(1);
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("posthorn/master: fatal: fork");
    std::exit(1);
  }
  if (pid == 0) {
    ::close(fds[0]);
    ::setsid();
    return fds[1];
  }
  ::close(fds[1]);
  char ok = 0;
  ssize_t n;
  do {
    n = ::read(fds[0], &ok, 1);
  } while (n < 0 && errno == EINTR);
  if (n == 1 && ok == 'R') std::exit(0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  Args args = parseArgs(argc, argv);
  ::signal(SIGPIPE, SIG_IGN);
  ::umask(022);
  int readyFd = args.wait ? forkForWait() : -1;
  redirectStdio(false);

  // Until the configuration is read, lines go to stderr.
  log::Options lo;
  lo.program = "master";
  lo.alsoStderr = true;
  log::init(lo);
  gStderrLogged = true;

  std::vector<std::string> warnings;
  config::Config cfg;
  try {
    cfg = config::Config::load(args.configDir, &warnings);
    lo.syslogName = cfg.get("syslog_name");
    lo.maillogFile = cfg.get("maillog_file");
    lo.hostname = cfg.get("myhostname");
  } catch (const std::exception& e) {
    startupFatal(e.what());
  }

  lo.alsoStderr = args.foreground;
  lo.debug = args.verbose;
  log::init(lo);
  gStderrLogged = args.foreground;
  for (const auto& w : warnings) log::warning("%s", w.c_str());

  std::unique_ptr<server::PidLock> lock;
  std::unique_ptr<log::LogSink> sink;
  std::unique_ptr<master::Master> daemon;
  try {
    std::string queueDir = cfg.get("queue_directory");
    prepareQueue(cfg, server::PidLock::pidDirectory(cfg));
    lock = std::make_unique<server::PidLock>(server::PidLock::pathFor(cfg));
    if (!lo.maillogFile.empty())
      sink = std::make_unique<log::LogSink>(queueDir + "/private/log", lo.maillogFile,
                                            cfg.get("myhostname"));
    daemon = std::make_unique<master::Master>(
        master::Master::Options{args.configDir, args.verbose}, cfg, std::move(sink));
    daemon->openServices();
  } catch (const std::exception& e) {
    daemon.reset();
    startupFatal(e.what());
  }

  log::info("daemon started -- version %s, configuration %s", POSTHORN_VERSION,
            args.configDir.c_str());
  if (readyFd >= 0) {
    redirectStdio(true);
    char ok = 'R';
    if (::write(readyFd, &ok, 1) != 1) log::warning("cannot tell the starting command: %s",
                                                    std::strerror(errno));
    ::close(readyFd);
  }

  daemon->run();
  daemon.reset();
  lock->clear();
  return 0;
}
