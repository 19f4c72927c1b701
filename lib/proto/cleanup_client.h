// cleanup_client - how smtpd and pickup hand a message to cleanup(8)
//
//   cleanup::CleanupClient c(ipc::servicePath(queueDir, chrooted, cleanup::kCleanupService));
//   c.open();                       // optional: at MAIL FROM, for the queue ID
//   log("%s: client=...", c.queueId().c_str());
//   c.begin(envelope);              // opens first if open() was not called
//   while (...) c.write(chunk);     // any sizes; sent in bounded frames
//   ipc::CleanupReply r = c.finish();
//   reply(r.line());                // "250 2.0.0 Ok: queued as ..." only when on disk
//
// Nothing throws: after the first failure (cleanup unreachable, a timeout,
// the connection lost) the other calls for that message do nothing and
// return false, and finish() returns 451 4.3.0 (error() says what
// happened, for the log), or the reply cleanup refused the message with. A message that is not
// finished is abandoned when the client is destroyed or abandon() is
// called: cleanup removes its temporary file.
//
// After finish() the same client can send the next message over the same
// connection; when that connection turns out to be gone (cleanup exited
// after max_idle) open() reconnects once.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lib/ipc/request_client.h"
#include "lib/ipc/service_path.h"
#include "lib/proto/proto_cleanup.h"

namespace posthorn::cleanup {

// cleanup's socket: QUEUE_DIR/public/cleanup (ipc::servicePath).
inline constexpr ipc::ServiceName kCleanupService{ipc::Visibility::Public, "cleanup"};

struct ClientTimeouts {
  std::chrono::milliseconds connect{std::chrono::seconds(10)};
  // One send, or the wait for CleanupOpened.
  std::chrono::milliseconds io{std::chrono::seconds(300)};
  // The wait for the final reply (the commit's fsyncs happen then).
  std::chrono::milliseconds reply{std::chrono::seconds(600)};
};

class CleanupClient {
 public:
  explicit CleanupClient(std::string socketPath, ClientTimeouts timeouts = {});
  ~CleanupClient();
  CleanupClient(CleanupClient&&) noexcept;
  CleanupClient& operator=(CleanupClient&&) noexcept;
  CleanupClient(const CleanupClient&) = delete;
  CleanupClient& operator=(const CleanupClient&) = delete;

  // Connects when needed and starts a message (flags: ipc::cleanup_flags).
  bool open(std::uint32_t flags = 0);
  // The message's queue ID once open() succeeded; "" otherwise.
  const std::string& queueId() const { return queueId_; }

  // Sends the envelope (calls open(flags) first when needed).
  bool begin(const ipc::CleanupEnvelope& envelope, std::uint32_t flags = 0);
  // Content, in any pieces; sent in frames of ipc::kContentChunk bytes.
  bool write(std::string_view data);
  // Sends the rest (and the amendment, when not empty) and waits for
  // cleanup's reply. Returns 451 4.3.0 when anything failed on the way.
  ipc::CleanupReply finish(const ipc::CleanupAmend& amend = {});
  // Drops the message (and the connection).
  void abandon();

  bool failed() const { return state_ == State::Failed; }
  // What went wrong, for the log ("" when nothing did).
  const std::string& error() const { return error_; }
  std::uint64_t bytesWritten() const { return sent_ + buffer_.size(); }

  // The reply that stands for "could not hand the message to cleanup".
  static ipc::CleanupReply unavailableReply(const std::string& queueId = "");

 private:
  enum class State { Idle, Opened, Content, Failed };

  ipc::CleanupReply finishMessage(const ipc::CleanupAmend& amend);
  bool sendBuffered();
  void failWith(const std::string& what);

  ipc::RequestClient client_;
  std::chrono::milliseconds replyTimeout_;
  State state_ = State::Idle;
  std::string queueId_;
  std::string buffer_;
  std::uint64_t sent_ = 0;
  std::string error_;
  std::optional<ipc::CleanupReply> refusal_;  // cleanup's own refusal at open
};

}  // namespace posthorn::cleanup
