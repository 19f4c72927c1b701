// pid_lock - one master per queue directory (see pid_lock.h)
#include "lib/server/pid_lock.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace posthorn::server {

namespace {

struct flock wholeFile(short type) {
  struct flock lk {};
  lk.l_type = type;
  lk.l_whence = SEEK_SET;
  lk.l_start = 0;
  lk.l_len = 0;
  return lk;
}

}  // namespace

std::string PidLock::pidDirectory(const config::Config& cfg) {
  std::string dir = cfg.get("process_id_directory");
  if (dir.empty()) dir = cfg.without("process_id_directory").get("process_id_directory");
  return dir.front() == '/' ? dir : cfg.get("queue_directory") + "/" + dir;
}

std::string PidLock::pathFor(const config::Config& cfg) {
  return pidDirectory(cfg) + "/master.pid";
}

PidLock::PidLock(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0)
    throw std::runtime_error("cannot open lock file " + path_ + ": " + std::strerror(errno));
  struct flock lk = wholeFile(F_WRLCK);
  if (::fcntl(fd_, F_SETLK, &lk) < 0) {
    int err = errno;
    std::string who;
    struct flock probe = wholeFile(F_WRLCK);
    if (::fcntl(fd_, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK)
      who = " by pid " + std::to_string(probe.l_pid);
    ::close(fd_);
    fd_ = -1;
    if (err == EAGAIN || err == EACCES)
      throw std::runtime_error("the mail system is already running: lock on " + path_ +
                               " is held" + who);
    throw std::runtime_error("cannot lock " + path_ + ": " + std::strerror(err));
  }
  std::string text = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) < 0 ||
      ::pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()) ||
      ::fsync(fd_) < 0) {
    int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("cannot write " + path_ + ": " + std::strerror(err));
  }
}

PidLock::~PidLock() {
  if (fd_ >= 0) ::close(fd_);
}

void PidLock::clear() {
  if (fd_ >= 0 && ::ftruncate(fd_, 0) == 0) ::fsync(fd_);
}

std::optional<pid_t> PidLock::holder(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return std::nullopt;
  // F_GETLK with a write lock asks "who would stop me"; a read-only fd is
  // enough for the query, and the query never takes a lock.
  struct flock probe = wholeFile(F_WRLCK);
  std::optional<pid_t> result;
  if (::fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK) result = probe.l_pid;
  ::close(fd);
  return result;
}

}  // namespace posthorn::server
