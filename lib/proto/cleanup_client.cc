// cleanup_client - the client side of proto_cleanup.h
#include "lib/proto/cleanup_client.h"

#include <exception>
#include <utility>

#include "lib/ipc/ipc.h"
#include "lib/ipc/ipc_stream.h"

namespace posthorn::cleanup {

ipc::CleanupReply CleanupClient::unavailableReply(const std::string& queueId) {
  ipc::CleanupReply r;
  r.code = 451;
  r.status = "4.3.0";
  r.text = "Error: queue file write error";
  r.queueId = queueId;
  return r;
}

CleanupClient::CleanupClient(std::string socketPath, ClientTimeouts timeouts)
    : client_(std::move(socketPath), "cleanup", {.connect = timeouts.connect, .io = timeouts.io}),
      replyTimeout_(timeouts.reply) {}

CleanupClient::~CleanupClient() = default;
CleanupClient::CleanupClient(CleanupClient&&) noexcept = default;
CleanupClient& CleanupClient::operator=(CleanupClient&&) noexcept = default;

void CleanupClient::failWith(const std::string& what) {
  if (error_.empty()) error_ = what;
  state_ = State::Failed;
  client_.disconnect();  // cleanup sees the connection close and discards the message
  buffer_.clear();
}

bool CleanupClient::open(std::uint32_t flags) {
  if (state_ == State::Failed) return false;
  if (state_ != State::Idle) return true;
  error_.clear();
  refusal_.reset();
  queueId_.clear();
  const std::string& path = client_.socketPath();
  try {
    // A connection kept from the last message may have gone stale
    // (cleanup exited meanwhile): the request client reconnects once.
    const ipc::Frame frame = client_.exchange(ipc::CleanupOpen{flags});
    if (frame.type == static_cast<std::uint32_t>(ipc::MsgType::CleanupReply)) {
      refusal_ = ipc::decode<ipc::CleanupReply>(frame);
      failWith("cleanup refused the message: " + refusal_->line());
      return false;
    }
    queueId_ = ipc::decode<ipc::CleanupOpened>(frame).queueId;
  } catch (const ipc::RequestError& e) {
    failWith("cleanup " + path + ": " + e.cause());
    return false;
  } catch (const ipc::ProtocolError& e) {
    failWith("cleanup " + path + ": " + e.what());
    return false;
  }
  state_ = State::Opened;
  sent_ = 0;
  buffer_.clear();
  return true;
}

bool CleanupClient::begin(const ipc::CleanupEnvelope& envelope, std::uint32_t flags) {
  if (state_ == State::Idle && !open(flags)) return false;
  if (state_ != State::Opened) {
    if (state_ != State::Failed) failWith("begin() called twice for one message");
    return false;
  }
  try {
    client_.channel().send(envelope);
  } catch (const std::exception& e) {
    failWith("cleanup " + client_.socketPath() + ": sending the envelope: " + e.what());
    return false;
  }
  state_ = State::Content;
  return true;
}

bool CleanupClient::write(std::string_view data) {
  if (state_ != State::Content) {
    if (state_ != State::Failed) failWith("write() before begin()");
    return false;
  }
  while (!data.empty()) {
    const std::size_t take = std::min(data.size(), ipc::kContentChunk - buffer_.size());
    buffer_.append(data.substr(0, take));
    data.remove_prefix(take);
    if (buffer_.size() == ipc::kContentChunk && !sendBuffered()) return false;
  }
  return true;
}

bool CleanupClient::sendBuffered() {
  if (buffer_.empty()) return true;
  try {
    ipc::ContentChunk chunk;
    chunk.data = std::move(buffer_);
    client_.channel().send(chunk);
    sent_ += chunk.data.size();
    buffer_ = std::move(chunk.data);
    buffer_.clear();
  } catch (const std::exception& e) {
    failWith("cleanup " + client_.socketPath() + ": sending the content: " + e.what());
    return false;
  }
  return true;
}

ipc::CleanupReply CleanupClient::finish(const ipc::CleanupAmend& amend) {
  ipc::CleanupReply reply = finishMessage(amend);
  // Ready for the next message (over a new connection after a failure).
  state_ = State::Idle;
  buffer_.clear();
  sent_ = 0;
  return reply;
}

ipc::CleanupReply CleanupClient::finishMessage(const ipc::CleanupAmend& amend) {
  if (state_ == State::Failed) return refusal_ ? *refusal_ : unavailableReply(queueId_);
  if (state_ != State::Content) {
    failWith("finish() before begin()");
    return unavailableReply(queueId_);
  }
  if (!sendBuffered()) return unavailableReply(queueId_);
  try {
    ipc::Channel& channel = client_.channel();
    if (!amend.empty()) channel.send(amend);
    channel.send(ipc::ContentEnd{sent_});
    channel.setTimeout(replyTimeout_);
    return channel.receive<ipc::CleanupReply>();  // the connection is kept for the next
  } catch (const std::exception& e) {
    failWith("cleanup " + client_.socketPath() + ": waiting for the reply: " + e.what());
    return unavailableReply(queueId_);
  }
}

void CleanupClient::abandon() {
  client_.disconnect();
  state_ = State::Idle;
  queueId_.clear();
  buffer_.clear();
  sent_ = 0;
  error_.clear();
  refusal_.reset();
}

}  // namespace posthorn::cleanup
