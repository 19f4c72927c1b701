// retry_policy - exponential backoff and queue lifetime (see retry_policy.h)
#include "qmgr/retry_policy.h"

#include "qmgr/qmgr_settings.h"

namespace posthorn::qmgr {

RetryPolicy::RetryPolicy(const Settings& s)
    : minimal_(s.minimalBackoff),
      maximal_(s.maximalBackoff),
      lifetime_(s.maximalQueueLifetime),
      bounceLifetime_(s.bounceQueueLifetime) {}

std::chrono::sys_seconds RetryPolicy::nextRetry(std::uint32_t attempts,
                                                std::chrono::sys_seconds now) const {
  std::chrono::seconds wait = minimal_;
  for (std::uint32_t i = 1; i < attempts && wait < maximal_; ++i) wait *= 2;
  if (wait > maximal_) wait = maximal_;
  return now + wait;
}

bool RetryPolicy::expired(std::chrono::sys_seconds arrival, bool nullSender,
                          std::chrono::sys_seconds now) const {
  const auto lifetime = nullSender ? bounceLifetime_ : lifetime_;
  return now >= arrival + lifetime;
}

std::string permanentStatus(const std::string& dsnStatus) {
  if (dsnStatus.size() >= 2 && dsnStatus[0] == '4' && dsnStatus[1] == '.')
    return "5" + dsnStatus.substr(1);
  return dsnStatus;
}

}  // namespace posthorn::qmgr
