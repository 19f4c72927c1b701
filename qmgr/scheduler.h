// scheduler - qmgr's work: moves new and due mail into active/ and runs
// delivery passes on a pool of threads
//
// One scan thread waits for a trigger (wake(): cleanup wrote incoming/)
// or for queue_run_delay to pass (the deferred queue's turn), moves queue
// files into active/ and queues them; qmgr_delivery_threads delivery
// threads each take a message and run a MessageDelivery pass over it. They
// share a DestinationLimiter: at most TRANSPORT_destination_concurrency_limit
// deliveries at once per transport and next hop. At most
// qmgr_message_active_limit messages are in active/ at once: the rest
// wait in incoming/ and are picked up when a pass ends. Messages left in
// active/ by a qmgr that died are delivered first, at start.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "lib/queue/queue_dirs.h"
#include "qmgr/destination_limiter.h"
#include "qmgr/message_delivery.h"
#include "qmgr/qmgr_settings.h"

namespace posthorn::qmgr {

class Scheduler {
 public:
  // One resolver per delivery thread (each has its own table connections).
  using ResolverFactory = std::function<std::unique_ptr<address::AddressResolver>()>;
  Scheduler(const Settings& settings, ResolverFactory makeResolver);
  ~Scheduler();

  void start();
  void wake();
  // A run over deferred/ now (posthorn queue flush), then incoming/.
  void flush();
  // Stops taking new messages; waits up to `grace` for passes in progress.
  void stop(std::chrono::seconds grace);

 private:
  void removeStaleDsnLogs();
  void scanLoop();
  void deliveryLoop(address::AddressResolver* resolver);
  void scanIncoming();
  void scanDeferred();
  bool admit(const std::string& id, queue::QueueDir from);

  const Settings& settings_;
  ResolverFactory makeResolver_;
  std::vector<std::unique_ptr<address::AddressResolver>> resolvers_;
  DestinationLimiter limiter_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable scanWake_, jobReady_;
  std::deque<std::string> jobs_;
  std::size_t busy_ = 0;
  bool triggered_ = true;  // scan incoming/ at start
  bool flushed_ = false;   // scan deferred/ now
  bool incomingLeft_ = false;
  bool stopping_ = false;
};

}  // namespace posthorn::qmgr
