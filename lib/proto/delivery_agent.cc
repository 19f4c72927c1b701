// delivery_agent - the agent side of the delivery protocol (see delivery_agent.h)
#include "lib/proto/delivery_agent.h"

#include "lib/queue/queue_id.h"

namespace posthorn::ipc {

void serveDeliveryRequests(Channel& channel, const std::string& queueRoot,
                           const AgentHandler& handler, const std::function<void()>& beforeWait) {
  for (;;) {
    if (beforeWait) beforeWait();
    DeliveryRequest request;
    try {
      request = channel.receive<DeliveryRequest>();
    } catch (const ChannelClosed&) {
      return;  // qmgr is done with this connection
    }
    // Only a queue file in active/, by its ID: nothing else on the disk.
    const std::string prefix = "active/";
    if (request.queueFile.rfind(prefix, 0) != 0 ||
        !queue::QueueId::isValid(request.queueFile.substr(prefix.size())))
      throw ProtocolError("bad queue file name \"" + request.queueFile + "\"");
    std::string openError;
    auto file = queue::openQueueFileWaiting(queueRoot + "/" + request.queueFile,
                                            std::chrono::seconds(60), &openError);
    AgentRequest r{request, file, openError, [&](const DeliveryResult& result) { channel.send(result); }};
    handler(r);
  }
}

}  // namespace posthorn::ipc
