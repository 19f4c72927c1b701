// smtp_session - one SMTP conversation with one server: greeting, EHLO,
// STARTTLS, AUTH, then any number of mail transactions
//
//   SmtpSession s(std::move(stream), peer, settings, tlsContext, credentials);
//   s.open();                               // throws SessionError
//   Transaction t{.mailFrom = ..., .rcpts = ..., .content = ...};
//   TransactionResult r = s.send(t);        // per-recipient replies
//   s.quit();
//
// PIPELINING (RFC 2920): MAIL, every RCPT and DATA go out in one write and
// the replies are read in order. A SessionError carries the stage, the
// reply (if any) and a Postfix-style text ("host mx[192.0.2.1] said: 550
// ... (in reply to MAIL FROM command)"); after one the session is unusable.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "smtp/smtp_reply.h"
#include "smtp/smtp_settings.h"
#include "smtp/smtp_dane.h"
#include "smtp/smtp_stream.h"

namespace posthorn::smtp {

// Where we are connected: "mx.example.com", "192.0.2.1", 25.
struct Peer {
  std::string hostname;
  std::string address;
  int port = 25;
  PeerTls tls;  // how TLS is used with this host (smtp_tls_security_level, DANE)
  // "mx.example.com[192.0.2.1]:25" (relay= in the log).
  std::string relay() const;
  std::string hostAddr() const { return hostname + "[" + address + "]"; }
};

struct Credentials {
  std::string user, password;
};

class SessionError : public std::runtime_error {
 public:
  SessionError(const std::string& text, std::optional<Reply> reply, bool beforeAnyReply = false)
      : std::runtime_error(text), reply_(std::move(reply)), beforeAnyReply_(beforeAnyReply) {}
  const std::optional<Reply>& reply() const { return reply_; }
  // 5 for a 5xx reply (or a permanent local decision), else 4.
  int kind() const { return reply_ && reply_->kind() == 5 ? 5 : 4; }
  std::string dsnStatus() const { return reply_ ? reply_->dsnStatus() : "4.4.2"; }
  // The connection failed before the server said anything in this
  // transaction (a cached connection the server had closed).
  bool beforeAnyReply() const { return beforeAnyReply_; }

 private:
  std::optional<Reply> reply_;
  bool beforeAnyReply_;
};

struct Transaction {
  std::string mailFrom;                  // "MAIL FROM:<...> SIZE=... BODY=..."
  std::vector<std::string> rcptCommands; // "RCPT TO:<...> NOTIFY=..."
  // Fills *chunk with the next piece of wire data (dot-stuffed, CRLF,
  // ending with ".\r\n"); false at the end.
  std::function<bool(std::string* chunk)> content;
};

struct TransactionResult {
  std::vector<Reply> rcptReplies;  // one per rcptCommands entry
  std::optional<Reply> dataReply;  // the end-of-data reply (or DATA's refusal)
  bool dataRefused = false;        // DATA itself got no 354
};

// What became of TLS in SmtpSession::open, for TLS-RPT (tls_rpt_log.h).
struct TlsAttempt {
  bool tried = false;   // TLS was tried or required on this connection
  std::string result;   // "success" or an RFC 8460 4.3 result type
  std::string reason;   // a failure in words
};

class SmtpSession {
 public:
  SmtpSession(std::unique_ptr<SmtpStream> stream, Peer peer, const Settings& settings,
              const tls::Context* tlsContext, std::optional<Credentials> credentials);

  // Greeting, EHLO (HELO when EHLO is refused), STARTTLS per policy, AUTH.
  // A failed TLS handshake at level "may" throws with tlsFailed() set so
  // the caller can try again without TLS.
  void open(bool allowTls = true);
  // One mail transaction. Throws SessionError for a MAIL FROM refusal (with
  // its reply) or a broken connection.
  TransactionResult send(const Transaction& t);
  // RSET before reusing the connection; false when it failed.
  bool reset();
  void quit();  // best effort

  const Capabilities& capabilities() const { return caps_; }
  const Peer& peer() const { return peer_; }
  bool tlsActive() const { return stream_->secure(); }
  bool tlsFailed() const { return tlsFailed_; }
  const TlsAttempt& tlsAttempt() const { return tlsAttempt_; }
  std::string localAddress() const { return stream_->localAddress(); }
  bool usable() const { return usable_; }
  int transactions() const { return transactions_; }
  bool hasPendingInput() { return stream_->hasPendingInput(); }

 private:
  Reply command(const std::string& line, std::chrono::seconds timeout, const char* stage);
  Reply read(std::chrono::seconds timeout, const char* stage);
  [[noreturn]] void streamFailed(const StreamError& e, const char* stage, bool beforeAnyReply = false);
  [[noreturn]] void refused(const Reply& r, const char* stage);
  // A TLS requirement not met: 450 with `enhanced` (4.7.4, 4.7.5); the
  // mail is deferred, never bounced.
  [[noreturn]] void tlsNotMet(const char* enhanced, const std::string& why);
  void ehlo();
  void authenticate();

  std::unique_ptr<SmtpStream> stream_;
  Peer peer_;
  const Settings& settings_;
  const tls::Context* tlsContext_;
  std::optional<Credentials> credentials_;
  Capabilities caps_;
  bool usable_ = false;
  bool tlsFailed_ = false;
  TlsAttempt tlsAttempt_;
  int transactions_ = 0;
};

// xtext (RFC 3461 4): "+" and characters outside 33..126 and "=" as "+XX".
std::string xtext(std::string_view text);

}  // namespace posthorn::smtp
