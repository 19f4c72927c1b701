// queue_io - file descriptor ownership and whole-buffer I/O for queue files
//
// Every call retries EINTR and short counts, and turns a failed system call
// into QueueFileError(Io) naming the file and the call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lib/queue/queue_error.h"

namespace posthorn::queue {

// Owns one file descriptor; closes it (unchecked) on destruction.
class FileHandle {
 public:
  FileHandle() = default;
  explicit FileHandle(int fd) : fd_(fd) {}
  FileHandle(FileHandle&& other) noexcept : fd_(other.release()) {}
  FileHandle& operator=(FileHandle&& other) noexcept;
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  ~FileHandle();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // close(2), checked: a write error can surface only here (NFS, quotas).
  void close(const std::string& path);

 private:
  int fd_ = -1;
};

[[noreturn]] void throwIo(const std::string& path, const std::string& what, int err);

// Reads up to `size` bytes at `offset`; fewer only at end of file.
std::size_t preadFull(int fd, void* buffer, std::size_t size, std::uint64_t offset,
                      const std::string& path);
void pwriteFull(int fd, const void* data, std::size_t size, std::uint64_t offset,
                const std::string& path);
void writeFull(int fd, const void* data, std::size_t size, const std::string& path);
void fsyncChecked(int fd, const std::string& path);
void fdatasyncChecked(int fd, const std::string& path);
std::uint64_t fileSize(int fd, const std::string& path);

}  // namespace posthorn::queue
