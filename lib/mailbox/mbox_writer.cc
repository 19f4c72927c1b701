// mbox_writer - locked, all-or-nothing append of one message to an mbox
#include "lib/mailbox/mbox_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>
#include <vector>

#include "lib/mailbox/dotlock.h"
#include "lib/mailbox/mailbox_error.h"
#include "lib/mailbox/mailbox_io.h"

namespace posthorn::mailbox {
namespace {

constexpr std::size_t kBufferSize = 64 * 1024;
constexpr mode_t kFileMode = 0600;

#ifdef F_OFD_SETLK
constexpr int kSetLock = F_OFD_SETLK;  // per open file, and still seen by F_SETLK users
#else
constexpr int kSetLock = F_SETLK;
#endif

DeliveryResult tempFail(const std::string& dsn, const std::string& path, const std::string& text) {
  DeliveryResult r;
  r.kind = DeliveryResult::Kind::TempFail;
  r.dsn = dsn;
  r.path = path;
  r.text = text;
  return r;
}

struct OpenedMbox {
  Fd fd;
  bool created = false;
};

OpenedMbox openMbox(const std::string& path) {
  for (int attempt = 0; attempt < 10; ++attempt) {
    OpenedMbox m;
    m.fd = Fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC));
    if (m.fd.valid()) return m;
    if (errno != ENOENT) throwMailboxError("cannot open", path, errno);
    m.fd = Fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC,
                     kFileMode));
    if (m.fd.valid()) {
      m.created = true;
      return m;
    }
    if (errno != EEXIST) throwMailboxError("cannot create", path, errno);
  }
  throwMailboxError("cannot open", path, EAGAIN);
}

// Waits for an fcntl write lock on the whole file until the deadline.
bool lockFile(int fd, const std::string& path, std::chrono::steady_clock::time_point deadline) {
  auto delay = std::chrono::milliseconds(2);
  for (;;) {
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (::fcntl(fd, kSetLock, &fl) == 0) return true;
    if (errno != EAGAIN && errno != EACCES && errno != EINTR) throwMailboxError("cannot lock", path, errno);
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(100));
  }
}

// Appends while the locks are held; truncates back on any failure.
class Appender {
 public:
  Appender(int fd, const std::string& path, std::uint64_t sizeLimit, std::uint64_t originalSize)
      : fd_(fd), path_(path), limit_(sizeLimit), original_(originalSize) {}

  // False when the size limit would be passed.
  bool write(const std::string& data) {
    if (limit_ > 0 && original_ + written_ + data.size() > limit_) return false;
    writeAll(fd_, data.data(), data.size(), path_);
    written_ += data.size();
    return true;
  }
  void rollBack() {
    while (::ftruncate(fd_, static_cast<off_t>(original_)) != 0 && errno == EINTR) {
    }
    ::fsync(fd_);
  }

 private:
  int fd_;
  const std::string& path_;
  std::uint64_t limit_;
  std::uint64_t original_;
  std::uint64_t written_ = 0;
};

// Returns false when the size limit stopped it.
bool appendMessage(Appender& out, const std::string& fromLine, MessageSource& source) {
  std::string pending = fromLine;
  MboxQuoter quoter;
  std::vector<char> buf(kBufferSize);
  for (;;) {
    const std::size_t n = source.read(buf.data(), buf.size());
    if (n == 0) break;
    quoter.feed(buf.data(), n, pending);
    if (pending.size() >= kBufferSize) {
      if (!out.write(pending)) return false;
      pending.clear();
    }
  }
  quoter.finish(pending);
  pending += '\n';  // the blank line that ends a message in an mbox
  return out.write(pending);
}

DeliveryResult deliver(const std::string& path, const std::string& sender, MessageSource& source,
                       std::uint64_t sizeLimit, const MboxOptions& options) {
  const auto deadline = std::chrono::steady_clock::now() + options.lockTimeout;
  Dotlock dotlock(path);
  switch (dotlock.acquire(options.lockTimeout)) {
    case Dotlock::Status::Locked:
      break;
    case Dotlock::Status::TimedOut:
      return tempFail("4.2.0", path, "cannot lock " + dotlock.path() + ": held by another process");
    case Dotlock::Status::NotPermitted:
      if (options.requireDotlock) {
        return tempFail("4.2.0", path, "cannot create " + dotlock.path() + ": permission denied");
      }
      break;  // deliver under the fcntl lock alone
  }

  OpenedMbox mbox = openMbox(path);
  if (mbox.created) fsyncDirectory(parentDirectory(path));
  struct stat st;
  if (::fstat(mbox.fd.get(), &st) != 0) throwMailboxError("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode)) return tempFail("4.3.0", path, "mailbox " + path + " is not a regular file");
  if (st.st_nlink != 1) {
    return tempFail("4.3.0", path, "mailbox " + path + " has " + std::to_string(st.st_nlink) + " hard links");
  }
  if (!lockFile(mbox.fd.get(), path, deadline)) {
    return tempFail("4.2.0", path, "cannot lock " + path + ": held by another process");
  }
  // The size only counts once we hold the lock.
  if (::fstat(mbox.fd.get(), &st) != 0) throwMailboxError("cannot stat", path, errno);
  const auto originalSize = static_cast<std::uint64_t>(st.st_size);

  Appender out(mbox.fd.get(), path, sizeLimit, originalSize);
  bool fits = false;
  try {
    const std::time_t when = options.arrivalTime != 0 ? options.arrivalTime : std::time(nullptr);
    fits = appendMessage(out, mboxFromLine(sender, when), source);
    if (fits) fsyncFd(mbox.fd.get(), path);
  } catch (...) {
    out.rollBack();
    throw;
  }
  if (!fits) {
    out.rollBack();
    DeliveryResult r = tempFail("4.2.2", path, "mailbox full: " + path + " would exceed the size limit of " +
                                                   std::to_string(sizeLimit) + " bytes");
    r.overQuota = true;
    return r;
  }
  // The data is on disk: closing (which drops the fcntl lock, before the
  // dotlock goes) cannot un-deliver it, so its result is not checked.

  DeliveryResult r;
  r.kind = DeliveryResult::Kind::Ok;
  r.dsn = "2.0.0";
  r.text = "delivered to mbox";
  r.path = path;
  return r;
}

}  // namespace

DeliveryResult deliverToMbox(const std::string& path, const std::string& envelopeSender,
                             MessageSource& source, std::uint64_t sizeLimit) {
  return deliverToMbox(path, envelopeSender, source, sizeLimit, MboxOptions{});
}

DeliveryResult deliverToMbox(const std::string& path, const std::string& envelopeSender,
                             MessageSource& source, std::uint64_t sizeLimit,
                             const MboxOptions& options) {
  try {
    return deliver(path, envelopeSender, source, sizeLimit, options);
  } catch (const MailboxError& e) {
    return failureResult(e, path);
  }
}

}  // namespace posthorn::mailbox
