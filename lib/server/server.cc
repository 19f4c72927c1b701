// server - the worker skeleton: options, config, logging, jail, accept loop
#include "lib/server/server.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/ipc/service_path.h"
#include "lib/util/event_loop.h"
#include "lib/log/log.h"
#include "lib/log/proto_log.h"
#include "lib/util/privilege.h"

#ifndef POSTHORN_CONFIG_DIR
#define POSTHORN_CONFIG_DIR "/etc/mail"
#endif

namespace posthorn::server {

// ---------------------------------------------------------------- options

std::string Options::usage(const std::string& program) {
  return "usage: " + program +
         " -n SERVICE -t inet|unix [-c CONFIG_DIR] [-v] [-u y|n] [-j y|n]"
         " [-o name=value ...] [args...]";
}

Options Options::fromArgv(int argc, char** argv) {
  Options o;
  std::string argv0 = argc > 0 && argv[0] != nullptr ? argv[0] : "worker";
  std::size_t slash = argv0.rfind('/');
  o.program = slash == std::string::npos ? argv0 : argv0.substr(slash + 1);
  o.configDir = POSTHORN_CONFIG_DIR;
  auto bad = [&](const std::string& why) -> config::ConfigError {
    return config::ConfigError(o.program + ": " + why + "\n" + usage(o.program));
  };
  auto yesNo = [&](char opt, const std::string& v) {
    if (v == "y") return true;
    if (v == "n") return false;
    throw bad(std::string("option -") + opt + " takes y or n, not \"" + v + "\"");
  };
  int i = 1;
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') break;
    char opt = arg[1];
    if (opt == 'v') {
      if (arg.find_first_not_of('v', 1) != std::string::npos)
        throw bad("unknown option " + arg);
      o.verbose = true;
      continue;
    }
    if (std::string_view("ntcouj").find(opt) == std::string_view::npos)
      throw bad("unknown option " + arg);
    std::string value;
    if (arg.size() > 2) {
      value = arg.substr(2);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      throw bad(std::string("option -") + opt + " needs a value");
    }
    switch (opt) {
      case 'n':
        if (value.empty()) throw bad("option -n needs a service name");
        o.service = value;
        break;
      case 't':
        if (value != "inet" && value != "unix")
          throw bad("option -t takes inet or unix, not \"" + value + "\"");
        o.transport = value;
        break;
      case 'c':
        if (value.empty()) throw bad("option -c needs a directory");
        o.configDir = value;
        break;
      case 'o': {
        std::size_t eq = value.find('=');
        if (eq == std::string::npos || eq == 0)
          throw bad("option -o takes name=value, not \"" + value + "\"");
        std::string name = value.substr(0, eq);
        std::string val = value.substr(eq + 1);
        auto trim = [](std::string& s) {
          s.erase(0, s.find_first_not_of(" \t"));
          s.erase(s.find_last_not_of(" \t") + 1);
        };
        trim(name);
        trim(val);
        if (name.empty()) throw bad("option -o takes name=value, not \"" + value + "\"");
        o.overrides[name] = val;
        break;
      }
      case 'u':
        o.unprivileged = yesNo('u', value);
        break;
      case 'j':
        o.chroot = yesNo('j', value);
        break;
    }
  }
  for (; i < argc; ++i) o.args.emplace_back(argv[i]);
  if (o.service.empty()) o.service = o.program;
  return o;
}

// ---------------------------------------------------------------- the loop

namespace {

// 0-2 must be open: otherwise the next open() lands there and a stray
// printf goes into a socket or a queue file.
void ensureStandardFds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) >= 0) continue;
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0 && null != fd) {
      ::dup2(null, fd);
      ::close(null);
    }
  }
}

std::string peerName(const sockaddr_storage& ss, socklen_t len) {
  char host[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET && len >= sizeof(sockaddr_in)) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (ss.ss_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      ::inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], host, sizeof host);
      return std::string(host) + ":" + std::to_string(ntohs(in6->sin6_port));
    }
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return "local";
}

bool isListeningSocket(int fd) {
  struct stat st{};
  if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return false;
  int listening = 0;
  socklen_t len = sizeof listening;
  return ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening != 0;
}

}  // namespace

struct Worker::Loop {
  event_base* base = nullptr;
  std::string service;
  WorkerSettings settings;
  std::function<void(Connection)> onConnection;

  std::unique_ptr<loop::Event> listenEvent;
  std::unique_ptr<loop::Event> idleTimer;
  std::unique_ptr<loop::Event> sigterm;
  std::unique_ptr<loop::Event> sigint;

  bool accepting = true;   // false for good once maxUse, SIGTERM or master gone
  bool listening = false;  // listenEvent armed
  bool statusFd = true;    // kStatusFd usable
  std::optional<WorkerState> reported;
  long long accepted = 0;
  long long active = 0;

  void report(WorkerState state) {
    if (!statusFd || reported == state) return;
    reported = state;
    const WorkerStatus status = statusRecord(::getpid(), state);
    ssize_t n;
    do {
      n = ::write(kStatusFd, &status, sizeof status);
    } while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(sizeof status)) return;
    if (n < 0 && errno == EPIPE) {
      statusFd = false;
      log::info("master went away: finishing current clients, then exiting");
      stopAccepting();
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // master is not reading; it will learn the state from the next one.
      reported.reset();
    } else {
      statusFd = false;
      log::warning("cannot write to the status pipe: %s", n < 0 ? std::strerror(errno) : "short write");
    }
  }

  bool full() const { return active >= settings.clientLimit; }

  void updateListening() {
    bool want = accepting && !full();
    if (want && !listening) {
      listenEvent->add();
      listening = true;
    } else if (!want && listening) {
      listenEvent->remove();
      listening = false;
    }
    report(want ? WorkerState::Available : WorkerState::Busy);
  }

  void armIdleTimer() {
    if (active == 0 && accepting && settings.maxIdle.count() > 0)
      idleTimer->add(std::chrono::duration_cast<std::chrono::milliseconds>(settings.maxIdle));
    else
      idleTimer->remove();
  }

  void stopAccepting() {
    if (!accepting) return;
    accepting = false;
    updateListening();
    idleTimer->remove();
    ::close(kListenFd);
    finishIfDone();
  }

  void finishIfDone() {
    if (!accepting && active == 0) event_base_loopexit(base, nullptr);
  }

  void connectionDone() {
    --active;
    updateListening();
    armIdleTimer();
    finishIfDone();
  }

  void acceptOne(const std::shared_ptr<Loop>& self) {
    if (!accepting || full()) return;
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int fd = ::accept4(kListenFd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC);
    if (fd < 0) {
      switch (errno) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
        case EINTR:
        case ECONNABORTED:
        case EPROTO:
          return;  // another worker won, or the client gave up
        default:
          log::warning("accept on service %s: %s", service.c_str(), std::strerror(errno));
          return;
      }
    }
    ++accepted;
    ++active;
    idleTimer->remove();
    if (settings.maxUse > 0 && accepted >= settings.maxUse) {
      // The last client this process takes: tell master (Busy) now, so it
      // starts another worker while this one finishes.
      log::debug("accepted %lld clients (max_use): exiting when they are done", accepted);
      accepting = false;
      updateListening();
      ::close(kListenFd);
    } else {
      updateListening();
    }

    auto called = std::make_shared<bool>(false);
    std::weak_ptr<Loop> weak = self;
    Connection connection{fd, peerName(ss, len), [weak, called] {
                            if (*called) {
                              log::error("internal error: done() called twice for one connection");
                              return;
                            }
                            *called = true;
                            if (auto loop = weak.lock()) loop->connectionDone();
                          }};
    log::debug("connect from %s", connection.peer.c_str());
    std::function<void()> done = connection.done;
    try {
      onConnection(std::move(connection));
    } catch (const std::exception& e) {
      log::error("service %s: client handler failed: %s", service.c_str(), e.what());
      if (!*called) {
        ::close(fd);
        done();
      }
    }
  }
};

Worker::Worker(const Options& options) : options_(options) {
  ensureStandardFds();
  privilege::closeInheritedFds(kStatusFd);
  ::signal(SIGPIPE, SIG_IGN);

  std::vector<std::string> warnings;
  try {
    config_ = config::Config::load(options_.configDir, &warnings);
    for (const auto& [name, value] : options_.overrides) {
      if (config::findParameter(name) == nullptr)
        warnings.push_back("-o " + name + "=" + value + ": unknown parameter " + name);
      config_.set(name, value);
    }
    log::Options lo;
    lo.syslogName = config_.get("syslog_name");
    lo.program = options_.program;
    lo.maillogFile = config_.get("maillog_file");
    if (!lo.maillogFile.empty())
      lo.logServiceSocket = ipc::servicePath(config_.get("queue_directory"), false, log::kLogService);
    lo.debug = options_.verbose;
    log::init(lo);
  } catch (const config::ConfigError& e) {
    log::Options lo;
    lo.program = options_.program;
    lo.alsoStderr = true;
    log::init(lo);
    log::fatal("%s", e.what());
  }
  for (const auto& w : warnings) log::warning("%s", w.c_str());
}

Worker::~Worker() {
  loop_.reset();
  if (base_ != nullptr) event_base_free(base_);
}

WorkerSettings WorkerSettings::fromConfig(const config::Config& cfg) {
  WorkerSettings s;
  s.chroot = cfg.get("queue_directory");
  if (s.chroot.empty()) throw config::ConfigError("queue_directory is empty");
  s.user = cfg.get("mail_owner");
  s.networkFacing = true;
  s.clientLimit = 1;
  s.maxUse = static_cast<int>(std::max(0LL, cfg.getInt("max_use")));
  s.maxIdle = cfg.getTime("max_idle");
  return s;
}

bool Worker::chrootsInto(const std::string& dir) const {
  return options_.chroot && !dir.empty() && privilege::runningAsRoot();
}

void Worker::jailStep(const WorkerSettings& settings) {
  const std::string chrootDir = options_.chroot ? settings.chroot : std::string();
  const std::string user = options_.unprivileged ? settings.user : std::string();
  if (!privilege::runningAsRoot()) {
    log::info("running as uid %ld, not root: no chroot%s%s, no change of user%s%s",
              static_cast<long>(::getuid()), chrootDir.empty() ? "" : " to ",
              chrootDir.c_str(), user.empty() ? "" : " to ", user.c_str());
    return;
  }
  if (settings.networkFacing && !options_.unprivileged)
    log::fatal("service %s: a network-facing service must run unprivileged (master.conf unpriv=n refused)",
               options_.service.c_str());
  std::optional<privilege::Identity> identity;
  try {
    if (!user.empty()) identity = privilege::lookupUser(user);
    privilege::jail(chrootDir, identity);
  } catch (const privilege::PrivilegeError& e) {
    log::fatal("service %s: %s", options_.service.c_str(), e.what());
  }
  if (!chrootDir.empty()) log::chrooted(chrootDir);
  if (settings.networkFacing && (::getuid() == 0 || ::geteuid() == 0))
    log::fatal("service %s: a network-facing service refuses to run as root (set mail_owner)",
               options_.service.c_str());
  log::debug("service %s: root directory %s, uid %ld, gid %ld", options_.service.c_str(),
             chrootDir.empty() ? "unchanged" : chrootDir.c_str(), static_cast<long>(::getuid()),
             static_cast<long>(::getgid()));
}

int Worker::run(const WorkerSettings& settings,
                const std::function<void(Connection)>& onConnection) {
  if (loop_) log::fatal("internal error: Worker::run called twice");
  if (settings.clientLimit < 1) log::fatal("internal error: client limit %d", settings.clientLimit);
  if (!isListeningSocket(kListenFd))
    log::fatal("fd %d is not a listening socket: %s is started by master(8)", kListenFd,
               options_.program.c_str());

  try {
    base_ = loop::newBase().release();
  } catch (const std::exception& e) {
    log::fatal("%s", e.what());
  }
  if (settings.preJail) settings.preJail();
  jailStep(settings);
  if (settings.postJail) settings.postJail();

  auto state = std::make_shared<Loop>();
  loop_ = state;
  state->base = base_;
  state->service = options_.service;
  state->settings = settings;
  state->onConnection = onConnection;
  state->statusFd = ::fcntl(kStatusFd, F_GETFD) >= 0;
  if (state->statusFd) {
    // Never block on master: a full pipe means master is not reading.
    int flags = ::fcntl(kStatusFd, F_GETFL);
    if (flags >= 0) ::fcntl(kStatusFd, F_SETFL, flags | O_NONBLOCK);
  }
  int flags = ::fcntl(kListenFd, F_GETFL);
  if (flags < 0 || ::fcntl(kListenFd, F_SETFL, flags | O_NONBLOCK) < 0)
    log::fatal("cannot make the listener non-blocking: %s", std::strerror(errno));

  Loop* raw = state.get();
  std::weak_ptr<Loop> weak = state;
  state->listenEvent = std::make_unique<loop::Event>(
      base_, kListenFd, loop::kRead | loop::kPersist, [weak](int, short) {
        if (auto s = weak.lock()) s->acceptOne(s);
      });
  state->idleTimer = std::make_unique<loop::Event>(base_, -1, 0, [raw](int, short) {
    log::debug("idle for %lld s (max_idle): exiting",
               static_cast<long long>(raw->settings.maxIdle.count()));
    raw->stopAccepting();
  });
  auto onStop = [raw](int sig, short) {
    log::debug("signal %d: finishing %lld clients, then exiting", sig, raw->active);
    raw->stopAccepting();
  };
  state->sigterm = std::make_unique<loop::Event>(base_, SIGTERM, loop::kSignal | loop::kPersist, onStop);
  state->sigint = std::make_unique<loop::Event>(base_, SIGINT, loop::kSignal | loop::kPersist, onStop);
  state->sigterm->add();
  state->sigint->add();

  state->updateListening();
  state->armIdleTimer();
  if (event_base_dispatch(base_) < 0) log::fatal("event loop failed");
  state->sigterm->remove();
  state->sigint->remove();
  return 0;
}

}  // namespace posthorn::server
