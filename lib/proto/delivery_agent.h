// delivery_agent - the agent side of the delivery protocol (local, smtp)
//
// Both agents serve a qmgr connection the same way: take DeliveryRequests
// one at a time (lib/proto/proto_delivery.h), accept only a queue file
// named active/ID, open it for update (waiting, at most a minute, while an
// agent of a killed qmgr still holds it), and let the agent decide each
// recipient. What an agent does with the request is its Handler:
//
//   serveDeliveryRequests(channel, queueRoot, [&](const Request& r) {
//     for (const auto& rcpt : r.request.recipients) r.send(decide(rcpt, r.file));
//   });
//
// `file` is null when the queue file could not be opened (`openError` says
// why); the handler still answers every recipient (deferred, as a rule).
// A malformed request (a queue file outside active/, an unknown recipient
// index) throws ipc::ProtocolError, which ends the connection.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "lib/ipc/ipc.h"
#include "lib/proto/proto_delivery.h"
#include "lib/queue/queue_file.h"

namespace posthorn::ipc {

struct AgentRequest {
  const DeliveryRequest& request;
  std::unique_ptr<queue::QueueFile>& file;  // the handler may drop it (state unknown)
  std::string& openError;                   // why file is null
  std::function<void(const DeliveryResult&)> send;
};

using AgentHandler = std::function<void(AgentRequest&)>;

// Serves requests until qmgr closes the connection. `beforeWait` runs
// before each wait for the next request (the smtp agent ages its cached
// connections there). Throws ProtocolError and channel errors.
void serveDeliveryRequests(Channel& channel, const std::string& queueRoot,
                           const AgentHandler& handler,
                           const std::function<void()>& beforeWait = {});

}  // namespace posthorn::ipc
