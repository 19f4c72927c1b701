// mailbox_io - checked file operations for the mailbox writers
#include "lib/mailbox/mailbox_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "lib/mailbox/mailbox_error.h"

namespace posthorn::mailbox {

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

void Fd::close(const std::string& path) {
  if (fd_ < 0) return;
  // Linux releases the descriptor even when close() fails; never retry.
  if (::close(release()) != 0 && errno != EINTR) throwMailboxError("cannot close", path, errno);
}

UnlinkGuard::~UnlinkGuard() {
  if (!path_.empty()) ::unlink(path_.c_str());
}

void writeAll(int fd, const char* data, std::size_t size, const std::string& path) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throwMailboxError("cannot write", path, errno);
    }
    done += static_cast<std::size_t>(n);
  }
}

void fsyncFd(int fd, const std::string& path) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) throwMailboxError("cannot fsync", path, errno);
  }
}

void fsyncDirectory(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) throwMailboxError("cannot open", dir, errno);
  fsyncFd(fd.get(), dir);
}

std::string parentDirectory(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const auto slash = p.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return p.substr(0, slash);
}

void makeDirectories(const std::string& dir, mode_t mode) {
  if (::mkdir(dir.c_str(), mode) == 0) {
    fsyncDirectory(parentDirectory(dir));
    return;
  }
  if (errno == EEXIST) {
    struct stat st;
    if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return;
    throwMailboxError("cannot create", dir, ENOTDIR);
  }
  if (errno != ENOENT) throwMailboxError("cannot create", dir, errno);
  const std::string parent = parentDirectory(dir);
  if (parent == dir || parent == "." || parent == "/") throwMailboxError("cannot create", dir, ENOENT);
  makeDirectories(parent, mode);
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) throwMailboxError("cannot create", dir, errno);
  fsyncDirectory(parent);
}

std::string readAll(int fd, const std::string& path) {
  std::string out;
  char buf[8192];
  off_t offset = 0;
  for (;;) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      throwMailboxError("cannot read", path, errno);
    }
    if (n == 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
    offset += n;
  }
}

}  // namespace posthorn::mailbox
