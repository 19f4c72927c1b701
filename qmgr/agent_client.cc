// agent_client - sends a DeliveryRequest, reads the results (agent_client.h)
#include "qmgr/agent_client.h"

#include <set>

#include "lib/ipc/ipc.h"

namespace posthorn::qmgr {

AgentClient::AgentClient(std::string socketPath, std::chrono::seconds timeout)
    : socketPath_(std::move(socketPath)), timeout_(timeout) {}

AgentClient::~AgentClient() = default;

void AgentClient::close() { channel_.reset(); }

bool AgentClient::deliver(const ipc::DeliveryRequest& request,
                          const std::function<void(const ipc::DeliveryResult&)>& onResult,
                          std::string* error) {
  std::set<std::uint32_t> pending;
  for (const auto& r : request.recipients) pending.insert(r.index);
  // A kept connection may have been closed by the agent (max_idle): only
  // then, and only before any result came back, is the request sent again.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = channel_ != nullptr;
    try {
      if (!channel_) {
        channel_ = std::make_unique<ipc::Channel>(ipc::Channel::connect(socketPath_));
        channel_->setTimeout(timeout_);
      }
      channel_->send(request);
    } catch (const std::exception& e) {
      channel_.reset();
      if (reused) continue;
      *error = e.what();
      return false;
    }
    while (!pending.empty()) {
      ipc::DeliveryResult result;
      try {
        result = channel_->receive<ipc::DeliveryResult>();
        if (pending.erase(result.index) == 0)
          throw ipc::ProtocolError("result for recipient " + std::to_string(result.index) +
                                   " that was not asked for, or twice");
      } catch (const std::exception& e) {
        channel_.reset();
        if (reused && pending.size() == request.recipients.size()) break;  // stale: once more
        *error = e.what();
        return false;
      }
      onResult(result);  // a queue file error propagates to the caller
    }
    if (pending.empty()) return true;
  }
  *error = "no connection to " + socketPath_;
  return false;
}

}  // namespace posthorn::qmgr
