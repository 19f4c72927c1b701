// scheduler - the scan thread and the delivery threads (see scheduler.h)
#include "qmgr/scheduler.h"

#include <unistd.h>

#include <exception>

#include "lib/address/address_resolver.h"
#include "lib/log/log.h"
#include "lib/queue/queue_dirs.h"
#include "lib/queue/queue_id.h"
#include "qmgr/queue_scan.h"

namespace posthorn::qmgr {

Scheduler::Scheduler(const Settings& settings, ResolverFactory makeResolver)
    : settings_(settings), makeResolver_(std::move(makeResolver)), limiter_(settings) {}

Scheduler::~Scheduler() { stop(std::chrono::seconds(0)); }

void Scheduler::start() {
  // A previous qmgr's unfinished passes: their files are still in active/.
  for (const auto& id : listQueueFiles(settings_.path("active"))) jobs_.push_back(id);
  if (!jobs_.empty()) log::info("resuming %zu messages left in active", jobs_.size());
  removeStaleDsnLogs();
  for (int i = 0; i < settings_.deliveryThreads; ++i) resolvers_.push_back(makeResolver_());
  for (auto& resolver : resolvers_)
    threads_.emplace_back([this, r = resolver.get()] { deliveryLoop(r); });
  threads_.emplace_back([this] { scanLoop(); });
}

void Scheduler::removeStaleDsnLogs() {
  // A DSN log outlives its queue file only when qmgr died between the
  // two unlinks (doc/bounces.md). Queue IDs are never reused.
  for (const auto& id : listQueueFiles(settings_.path("bounce"))) {
    bool queued = false;
    for (const char* dir : {"incoming", "active", "deferred", "hold"})
      if (::access(settings_.path(std::string(dir) + "/" + id).c_str(), F_OK) == 0) queued = true;
    if (!queued) ::unlink(settings_.path("bounce/" + id).c_str());
  }
}

void Scheduler::wake() {
  std::lock_guard lock(mutex_);
  triggered_ = true;
  scanWake_.notify_one();
}

void Scheduler::flush() {
  std::lock_guard lock(mutex_);
  triggered_ = true;
  flushed_ = true;
  scanWake_.notify_one();
}

void Scheduler::stop(std::chrono::seconds grace) {
  {
    std::unique_lock lock(mutex_);
    if (threads_.empty()) return;
    stopping_ = true;
    jobs_.clear();
    scanWake_.notify_all();
    jobReady_.notify_all();
    // Passes in progress record every result as it comes; one cut short
    // is resumed from active/ by the next qmgr.
    jobReady_.wait_for(lock, grace, [this] { return busy_ == 0; });
    if (busy_ != 0) {
      for (auto& t : threads_) t.detach();
      threads_.clear();
      return;
    }
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
}

bool Scheduler::admit(const std::string& id, queue::QueueDir from) {
  const auto qid = queue::QueueId::parse(id);
  if (!qid) return false;
  try {
    queue::moveQueueFile(settings_.root, *qid, from, queue::QueueDir::Active);
  } catch (const std::exception& e) {
    log::warning("%s", e.what());
    return false;
  }
  std::lock_guard lock(mutex_);
  jobs_.push_back(id);
  jobReady_.notify_one();
  return true;
}

void Scheduler::scanIncoming() {
  for (const auto& id : listQueueFiles(settings_.path("incoming"))) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      if (jobs_.size() + busy_ >= settings_.activeLimit) {
        incomingLeft_ = true;  // a pass that ends calls for another scan
        return;
      }
    }
    admit(id, queue::QueueDir::Incoming);
  }
}

void Scheduler::scanDeferred() {
  const auto now = std::chrono::system_clock::now();
  for (const auto& id : listQueueFiles(settings_.path("deferred"), now)) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_ || jobs_.size() + busy_ >= settings_.activeLimit) return;
    }
    admit(id, queue::QueueDir::Deferred);
  }
}

void Scheduler::scanLoop() {
  auto nextDeferredScan = std::chrono::steady_clock::now();
  for (;;) {
    bool incoming = false, deferred = false;
    {
      std::unique_lock lock(mutex_);
      scanWake_.wait_until(lock, nextDeferredScan,
                           [this] { return stopping_ || triggered_; });
      if (stopping_) return;
      incoming = triggered_;
      triggered_ = false;
      incomingLeft_ = false;
      deferred = flushed_ || std::chrono::steady_clock::now() >= nextDeferredScan;
      flushed_ = false;
    }
    if (deferred) {
      scanDeferred();
      nextDeferredScan = std::chrono::steady_clock::now() + settings_.queueRunDelay;
      incoming = true;  // the periodic run also catches lost triggers
    }
    if (incoming) scanIncoming();
  }
}

void Scheduler::deliveryLoop(address::AddressResolver* resolver) {
  AgentPool agents(settings_);
  MessageDelivery delivery(settings_, *resolver, agents, limiter_);
  for (;;) {
    std::string id;
    {
      std::unique_lock lock(mutex_);
      // Keep agent connections (and so their processes, which master
      // counts against max_use per connection) over short gaps between
      // messages; let them go when idle for longer.
      auto ready = [this] { return stopping_ || !jobs_.empty(); };
      if (!jobReady_.wait_for(lock, std::chrono::seconds(2), ready)) {
        agents.closeAll();
        jobReady_.wait(lock, ready);
      }
      if (stopping_) return;
      id = std::move(jobs_.front());
      jobs_.pop_front();
      ++busy_;
    }
    try {
      delivery.run(id);
    } catch (const std::exception& e) {
      log::error("%s: %s", id.c_str(), e.what());
    }
    std::lock_guard lock(mutex_);
    --busy_;
    if (incomingLeft_) {
      triggered_ = true;
      scanWake_.notify_one();
    }
    if (stopping_) jobReady_.notify_all();
  }
}

}  // namespace posthorn::qmgr
