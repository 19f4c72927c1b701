// destination_limiter - per-destination concurrency (see destination_limiter.h)
#include "qmgr/destination_limiter.h"

namespace posthorn::qmgr {

DestinationLimiter::Slot DestinationLimiter::acquire(const std::string& transport,
                                                     const std::string& nexthop) {
  std::string key = transport + ":" + nexthop;
  const int limit = settings_.concurrencyLimit(transport);
  std::unique_lock lock(mutex_);
  Destination& d = destinations_[key];  // std::map: the reference stays valid
  ++d.waiting;
  d.freed.wait(lock, [&] { return d.inUse < limit; });
  --d.waiting;
  ++d.inUse;
  return Slot(this, std::move(key));
}

int DestinationLimiter::inUse(const std::string& transport, const std::string& nexthop) {
  std::lock_guard lock(mutex_);
  const auto it = destinations_.find(transport + ":" + nexthop);
  return it == destinations_.end() ? 0 : it->second.inUse;
}

void DestinationLimiter::release(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = destinations_.find(key);
  if (it == destinations_.end()) return;
  Destination& d = it->second;
  --d.inUse;
  if (d.waiting > 0)
    d.freed.notify_one();
  else if (d.inUse <= 0)
    destinations_.erase(it);  // nobody uses or waits for it
}

}  // namespace posthorn::qmgr
