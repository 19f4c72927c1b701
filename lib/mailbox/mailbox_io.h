// mailbox_io - checked, EINTR-safe file operations for the mailbox writers
//
// Every failure throws MailboxError naming the operation and the path.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace posthorn::mailbox {

// Owns one file descriptor; closes it (unchecked) on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // close(2), checked: NFS and quota errors may surface only here.
  void close(const std::string& path);

 private:
  int fd_ = -1;
};

// Removes a file on destruction unless dismiss() was called: a temporary
// file never outlives a failed delivery, whatever is thrown.
class UnlinkGuard {
 public:
  explicit UnlinkGuard(std::string path) : path_(std::move(path)) {}
  UnlinkGuard(const UnlinkGuard&) = delete;
  UnlinkGuard& operator=(const UnlinkGuard&) = delete;
  ~UnlinkGuard();
  void dismiss() { path_.clear(); }

 private:
  std::string path_;
};

void writeAll(int fd, const char* data, std::size_t size, const std::string& path);
void fsyncFd(int fd, const std::string& path);
// Opens a directory and fsyncs it, so a new or renamed entry is durable.
void fsyncDirectory(const std::string& dir);
// mkdir -p with `mode` for every directory created; fsyncs each parent
// whose entry list changed.
void makeDirectories(const std::string& dir, mode_t mode);
// The whole content of an open file, read from offset 0.
std::string readAll(int fd, const std::string& path);
// The directory part of a path ("." when there is none).
std::string parentDirectory(const std::string& path);

}  // namespace posthorn::mailbox
