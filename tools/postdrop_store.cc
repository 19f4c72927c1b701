// postdrop_store - checks a maildrop stream and stores it as maildrop/ID
#include "tools/postdrop_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "lib/queue/maildrop_file.h"
#include "lib/queue/queue_id.h"

namespace posthorn::postdrop {
namespace {

std::string errnoText(const std::string& what, int err) { return what + ": " + std::strerror(err); }

bool writeAll(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// Makes the rename durable. maildrop is mode 1730: the postdrop group may
// not read it, so a directory fsync is not always possible; syncfs then
// commits the file system instead.
bool syncDirectory(const std::string& dir, int fileFd) {
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    const bool ok = ::fsync(dfd) == 0;
    ::close(dfd);
    return ok;
  }
  return ::syncfs(fileFd) == 0;
}

class TempFile {
 public:
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  // Creates DIR/.ID.tmp for a fresh ID; errno is set on failure, and
  // tried() names the last file tried.
  bool create(const std::string& dir) {
    for (int attempt = 0; attempt < 10; ++attempt) {
      id_ = queue::QueueId::generate();
      tried_ = dir + "/." + id_.str() + ".tmp";
      const std::string& path = tried_;
      fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (fd_ >= 0) {
        path_ = path;
        ::fchmod(fd_, 0644);  // whatever the umask
        return true;
      }
      if (errno != EEXIST) return false;
    }
    return false;
  }
  int fd() const { return fd_; }
  const queue::QueueId& id() const { return id_; }
  const std::string& path() const { return path_; }
  bool close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }
  void keep() { path_.clear(); }
  const std::string& tried() const { return tried_; }

 private:
  int fd_ = -1;
  std::string tried_;
  std::string path_;
  queue::QueueId id_;
};

}  // namespace

StoreResult storeMaildrop(int input, const std::string& maildropDir, std::uint64_t maxContent) {
  StoreResult result;
  TempFile tmp;
  if (!tmp.create(maildropDir)) {
    const int err = errno;
    result.exitCode = EX_TEMPFAIL;
    result.error = errnoText("create file " + tmp.tried(), err);
    return result;
  }
  maildrop::MaildropParser parser(maxContent == 0 ? maildrop::kMaxContent : maxContent);
  std::string buf(64 * 1024, '\0');
  try {
    for (;;) {
      const ssize_t n = ::read(input, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        result.exitCode = EX_IOERR;
        result.error = errnoText("read the message", errno);
        return result;
      }
      if (n == 0) break;
      parser.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
      if (!writeAll(tmp.fd(), buf.data(), static_cast<std::size_t>(n))) {
        result.exitCode = EX_TEMPFAIL;
        result.error = errnoText("write " + tmp.path(), errno);
        return result;
      }
    }
    parser.finish();
  } catch (const maildrop::MaildropError& e) {
    if (e.kind() == maildrop::MaildropError::Kind::TooBig) {
      result.exitCode = EX_CANTCREAT;
      result.error = std::string(e.what()) + " (message_size_limit)";
    } else {
      result.exitCode = EX_DATAERR;
      result.error = e.what();
    }
    return result;
  }
  if (::fsync(tmp.fd()) != 0) {
    result.exitCode = EX_TEMPFAIL;
    result.error = errnoText("fsync " + tmp.path(), errno);
    return result;
  }
  const int syncFd = ::dup(tmp.fd());
  if (!tmp.close()) {
    const int err = errno;
    if (syncFd >= 0) ::close(syncFd);
    result.exitCode = EX_TEMPFAIL;
    result.error = errnoText("close " + tmp.path(), err);
    return result;
  }
  const std::string final = maildropDir + "/" + tmp.id().str();
  if (::renameat2(AT_FDCWD, tmp.path().c_str(), AT_FDCWD, final.c_str(), RENAME_NOREPLACE) != 0) {
    const int err = errno;
    if (syncFd >= 0) ::close(syncFd);
    result.exitCode = EX_TEMPFAIL;
    result.error = errnoText("rename " + tmp.path() + " to " + final, err);
    return result;
  }
  tmp.keep();
  const bool synced = syncFd >= 0 && syncDirectory(maildropDir, syncFd);
  const int err = errno;
  if (syncFd >= 0) ::close(syncFd);
  if (!synced) {
    // The file is in place and may well be delivered: leaving it risks a
    // duplicate when the caller tries again, removing it risks a loss.
    result.exitCode = EX_TEMPFAIL;
    result.error = errnoText("sync " + maildropDir, err) + " (maildrop/" + tmp.id().str() +
                   " was left in place)";
    return result;
  }
  result.queueId = tmp.id().str();
  return result;
}

}  // namespace posthorn::postdrop
