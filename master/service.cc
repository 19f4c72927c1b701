// service - one master.conf service at run time (see service.h)
#include "master/service.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log/log.h"
#include "lib/server/proto_status.h"
#include "master/spawner.h"

namespace posthorn::master {

namespace {

constexpr std::chrono::seconds kFirstThrottle{1};

}  // namespace

Service::Service(event_base* base, ServiceSpec spec, std::chrono::seconds maxThrottle,
                 SpawnHook onSpawn)
    : base_(base),
      spec_(std::move(spec)),
      maxThrottle_(std::max(maxThrottle, kFirstThrottle)),
      onSpawn_(std::move(onSpawn)) {}

Service::~Service() {
  slots_.clear();
  statusEvent_.reset();
  if (statusRead_ >= 0) ::close(statusRead_);
  if (statusWrite_ >= 0) ::close(statusWrite_);
}

void Service::open(std::vector<Listener>* pool) {
  std::vector<Slot> slots;
  for (const auto& address : spec_.addresses) {
    Slot slot;
    bool found = false;
    if (pool != nullptr) {
      for (auto it = pool->begin(); it != pool->end(); ++it) {
        if (it->fd() >= 0 && it->address() == address) {
          slot.listener = std::move(*it);
          pool->erase(it);
          found = true;
          break;
        }
      }
    }
    if (!found) {
      try {
        slot.listener = Listener::open(address, spec_.access);
      } catch (const UnsupportedFamily& e) {
        log::warning("service %s: skipping %s: %s", spec_.key().c_str(),
                     address.describe().c_str(), e.what());
        continue;
      }
    }
    slots.push_back(std::move(slot));
  }
  if (slots.empty())
    throw std::runtime_error("service " + spec_.key() + ": no address could be bound");
  if (::access(spec_.program.c_str(), X_OK) != 0)
    log::warning("service %s: %s: %s (workers cannot start)", spec_.describe().c_str(),
                 spec_.program.c_str(), std::strerror(errno));

  // Packet mode (O_DIRECT): every read returns one worker's record, whole,
  // so a record of another size is seen as such (lib/server/proto_status.h).
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK | O_DIRECT) < 0)
    throw std::runtime_error(std::string("status pipe: ") + std::strerror(errno));
  // The write end goes to the workers, which set their own flags on it;
  // master never writes to it.
  ::fcntl(fds[1], F_SETFL, ::fcntl(fds[1], F_GETFL) & ~O_NONBLOCK);
  statusRead_ = fds[0];
  statusWrite_ = fds[1];
  slots_ = std::move(slots);

  for (std::size_t i = 0; i < slots_.size(); ++i) {
    slots_[i].event = std::make_unique<loop::Event>(
        base_, slots_[i].listener.fd(), loop::kRead | loop::kPersist,
        [this, i](int, short) { onReadable(i); });
  }
  statusEvent_ = std::make_unique<loop::Event>(base_, statusRead_, loop::kRead | loop::kPersist,
                                               [this](int, short) { readStatus(); });
  throttleTimer_ = std::make_unique<loop::Event>(base_, -1, 0, [this](int, short) {
    throttled_ = false;
    log::info("service %s: throttle ended", spec_.key().c_str());
    updateWatching();
  });
  if (spec_.wakeupSeconds > 0) {
    if (spec_.type == "unix") {
      wakeupTimer_ = std::make_unique<loop::Event>(base_, -1, loop::kPersist,
                                                   [this](int, short) { wakeup(); });
    } else {
      log::warning("service %s: wakeup is supported for unix services only; ignored",
                   spec_.describe().c_str());
    }
  }
}

void Service::start() {
  statusEvent_->add();
  if (wakeupTimer_) wakeupTimer_->add(std::chrono::seconds(spec_.wakeupSeconds));
  updateWatching();
  // The first wakeup comes at once, as with Postfix: qmgr and pickup start
  // with master and find what waited in the queue while it was down.
  if (wakeupTimer_ && !spec_.wakeupIfUsed) wakeup();
  for (const auto& slot : slots_)
    log::debug("service %s: listening on %s", spec_.key().c_str(),
               slot.listener.address().describe().c_str());
}

std::vector<Listener> Service::retire(bool keep) {
  retired_ = true;
  std::vector<Listener> kept;
  for (auto& slot : slots_) {
    if (slot.event) slot.event->remove();
    slot.event.reset();
    if (keep) kept.push_back(std::move(slot.listener));
  }
  slots_.clear();
  if (throttleTimer_) throttleTimer_->remove();
  if (wakeupTimer_) wakeupTimer_->remove();
  signalWorkers(SIGTERM);
  return kept;
}

void Service::signalWorkers(int sig) {
  for (auto& [pid, w] : workers_) {
    if (sig == SIGTERM || sig == SIGKILL) w.terminating = true;
    ::kill(pid, sig);
  }
}

std::size_t Service::availableOn(std::size_t slot) const {
  std::size_t n = 0;
  for (const auto& [pid, w] : workers_)
    if (w.slot == slot && w.state == server::WorkerState::Available && !w.terminating) ++n;
  return n;
}

bool Service::atLimit() const {
  if (spec_.maxproc == 0) return false;
  std::size_t running = 0;
  for (const auto& [pid, w] : workers_)
    if (!w.terminating) ++running;
  return running >= static_cast<std::size_t>(spec_.maxproc);
}

void Service::updateWatching() {
  bool limit = atLimit();
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = slots_[i];
    bool want = !retired_ && !throttled_ && !limit && availableOn(i) == 0;
    if (want && !slot.watching) slot.event->add();
    if (!want && slot.watching) slot.event->remove();
    slot.watching = want;
  }
}

void Service::onReadable(std::size_t slot) {
  if (retired_ || throttled_ || atLimit() || availableOn(slot) > 0) {
    updateWatching();
    return;
  }
  spawn(slot);
  updateWatching();
}

void Service::spawn(std::size_t slot) {
  SpawnResult r = spawnWorker(spec_.program, spec_.argv, slots_[slot].listener.fd(), statusWrite_);
  if (r.pid < 0) {
    log::warning("service %s: cannot start %s: %s", spec_.key().c_str(), spec_.program.c_str(),
                 r.error.c_str());
    throttle();
    return;
  }
  if (r.execErrno != 0)
    log::error("service %s: %s", spec_.key().c_str(), r.error.c_str());
  used_ = true;
  WorkerProc w;
  w.slot = slot;
  w.started = std::chrono::steady_clock::now();
  workers_.emplace(r.pid, w);
  log::debug("service %s: started %s pid %ld for %s", spec_.key().c_str(), spec_.program.c_str(),
             static_cast<long>(r.pid), slots_[slot].listener.address().describe().c_str());
  if (onSpawn_) onSpawn_(r.pid, this);
}

void Service::readStatus() {
  char buf[4096];  // more than PIPE_BUF: a whole packet
  for (;;) {
    const ssize_t n = ::read(statusRead_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::string why;
    const auto st =
        server::parseStatusRecord(std::string_view(buf, static_cast<std::size_t>(n)), &why);
    if (!st) {
      log::warning("service %s: ignoring %s: a worker of another posthorn version?",
                   spec_.key().c_str(), why.c_str());
      continue;
    }
    auto it = workers_.find(st->pid);
    if (it == workers_.end()) {
      // A worker that was already reaped (its last record arrives late) or
      // garbage: nothing to update.
      log::debug("service %s: status from unknown pid %ld", spec_.key().c_str(),
                 static_cast<long>(st->pid));
      continue;
    }
    if (st->state != server::WorkerState::Available && st->state != server::WorkerState::Busy) {
      log::warning("service %s: bad status byte %d from pid %ld", spec_.key().c_str(),
                   static_cast<int>(st->state), static_cast<long>(st->pid));
      continue;
    }
    it->second.state = st->state;
  }
  updateWatching();
}

void Service::workerExited(pid_t pid, int status, bool shuttingDown) {
  auto it = workers_.find(pid);
  if (it == workers_.end()) return;
  bool expected = it->second.terminating || shuttingDown;
  workers_.erase(it);

  bool abnormal = false;
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    abnormal = !(expected && (sig == SIGTERM || sig == SIGKILL || sig == SIGINT));
    if (abnormal)
      log::warning("process %s pid %ld killed by signal %d", spec_.program.c_str(),
                   static_cast<long>(pid), sig);
  } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    abnormal = true;
    log::warning("process %s pid %ld exit status %d", spec_.program.c_str(),
                 static_cast<long>(pid), WEXITSTATUS(status));
  }
  if (retired_ || shuttingDown) return;
  if (abnormal) {
    throttle();
  } else {
    throttleDelay_ = kFirstThrottle;
  }
  updateWatching();
}

void Service::throttle() {
  if (throttled_ || retired_) return;
  throttled_ = true;
  log::warning("service %s: throttling for %lld s after an abnormal exit", spec_.key().c_str(),
               static_cast<long long>(throttleDelay_.count()));
  throttleTimer_->add(std::chrono::duration_cast<std::chrono::milliseconds>(throttleDelay_));
  throttleDelay_ = std::min(throttleDelay_ * 2, maxThrottle_);
  updateWatching();
}

void Service::wakeup() {
  if (retired_ || throttled_ || slots_.empty()) return;
  if (spec_.wakeupIfUsed && !used_) return;
  const std::string& path = slots_.front().listener.address().host;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return;
  struct sockaddr_un sun {};
  sun.sun_family = AF_UNIX;
  std::strncpy(sun.sun_path, path.c_str(), sizeof sun.sun_path - 1);
  if (::connect(fd, reinterpret_cast<struct sockaddr*>(&sun), sizeof sun) == 0) {
    const char trigger = 'W';
    if (::send(fd, &trigger, 1, MSG_NOSIGNAL) != 1)
      log::debug("service %s: wakeup: %s", spec_.key().c_str(), std::strerror(errno));
  } else {
    // A full listen queue means the service is busy anyway.
    log::debug("service %s: wakeup: connect %s: %s", spec_.key().c_str(), path.c_str(),
               std::strerror(errno));
  }
  ::close(fd);
}

}  // namespace posthorn::master
