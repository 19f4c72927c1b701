// cleanup_session - serves one client connection, message after message
#include "cleanup/cleanup_session.h"

#include <exception>

#include "lib/log/log.h"
#include "cleanup/cleanup_message.h"

namespace posthorn::cleanup {

CleanupSession::CleanupSession(const SessionSettings& settings, ipc::Channel channel,
                               std::string peer)
    : settings_(settings), channel_(std::move(channel)), peer_(std::move(peer)) {}

void CleanupSession::run() noexcept {
  try {
    while (serveOne()) {
    }
  } catch (const std::exception& e) {
    log::error("session with %s: %s", peer_.c_str(), e.what());
  }
}

bool CleanupSession::serveOne() {
  ipc::Frame open;
  channel_.setTimeout(settings_.idleTimeout);
  try {
    open = channel_.receiveFrame();
  } catch (const ipc::ChannelTimeout&) {
    log::debug("%s idle for %lld s: closing", peer_.c_str(),
               static_cast<long long>(settings_.idleTimeout.count()));
    return false;
  } catch (const ipc::ChannelClosed&) {
    return false;  // the client is done: the usual end
  } catch (const ipc::ProtocolError& e) {
    log::warning("malformed request from %s: %s; dropping the connection", peer_.c_str(), e.what());
    return false;
  }

  CleanupMessage message(settings_, channel_, peer_);
  try {
    const bool more = message.run(open);
    if (message.committed()) ++queued_;
    return more;
  } catch (const ipc::ChannelTimeout& e) {
    log::warning("%s: timeout reading from %s (%s); message discarded",
                 message.queueId().c_str(), peer_.c_str(), e.what());
  } catch (const ipc::ChannelClosed& e) {
    if (message.committed()) {
      // Queued, but the reply did not reach the client: it will retry, and
      // the message may arrive twice (the unavoidable window).
      ++queued_;
      log::warning("%s: queued, but %s went away before the reply: %s", message.queueId().c_str(),
                   peer_.c_str(), e.what());
    } else {
      log::info("%s: %s went away in the middle of a message; discarded",
                message.queueId().c_str(), peer_.c_str());
    }
  } catch (const ipc::ProtocolError& e) {
    log::warning("%s: malformed request from %s: %s; message discarded, connection dropped",
                 message.queueId().c_str(), peer_.c_str(), e.what());
  }
  return false;
}

}  // namespace posthorn::cleanup
