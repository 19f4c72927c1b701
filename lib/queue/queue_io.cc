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

std::size_t preadFull(int fd, void* buffer, std::size_t size, std::uint64_t offset,
                      const std::string& path) {
  auto* p = static_cast<char*>(buffer);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, p + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throwIo(path, "read", errno);
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

void pwriteFull(int fd, const void* data, std::size_t size, std::uint64_t offset,
                const std::string& path) {
  const auto* p = static_cast<const char*>(data);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pwrite(fd, p + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throwIo(path, "write", errno);
    }
    done += static_cast<std::size_t>(n);
  }
}

void writeFull(int fd, const void* data, std::size_t size, const std::string& path) {
  const auto* p = static_cast<const char*>(data);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, p + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throwIo(path, "write", errno);
    }
    done += static_cast<std::size_t>(n);
  }
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
