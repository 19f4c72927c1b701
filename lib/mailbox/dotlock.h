// dotlock - an NFS-safe <file>.lock, the lock every mbox reader understands
//
// The lock is taken the link() way: write a uniquely named file next to the
// target, link() it to <file>.lock, and trust the link count of the unique
// file (2 = ours) rather than link()'s return value, which NFS may lose.
// A lock older than five minutes is stale and removed.
#pragma once

#include <chrono>
#include <string>

namespace posthorn::mailbox {

class Dotlock {
 public:
  enum class Status { Locked, TimedOut, NotPermitted };

  explicit Dotlock(std::string target) : lockPath_(std::move(target) + ".lock") {}
  Dotlock(const Dotlock&) = delete;
  Dotlock& operator=(const Dotlock&) = delete;
  ~Dotlock() { release(); }

  // Waits up to `timeout`. NotPermitted: the directory does not let us
  // create files (EACCES, EPERM, EROFS). Other errors throw MailboxError.
  Status acquire(std::chrono::milliseconds timeout);
  void release();
  bool held() const { return held_; }
  const std::string& path() const { return lockPath_; }

 private:
  bool tryOnce();  // true when the lock is ours

  std::string lockPath_;
  bool held_ = false;
};

// How old a lock must be before it is taken to be left by a dead process.
inline constexpr std::chrono::seconds kDotlockStaleAge{300};

}  // namespace posthorn::mailbox
