// smtpd_limits - per-client connection count and event rates, through anvil(8)
//
// Postfix's smtpd_client_*_limit parameters with Postfix's meanings: at
// connect the client's concurrent connections (count) and connections in
// the current window (rate), at MAIL its messages, at RCPT its recipients,
// after a TLS handshake its new TLS sessions, at AUTH its AUTH commands,
// each counted by anvil across every smtpd process and each compared with
// its limit here (0 = none). A client in smtpd_client_event_limit_exceptions
// ($mynetworks) is never counted. Over a limit, the client gets Postfix's
// reply and smtpd logs Postfix's warning, word for word (pflogsumm lists
// them; fail2ban's stock postfix filter has no rule for them, as for
// Postfix's, and doc/client-limits.md gives a jail's failregex):
//
//   421 4.7.0 HOST Error: too many connections from ADDR
//   warning: Connection concurrency limit exceeded: 3 from host[addr] for service smtp
//   warning: Connection rate limit exceeded: 4 from host[addr] for service smtp
//   450 4.7.1 Error: too much mail from ADDR          (Message delivery request rate ...)
//   450 4.7.1 Error: too many recipients from ADDR    (Recipient address rate ...)
//   421 4.7.0 HOST Error: too many new TLS sessions from ADDR
//   450 4.7.1 Error: too many AUTH commands from ADDR
//
// anvil not reachable (no anvil line in master.conf, or anvil down): one
// warning per smtpd process, and the client is served (as Postfix does).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "lib/address/cidr.h"
#include "lib/proto/anvil_client.h"
#include "smtpd/smtp_reply.h"
#include "smtpd/smtpd_settings.h"

namespace posthorn::smtpd {

enum class LimitEvent { Connect, Message, Recipient, NewTls, Auth };

// What the session asks; tests plug in their own.
class ClientLimits {
 public:
  virtual ~ClientLimits() = default;
  // Counts one event of the client at `address` ("host[addr]" in the log:
  // `namaddr`) and returns the refusal when it goes over its limit.
  virtual std::optional<Reply> check(LimitEvent event, const std::string& address,
                                     const std::string& namaddr) = 0;
  // The client whose Connect was counted has gone; harmless otherwise.
  virtual void disconnect(const std::string& address) = 0;
};

// The counts of one event as anvil answers them; throws anvil::AnvilError.
class EventCounter {
 public:
  virtual ~EventCounter() = default;
  virtual ipc::AnvilReply count(ipc::AnvilEvent event, const std::string& address) = 0;
};

// One limit's refusal: the warning's "WHAT limit exceeded", the reply.
struct Refusal {
  const char* what;      // "Connection rate"
  int code;              // 421
  const char* enhanced;  // "4.7.0"
  bool withHost;         // the reply text starts with myhostname
  const char* text;      // "Error: too many connections from " (the address follows)
};

class AnvilLimits : public ClientLimits {
 public:
  // `service`: the master.conf service name (the log's "for service smtp").
  // Throws config::ConfigError for a bad smtpd_client_event_limit_exceptions.
  AnvilLimits(const Settings& settings, std::string service, std::unique_ptr<EventCounter> counter);
  // The usual counter: anvil at `socketPath` (anvil::kAnvilService).
  static std::unique_ptr<EventCounter> anvilCounter(std::string socketPath, std::string service);

  std::optional<Reply> check(LimitEvent event, const std::string& address,
                             const std::string& namaddr) override;
  void disconnect(const std::string& address) override;

 private:
  int limitOf(LimitEvent event) const;
  Reply refuse(const Refusal& r, std::uint32_t value, const std::string& address,
               const std::string& namaddr) const;

  const Settings& settings_;
  std::string service_;
  std::unique_ptr<EventCounter> counter_;
  address::CidrList exceptions_;
  std::map<std::string, unsigned> connected_;  // Connects that anvil counted
  bool warned_ = false;                         // anvil unreachable: said once
};

}  // namespace posthorn::smtpd
