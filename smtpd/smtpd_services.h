// smtpd_services - what an SMTP session needs from the world, as interfaces
//
// The session (smtpd_session.h) is a pure protocol engine: bytes in,
// replies out. Everything else reaches it through these interfaces, so
// that unit tests drive it with fakes (test/unit/smtpd_fakes.h) and the
// daemon plugs in the real services (smtpd_cleanup_sink.h over
// lib/proto/cleanup_client.h, smtpd_lookups.h over the resolver, mapd and authd).
// Client networks (mynetworks) need no service: Policy matches them itself.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "lib/address/address.h"
#include "lib/address/address_resolver.h"
#include "lib/proto/proto_cleanup.h"
#include "lib/proto/proto_passdb.h"
#include "lib/queue/queue_envelope.h"
#include "smtpd/smtp_reply.h"

namespace posthorn::smtpd {

// A message sink failed; reply() is what the client is told (a 4xx unless
// cleanup rejected the message for good).
class SinkError : public std::runtime_error {
 public:
  SinkError(const std::string& what, Reply reply)
      : std::runtime_error(what), reply_(std::move(reply)) {}
  const Reply& reply() const { return reply_; }

 private:
  Reply reply_;
};

// One message on its way into the queue (a cleanup session). The content
// is the message as received, dot-unstuffed, lines ending in CRLF (BDAT
// content as sent), starting with smtpd's Received: header.
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  // The queue ID cleanup assigned when the session opened.
  virtual const std::string& queueId() const = 0;
  // Throws SinkError; after that only abort() may be called.
  virtual void write(std::string_view content) = 0;
  // The end of the content, with what was learned at the end (header
  // fields to put on top, envelope attributes): waits for cleanup's
  // verdict. A 2xx reply means the queue file is on disk (fsync, rename,
  // directory fsync). Throws SinkError when cleanup could not be asked.
  virtual Reply finish(const ipc::CleanupAmend& amend) = 0;
  // Drops the message: no queue file remains. Never throws.
  virtual void abort() noexcept = 0;
};

class MessageSinkFactory {
 public:
  virtual ~MessageSinkFactory() = default;
  // Opens a cleanup session for the envelope; throws SinkError. `sign`:
  // the client is one of ours (SASL-authenticated or in mynetworks), so
  // cleanup DKIM-signs the message (cleanup_flags::kSign).
  virtual std::unique_ptr<MessageSink> open(const queue::Envelope& envelope, bool sign) = 0;
};

// A lookup could not be answered (a service down, a table unreadable):
// the client gets a 4xx, never a "no such user".
class LookupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Lookups {
 public:
  virtual ~Lookups() = default;
  // The resolver's verdict on a recipient (lib/address/address_resolver.h); table
  // failures come back as AddressClass::TempFail, never as an exception.
  virtual address::Resolution resolve(const address::Address& recipient) = 0;
  // Whether the user database (authd userdb) knows the address (system
  // users for local domains, virtual users). Throws LookupError.
  virtual bool userExists(std::string_view address) = 0;
  // A table lookup ("hash:/etc/mail/aliases", key), through mapd. Throws
  // LookupError.
  virtual std::optional<std::string> tableLookup(std::string_view table, std::string_view key) = 0;
};

// authd could not answer a SASL step (down, gone in the middle, timed out):
// the client gets 454 4.7.0, never a hang.
class AuthUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The SASL side of a session: authd's passdb (smtpd_authenticator.h), or a
// fake. One conversation at a time; the data is decoded (not base64).
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // Both throw AuthUnavailable.
  virtual ipc::PassdbReply start(const ipc::PassdbAuth& request) = 0;
  virtual ipc::PassdbReply next(const std::string& response) = 0;
};

// The connection under a session: where replies go.
class SessionIo {
 public:
  virtual ~SessionIo() = default;
  // Queues bytes for the client; they are sent when the session returns
  // to the event loop (after all buffered input was processed: PIPELINING).
  virtual void send(std::string_view bytes) = 0;
  // Starts the TLS handshake after what was sent so far (STARTTLS); the
  // connection reports back with Session::tlsEstablished or tlsFailed.
  virtual void startTls() = 0;
  // Sends what is queued, then closes; the connection then calls
  // Session::closed(). Called at most once.
  virtual void close() = 0;
};

}  // namespace posthorn::smtpd
