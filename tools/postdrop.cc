// postdrop - the setgid door into maildrop/ (see postdrop(1))
//
//   postdrop [-v] [-r] [-c DIR]   store the maildrop stream on stdin as
//                                 maildrop/ID, print ID, wake pickup
//   postdrop [-c DIR] -p          print the mail queue (mailq, sendmail -bp)
//   postdrop [-c DIR] -w          wake pickup and qmgr (sendmail -q)
//
// Installed setgid setgid_group (postdrop), the group that may write into
// maildrop/ and reach the sockets in public/. When it runs with that extra
// group for an ordinary user, the environment is cleared and only the
// default configuration directory is accepted, so that a user cannot point
// it at a configuration of their own. Exit status from sysexits.h.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "lib/config/config.h"
#include "lib/log/log.h"
#include "lib/queue/queue_dirs.h"
#include "lib/queue/qmgr_trigger.h"
#include "lib/queue/queue_listing.h"
#include "tools/postdrop_store.h"

using namespace posthorn;

namespace {

constexpr const char* kUsage = "usage: postdrop [-rv] [-c config_dir] [-p | -w]\n";

int fail(int code, const std::string& text) {
  log::error("%s", text.c_str());
  return code;
}

// Keeps 0, 1 and 2 open so that no file we open lands on them.
void ensureStdFds() {
  for (int fd = 0; fd <= 2; ++fd)
    if (::fcntl(fd, F_GETFD) < 0) ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
}

// The environment of a setgid program belongs to the user: keep only TZ.
void sanitizeEnvironment() {
  const char* tz = std::getenv("TZ");
  const std::string keep = tz ? tz : "";
  ::clearenv();
  if (tz) ::setenv("TZ", keep.c_str(), 1);
}

void initLog(const config::Config& cfg, const std::string& queueDir, bool verbose) {
  log::Options lo;
  lo.syslogName = cfg.get("syslog_name");
  lo.program = "postdrop";
  lo.maillogFile = cfg.get("maillog_file");
  lo.alsoStderr = true;
  lo.debug = verbose;
  if (!lo.maillogFile.empty()) {
    lo.logServiceSocket = queueDir + "/private/log";
    // Unreachable for an ordinary user (private/ is mail_owner's): syslog
    // then, rather than log.h's stderr fallback, which would print every
    // line twice.
    if (::access(lo.logServiceSocket.c_str(), W_OK) != 0) {
      lo.maillogFile.clear();
      lo.logServiceSocket.clear();
    }
  }
  log::init(lo);
}

// Copies what showq sends to stdout; false when showq cannot be reached.
bool printFromShowq(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return false;
  }
  char buf[16384];
  bool any = false;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 60000) <= 0) break;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    any = true;
    std::fwrite(buf, 1, static_cast<std::size_t>(n), stdout);
  }
  ::close(fd);
  std::fflush(stdout);
  return any;
}

int printQueue(const std::string& queueDir) {
  const std::string socket =
      queueDir + "/" + std::string(queue::queueDirName(queue::QueueDir::Public)) + "/showq";
  if (printFromShowq(socket)) return EX_OK;
  // No showq: whoever may read the queue (root, mail_owner) reads it here.
  const std::string incoming = queueDir + "/incoming";
  if (::access(incoming.c_str(), R_OK | X_OK) != 0)
    return fail(EX_UNAVAILABLE, "cannot reach the showq service at " + socket +
                                    " (is the mail system running?)");
  std::vector<std::string> problems;
  const std::string text = queue::formatListing(queue::scanQueue(queueDir, &problems));
  for (const auto& p : problems) log::warning("%s", p.c_str());
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 ? EX_OK : EX_IOERR;
}

}  // namespace

int main(int argc, char** argv) {
  ensureStdFds();
  ::signal(SIGPIPE, SIG_IGN);
  const bool privileged = ::getegid() != ::getgid() && ::getuid() != 0;
  if (privileged) {
    ::unsetenv("MAIL_CONFIG");
    sanitizeEnvironment();
  }
  {
    log::Options early;  // until posthorn.conf is read
    early.program = "postdrop";
    early.alsoStderr = true;
    log::init(early);
  }
  std::string configDir;
  bool listQueue = false, wake = false, verbose = false;
  int c;
  while ((c = ::getopt(argc, argv, "c:prvw")) != -1) {
    switch (c) {
      case 'c': configDir = optarg; break;
      case 'p': listQueue = true; break;
      case 'r': break;  // Postfix's internal record format: ours always is one
      case 'v': verbose = true; break;
      case 'w': wake = true; break;
      default: std::cerr << kUsage; return EX_USAGE;
    }
  }
  if (optind != argc || (listQueue && wake)) {
    std::cerr << kUsage;
    return EX_USAGE;
  }
  if (configDir.empty()) configDir = config::defaultConfigDir();
  if (privileged && configDir != config::defaultConfigDir())
    return fail(EX_USAGE, "-c " + configDir + " is allowed only for root (postdrop runs setgid)");

  try {
    const config::Config cfg = config::Config::load(configDir);
    const std::string queueDir = cfg.get("queue_directory");
    initLog(cfg, queueDir, verbose);
    const std::string pub = queueDir + "/" + std::string(queue::queueDirName(queue::QueueDir::Public));
    if (listQueue) return printQueue(queueDir);
    if (wake) {
      queue::wakeQmgr(pub + "/pickup");
      queue::wakeQmgr(pub + "/qmgr");
      return EX_OK;
    }
    const auto result = postdrop::storeMaildrop(
        0, queue::queueDirPath(queueDir, queue::QueueDir::Maildrop), cfg.getSize("message_size_limit"));
    if (result.exitCode != EX_OK) return fail(result.exitCode, result.error);
    std::printf("%s\n", result.queueId.c_str());
    std::fflush(stdout);
    // Nobody listening (the mail system is down) is fine: the file waits.
    if (!queue::wakeQmgr(pub + "/pickup"))
      log::debug("%s: pickup not reached; the message waits in maildrop", result.queueId.c_str());
    return EX_OK;
  } catch (const config::ConfigError& e) {
    return fail(EX_CONFIG, e.what());
  } catch (const std::exception& e) {
    return fail(EX_SOFTWARE, std::string("fatal: ") + e.what());
  }
}
