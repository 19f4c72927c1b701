// cleanup_message - one message through cleanup, from CleanupOpen to the
// reply (see cleanup_session.h for the story, proto_cleanup.h for the
// frames)
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "lib/ipc/ipc.h"
#include "lib/proto/proto_cleanup.h"
#include "lib/queue/queue_envelope.h"
#include "lib/queue/queue_error.h"
#include "lib/queue/queue_file_writer.h"
#include "cleanup/cleanup_arc.h"
#include "cleanup/cleanup_dkim.h"
#include "cleanup/cleanup_headers.h"
#include "cleanup/cleanup_settings.h"

namespace posthorn::cleanup {

class CleanupMessage {
 public:
  CleanupMessage(const SessionSettings& settings, ipc::Channel& channel, const std::string& peer);
  ~CleanupMessage();
  CleanupMessage(const CleanupMessage&) = delete;
  CleanupMessage& operator=(const CleanupMessage&) = delete;

  // Takes the message that `open` (a CleanupOpen frame) starts; returns
  // whether the connection may carry another one. Throws
  // ipc::ProtocolError or ipc::ChannelClosed (timeouts included) when the
  // client must be dropped; the temporary file is gone by then.
  bool run(const ipc::Frame& open);

  bool committed() const { return committed_; }
  // The queue ID, or "NOQUEUE" before one was assigned (for log lines).
  std::string queueId() const { return id(); }

 private:
  struct Outcome {
    std::uint32_t code;
    std::string status, text;
  };

  ipc::Frame receive();
  void receiveContent();
  void feed(std::string_view data);
  void finishContent();
  void commit();
  void reverseSrsRecipients(queue::Envelope& envelope);
  // Address rewriting (cleanup_rewrite.h); false when the message failed.
  bool rewriteEnvelope(queue::Envelope& envelope);
  void fail(Outcome outcome, std::string logDetail);
  void writeError(const queue::QueueFileError& e);
  bool reply(const Outcome& outcome);
  const char* id() const;

  const SessionSettings& settings_;
  ipc::Channel& channel_;
  const std::string& peer_;
  std::chrono::steady_clock::time_point deadline_;
  std::uint32_t flags_ = 0;
  std::unique_ptr<queue::QueueFileWriter> writer_;
  std::string queueId_;
  ipc::CleanupEnvelope envelope_;
  std::optional<ipc::CleanupAmend> amend_;
  std::unique_ptr<HeaderFilter> filter_;
  std::unique_ptr<DkimStage> dkim_;  // signing, when asked and configured
  std::unique_ptr<ArcStage> arc_;    // an ARC set on a forward, when configured
  std::uint64_t received_ = 0;
  std::size_t envelopeRecipients_ = 0;  // as committed
  std::uint64_t limit_ = 0;
  std::optional<Outcome> failure_;
  std::string headerRewriteError_;  // a table lookup of header rewriting failed
  bool committed_ = false;
};

}  // namespace posthorn::cleanup
