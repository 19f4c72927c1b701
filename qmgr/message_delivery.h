// message_delivery - one pass over one message in active/: route each
// recipient that is due, hand them to their delivery agents, record each
// result in the queue file, then remove the file (every recipient done) or
// move it to deferred/ (its mtime = when the next recipient is due)
//
//   MessageDelivery pass(settings, resolver, agents);
//   pass.run(queueId);
//
// The agents mark what they delivered in the queue file themselves before
// they answer (lib/proto/proto_delivery.h); qmgr writes deferrals and failures
// after the agents are done, in one atomic update. So a kill at any
// instant loses no recipient and repeats at most the one an agent was
// copying. Then the DSNs the message owes are sent (DsnNotifier); the file
// is removed only once they are (doc/bounces.md). A damaged file goes to corrupt/; a file another process keeps
// locked for over a minute is left in active/ for the next start.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "qmgr/agent_client.h"
#include "qmgr/destination_limiter.h"
#include "qmgr/dsn_notifier.h"
#include "qmgr/qmgr_settings.h"
#include "qmgr/retry_policy.h"

namespace posthorn::address {
class AddressResolver;
}

namespace posthorn::qmgr {

// The agent connections of one delivery thread, by transport name.
class AgentPool {
 public:
  explicit AgentPool(const Settings& settings) : settings_(settings) {}
  AgentClient& agent(const std::string& transport);
  void closeAll() { agents_.clear(); }

 private:
  const Settings& settings_;
  std::map<std::string, std::unique_ptr<AgentClient>> agents_;
};

class MessageDelivery {
 public:
  MessageDelivery(const Settings& settings, address::AddressResolver& resolver, AgentPool& agents,
                  DestinationLimiter& limiter);
  void run(const std::string& queueId);

 private:
  const Settings& settings_;
  RetryPolicy retry_;
  address::AddressResolver& resolver_;
  AgentPool& agents_;
  DestinationLimiter& limiter_;
  DsnNotifier notifier_;
};

}  // namespace posthorn::qmgr
