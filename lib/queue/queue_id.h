// queue_id - unique queue IDs, the names of queue files
//
// A queue ID is 13 characters from [0-9A-Za-z]: the creation time in
// microseconds since 1970 (9 base-62 digits, good until the year 2398)
// followed by the process ID of its creator (4 base-62 digits; Linux pids
// stay below 2^22). Base-62 digits are ordered as in ASCII, so sorting IDs
// as strings sorts them by creation time. Examples: "1BvWq3ZkT0004".
//
// Unique on one host because:
//  - within a process, generate() hands out strictly increasing times (if
//    it is called twice in one microsecond, the second ID takes the next
//    microsecond), lock-free, so threads and fork() are safe;
//  - two processes that run at the same time have different pids;
//  - a later process that reuses a pid runs later, so its times are later
//    (unless the clock is set back by more than the pid reuse interval; the
//    queue file writer then still refuses to overwrite an existing file).
// doc/queue-file.md has the details.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace posthorn::queue {

class QueueId {
 public:
  static constexpr std::size_t kTimeDigits = 9;
  static constexpr std::size_t kPidDigits = 4;
  static constexpr std::size_t kLength = kTimeDigits + kPidDigits;

  // A new ID for this process.
  static QueueId generate();
  // The ID for a given time and pid (tests; generate() is what code uses).
  static QueueId make(std::chrono::sys_time<std::chrono::microseconds> time, pid_t pid);
  // Validates: exactly kLength characters from [0-9A-Za-z].
  static std::optional<QueueId> parse(std::string_view text);
  static bool isValid(std::string_view text);

  QueueId() = default;  // empty; str() == ""
  const std::string& str() const { return text_; }
  bool empty() const { return text_.empty(); }
  std::chrono::sys_time<std::chrono::microseconds> time() const;
  pid_t pid() const;

  auto operator<=>(const QueueId&) const = default;

 private:
  explicit QueueId(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

}  // namespace posthorn::queue
