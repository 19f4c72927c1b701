// queue_io - checked, EINTR-safe read/write/sync helpers for queue files
#include "lib/queue/queue_io.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace posthorn::queue {

FileHandle& FileHandle::operator=(FileHandle&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

FileHandle::~FileHandle() {
  if (fd_ >= 0) ::close(fd_);
}

void FileHandle::close(const std::string& path) {
  if (fd_ < 0) return;
  const int fd = release();
  // Linux releases the descriptor even when close() fails; never retry.
  if (::close(fd) != 0 && errno != EINTR) throwIo(path, "close", errno);
}

void throwIo(const std::string& path, const std::string& what, int err) {
  throw QueueFileError(QueueFileError::Kind::Io, path, what + ": " + std::strerror(err));
}

namespace {

// Calls `call(done)` (one read or write of what follows the first `done`
// bytes) until `size` bytes have passed, retrying EINTR; a failure throws
// naming `what`. atEof: a return of 0 is the end of the file, not a retry.
template <class Call>
std::size_t transferAll(std::size_t size, const std::string& path, const char* what, bool atEof,
                        Call call) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = call(done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throwIo(path, what, errno);
    }
    if (n == 0 && atEof) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

}  // namespace

std::size_t preadFull(int fd, void* buffer, std::size_t size, std::uint64_t offset,
                      const std::string& path) {
  auto* p = static_cast<char*>(buffer);
  return transferAll(size, path, "read", true, [&](std::size_t done) {
    return ::pread(fd, p + done, size - done, static_cast<off_t>(offset + done));
  });
}

void pwriteFull(int fd, const void* data, std::size_t size, std::uint64_t offset,
                const std::string& path) {
  const auto* p = static_cast<const char*>(data);
  transferAll(size, path, "write", false, [&](std::size_t done) {
    return ::pwrite(fd, p + done, size - done, static_cast<off_t>(offset + done));
  });
}

void writeFull(int fd, const void* data, std::size_t size, const std::string& path) {
  const auto* p = static_cast<const char*>(data);
  transferAll(size, path, "write", false,
              [&](std::size_t done) { return ::write(fd, p + done, size - done); });
}

void fsyncChecked(int fd, const std::string& path) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) throwIo(path, "fsync", errno);
  }
}

void fdatasyncChecked(int fd, const std::string& path) {
  while (::fdatasync(fd) != 0) {
    if (errno != EINTR) throwIo(path, "fdatasync", errno);
  }
}

std::uint64_t fileSize(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) throwIo(path, "fstat", errno);
  return static_cast<std::uint64_t>(st.st_size);
}

}  // namespace posthorn::queue
