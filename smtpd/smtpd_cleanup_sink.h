// smtpd_cleanup_sink - MessageSink over lib/proto/cleanup_client.h: smtpd's way
// into the queue
//
// One CleanupClient per smtpd process (a process serves one client at a
// time), so consecutive messages reuse one connection to cleanup.
#pragma once

#include <memory>
#include <string>

#include "lib/proto/cleanup_client.h"
#include "smtpd/smtpd_services.h"

namespace posthorn::smtpd {

// The envelope as cleanup's protocol carries it.
ipc::CleanupEnvelope toCleanupEnvelope(const queue::Envelope& envelope);

class CleanupSinkFactory : public MessageSinkFactory {
 public:
  explicit CleanupSinkFactory(std::string socketPath);
  std::unique_ptr<MessageSink> open(const queue::Envelope& envelope, bool sign) override;

 private:
  cleanup::CleanupClient client_;
};

}  // namespace posthorn::smtpd
