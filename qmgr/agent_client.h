// agent_client - qmgr's connection to one delivery agent service
//
//   AgentClient local("/private/local", std::chrono::seconds(3600));
//   bool complete = local.deliver(request, [&](const ipc::DeliveryResult& r) { record(r); }, &why);
//
// The connection is kept for the next request (master starts an agent
// process per connection, so a kept connection keeps its process). A
// request that finds the kept connection gone is sent once more on a new one.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "lib/proto/proto_delivery.h"

namespace posthorn::qmgr {

class AgentClient {
 public:
  AgentClient(std::string socketPath, std::chrono::seconds timeout);
  ~AgentClient();

  // Calls onResult for each result as it arrives (onResult records it
  // before the next one is read). Returns true when every recipient got a
  // result; false when the agent could not be reached or went away, with
  // *error saying why (the recipients without a result are undecided).
  bool deliver(const ipc::DeliveryRequest& request,
               const std::function<void(const ipc::DeliveryResult&)>& onResult,
               std::string* error);
  void close();

 private:
  std::string socketPath_;
  std::chrono::seconds timeout_;
  std::unique_ptr<ipc::Channel> channel_;
};

}  // namespace posthorn::qmgr
