// cleanup_session - one client connection to cleanup: messages in, queue
// files out (the protocol is in lib/proto/proto_cleanup.h)
//
// For each message: CleanupOpen creates the temporary queue file and
// answers its queue ID; the envelope and the content follow; the content
// goes through the HeaderFilter straight into the QueueFileWriter, so a
// 50 MB message costs a frame or two of memory. After ContentEnd the
// session commits (fsync, rename into incoming/, fsync of the directory),
// pokes qmgr, logs, and only then replies 250. A message that cannot be
// queued (too big, a bad header, a write error, an envelope it cannot
// store) is answered with the reply to pass on, after the rest of its
// content has been read and thrown away, so that the client is never stuck
// writing. A client that goes away, stalls past the timeouts, or sends a
// malformed frame is dropped, and its temporary file removed: nothing is
// left half-done.
#pragma once

#include <string>

#include "lib/ipc/ipc.h"
#include "lib/proto/proto_cleanup.h"
#include "cleanup/cleanup_settings.h"

namespace posthorn::cleanup {

class CleanupSession {
 public:
  CleanupSession(const SessionSettings& settings, ipc::Channel channel, std::string peer);

  // Serves messages until the client closes the connection or is dropped.
  // Never throws.
  void run() noexcept;

  int messagesQueued() const { return queued_; }

 private:
  bool serveOne();

  const SessionSettings& settings_;
  ipc::Channel channel_;
  std::string peer_;
  int queued_ = 0;
};

}  // namespace posthorn::cleanup
