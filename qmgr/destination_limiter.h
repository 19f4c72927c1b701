// destination_limiter - at most N deliveries at once per transport and
// next hop (default_destination_concurrency_limit, or
// TRANSPORT_destination_concurrency_limit)
//
//   DestinationLimiter limiter(settings);
//   {
//     auto slot = limiter.acquire("smtp", "example.com");  // waits for a free slot
//     agent.deliver(...);
//   }                                                        // released here
//
// The delivery threads share one limiter. A thread holds at most one slot
// at a time, so waiting cannot deadlock.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>

#include "qmgr/qmgr_settings.h"

namespace posthorn::qmgr {

class DestinationLimiter {
 public:
  explicit DestinationLimiter(const Settings& settings) : settings_(settings) {}

  class Slot {
   public:
    Slot(DestinationLimiter* owner, std::string key) : owner_(owner), key_(std::move(key)) {}
    Slot(Slot&& other) noexcept : owner_(other.owner_), key_(std::move(other.key_)) {
      other.owner_ = nullptr;
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (owner_) owner_->release(key_);
    }

   private:
    DestinationLimiter* owner_;
    std::string key_;
  };

  Slot acquire(const std::string& transport, const std::string& nexthop);
  // Deliveries in progress to that destination (tests, logs).
  int inUse(const std::string& transport, const std::string& nexthop);

 private:
  void release(const std::string& key);

  // Waiters on a destination wait on its own condition variable, so a
  // release wakes one thread that can use the slot, not every waiter.
  struct Destination {
    int inUse = 0;
    int waiting = 0;
    std::condition_variable freed;
  };
  const Settings& settings_;
  std::mutex mutex_;
  std::map<std::string, Destination> destinations_;
};

}  // namespace posthorn::qmgr
