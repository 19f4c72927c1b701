// dotlock - link()-based <file>.lock with stale lock removal
#include "lib/mailbox/dotlock.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <thread>

#include "lib/mailbox/mailbox_error.h"
#include "lib/mailbox/mailbox_io.h"
#include "lib/mailbox/maildir_name.h"

namespace posthorn::mailbox {
namespace {

struct NotPermitted {};

bool isPermissionError(int err) { return err == EACCES || err == EPERM || err == EROFS; }

}  // namespace

bool Dotlock::tryOnce() {
  const std::string uniquePath = lockPath_ + "." + maildirUniqueName();
  Fd fd(::open(uniquePath.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) {
    if (isPermissionError(errno)) throw NotPermitted{};
    throwMailboxError("cannot create", uniquePath, errno);
  }
  UnlinkGuard removeUnique(uniquePath);
  const std::string pid = std::to_string(::getpid()) + "\n";
  writeAll(fd.get(), pid.data(), pid.size(), uniquePath);
  fd.close(uniquePath);

  const int linked = ::link(uniquePath.c_str(), lockPath_.c_str());
  const int linkErrno = errno;
  struct stat st;
  if (::stat(uniquePath.c_str(), &st) != 0) throwMailboxError("cannot stat", uniquePath, errno);
  if (st.st_nlink == 2) return true;  // ours, whatever link() said
  if (linked != 0 && linkErrno != EEXIST) throwMailboxError("cannot link", lockPath_, linkErrno);

  // Somebody else holds it: remove it if it is stale.
  struct stat lockSt;
  if (::stat(lockPath_.c_str(), &lockSt) == 0 &&
      lockSt.st_mtime + kDotlockStaleAge.count() < ::time(nullptr)) {
    ::unlink(lockPath_.c_str());
  }
  return false;
}

Dotlock::Status Dotlock::acquire(std::chrono::milliseconds timeout) {
  if (held_) return Status::Locked;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto delay = std::chrono::milliseconds(2);
  try {
    for (;;) {
      if (tryOnce()) {
        held_ = true;
        return Status::Locked;
      }
      if (std::chrono::steady_clock::now() >= deadline) return Status::TimedOut;
      // A little jitter so two waiting writers do not retry in step.
      std::this_thread::sleep_for(delay + std::chrono::milliseconds(::getpid() % 3));
      delay = std::min(delay * 2, std::chrono::milliseconds(100));
    }
  } catch (const NotPermitted&) {
    return Status::NotPermitted;
  }
}

void Dotlock::release() {
  if (!held_) return;
  held_ = false;
  ::unlink(lockPath_.c_str());
}

}  // namespace posthorn::mailbox
