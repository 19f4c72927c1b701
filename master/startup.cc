// startup - what master does before it serves (see startup.h)
#include "master/startup.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <stdexcept>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "lib/queue/queue_dirs.h"
#include "lib/util/privilege.h"

namespace posthorn::master {

namespace {
bool stderrLogged = false;  // the log goes to stderr already
}  // namespace

void startupFatal(const std::string& why) {
  log::write(log::Level::Fatal, why);
  if (!stderrLogged) std::fprintf(stderr, "posthorn/master: fatal: %s\n", why.c_str());
  std::exit(1);
}

config::Config loadConfigAndLog(const Args& args, log::Options& lo) {
  lo.program = "master";
  lo.alsoStderr = true;
  log::init(lo);
  stderrLogged = true;
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
  stderrLogged = args.foreground;
  for (const auto& w : warnings) log::warning("%s", w.c_str());
  return cfg;
}

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

namespace {

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: master [-c CONFIG_DIR] [-f] [-w] [-v]\n");
  std::exit(2);
}

}  // namespace

Args Args::parse(int argc, char** argv) {
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

}  // namespace posthorn::master
