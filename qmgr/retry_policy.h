// retry_policy - when a deferred recipient is tried again, and when its
// message has been in the queue too long
//
// The wait doubles with each attempt, from minimal_backoff_time up to
// maximal_backoff_time (Postfix's policy). A message older than
// maximal_queue_lifetime (bounce_queue_lifetime for a bounce, i.e. the null
// sender) is not retried: its deferred recipients fail.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace posthorn::qmgr {

struct Settings;

class RetryPolicy {
 public:
  explicit RetryPolicy(const Settings& settings);
  // attempts: delivery attempts made so far, this one included (>= 1).
  std::chrono::sys_seconds nextRetry(std::uint32_t attempts, std::chrono::sys_seconds now) const;
  bool expired(std::chrono::sys_seconds arrival, bool nullSender,
               std::chrono::sys_seconds now) const;

 private:
  std::chrono::seconds minimal_, maximal_, lifetime_, bounceLifetime_;
};

// A 4.x.y status turned permanent ("4.2.2" -> "5.2.2"); anything else is
// returned as is.
std::string permanentStatus(const std::string& dsnStatus);

}  // namespace posthorn::qmgr
