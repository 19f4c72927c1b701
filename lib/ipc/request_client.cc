// request_client - one request, one reply, over a kept connection (see request_client.h)
#include "lib/ipc/request_client.h"

#include <unistd.h>

#include <utility>

namespace posthorn::ipc {

RequestClient::RequestClient(std::string socketPath, std::string service, Timeouts timeouts)
    : socketPath_(std::move(socketPath)), service_(std::move(service)), timeouts_(timeouts) {}

RequestClient::~RequestClient() = default;
RequestClient::RequestClient(RequestClient&&) noexcept = default;
RequestClient& RequestClient::operator=(RequestClient&&) noexcept = default;

void RequestClient::disconnect() { channel_.reset(); }

void RequestClient::fail(RequestError::Kind kind, const std::string& cause) {
  disconnect();
  std::string what = service_;
  switch (kind) {
    case RequestError::Kind::Unavailable:
      what += " unavailable at " + socketPath_ + ": " + cause;
      break;
    case RequestError::Kind::Lost:
      what += " at " + socketPath_ + ": " + cause;
      break;
    case RequestError::Kind::Protocol:
      what += " at " + socketPath_ + ": protocol error: " + cause;
      break;
  }
  throw RequestError(kind, what, cause);
}

void RequestClient::connect() {
  channel_.reset();
  try {
    channel_ = std::make_unique<Channel>(Channel::connect(socketPath_, timeouts_.connect));
  } catch (const std::exception& e) {
    fail(RequestError::Kind::Unavailable, e.what());
  }
  ++connects_;
}

Frame RequestClient::exchangeFrame(std::uint32_t type, std::uint32_t version,
                                   std::string_view body, Reconnect reconnect) {
  for (;;) {
    const bool kept = channel_ != nullptr;
    if (!kept) connect();
    try {
      channel_->setTimeout(timeouts_.io);
      channel_->sendFrame(type, version, body);
      Frame reply = channel_->receiveFrame();
      if (reply.fd >= 0) {
        ::close(reply.fd);
        throw ProtocolError(msgTypeName(reply.type) +
                            ": the peer passed an unexpected file descriptor");
      }
      return reply;
    } catch (const ChannelTimeout& e) {
      fail(RequestError::Kind::Lost, e.what());
    } catch (const ChannelClosed& e) {
      // A kept connection may have been closed by the service meanwhile
      // (max_use, max_idle, a restart): once more, on a new one.
      if (!kept || reconnect == Reconnect::Never) fail(RequestError::Kind::Lost, e.what());
      disconnect();
    } catch (const ProtocolError& e) {
      fail(RequestError::Kind::Protocol, e.what());
    }
  }
}

}  // namespace posthorn::ipc
