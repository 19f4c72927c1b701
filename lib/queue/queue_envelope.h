// queue_envelope - what a queue file says about a message, besides its bytes
//
// The envelope as cleanup received it (MAIL FROM and its ESMTP parameters,
// the client, RCPT TO with DSN parameters), plus each recipient's delivery
// progress, which qmgr updates in place (QueueFile). Strings are raw bytes
// as received (SMTPUTF8 addresses are UTF-8); xtext (ENVID, ORCPT) is stored
// decoded.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace posthorn::queue {

// Microsecond wall-clock time; the epoch (0) means "not set".
using Time = std::chrono::sys_time<std::chrono::microseconds>;
Time now();

// RET= of MAIL FROM (RFC 3461).
enum class Ret : std::uint8_t { Unspecified = 0, Full = 1, Headers = 2 };
// BODY= of MAIL FROM (RFC 6152, RFC 3030).
enum class BodyType : std::uint8_t { Unspecified = 0, SevenBit = 1, EightBitMime = 2, BinaryMime = 3 };

// NOTIFY= of RCPT TO (RFC 3461), a bit set; 0 = not given (which means
// FAILURE,DELAY). NEVER is exclusive of the others.
namespace notify {
inline constexpr std::uint8_t kNever = 0x01;
inline constexpr std::uint8_t kSuccess = 0x02;
inline constexpr std::uint8_t kFailure = 0x04;
inline constexpr std::uint8_t kDelay = 0x08;
inline constexpr std::uint8_t kAll = kNever | kSuccess | kFailure | kDelay;
}  // namespace notify

// Where a recipient stands. Todo: still to be delivered (maybe deferred,
// see attempts and nextRetry). Every other state is final ("done"); its
// value is the RFC 3464 Action a DSN would report.
enum class RecipientState : std::uint8_t {
  Todo = 0,
  Delivered = 1,  // into a mailbox, or accepted by a DSN-capable next hop
  Relayed = 2,    // accepted by a next hop that does not do DSN
  Expanded = 3,   // an alias or list, resubmitted as new messages
  Failed = 4,     // permanently: a bounce is due
};
inline constexpr std::uint8_t kMaxRecipientState = 4;
std::string_view recipientStateName(RecipientState state);  // "todo", "delivered", ...

// The mutable part of a recipient, kept in its status slots.
struct RecipientStatus {
  RecipientState state = RecipientState::Todo;
  std::uint32_t attempts = 0;           // delivery attempts so far
  std::chrono::sys_seconds nextRetry{};  // not before; epoch = at once
  bool delayWarned = false;             // a delay DSN has been sent
  bool done() const { return state != RecipientState::Todo; }
  bool operator==(const RecipientStatus&) const = default;
};

// The newest result of a delivery attempt, for DSNs and mailq (RFC 3464
// per-recipient fields). Appended as an update record; never in place.
struct DeliveryReport {
  Time time{};             // when it was recorded (Last-Attempt-Date)
  std::string dsnStatus;   // Status: "4.4.1"
  std::string diagnostic;  // Diagnostic-Code: "smtp; 450 4.2.0 Mailbox busy"
  std::string remoteMta;   // Remote-MTA: "dns; mx.example.com"
  bool empty() const { return dsnStatus.empty() && diagnostic.empty() && remoteMta.empty(); }
  bool operator==(const DeliveryReport&) const = default;
};

struct Recipient {
  std::string address;          // as it will be delivered to
  std::string orcpt;            // ORCPT, "rfc822;user@example.com"; empty if not given
  std::uint8_t notify = 0;      // notify:: bits
  std::string originalAddress;  // as the client gave it, before rewriting
  RecipientStatus status;
  DeliveryReport report;
  bool operator==(const Recipient&) const = default;
};

struct ClientInfo {
  std::string address;       // "192.0.2.7", "2001:db8::7"; empty for local submission
  std::string name;          // verified reverse name, or "unknown"
  std::string helo;          // HELO/EHLO argument
  std::string protocol;      // "SMTP", "ESMTP", "ESMTPS", "ESMTPSA", "LOCAL", ...
  std::string tlsProtocol;   // "TLSv1.3"; empty without TLS
  std::string tlsCipher;     // "TLS_AES_256_GCM_SHA384"
  std::string saslMethod;    // "PLAIN", "SCRAM-SHA-256"; empty if not authenticated
  std::string saslUsername;
  bool operator==(const ClientInfo&) const = default;
};

// Attribute: deliver into the recipient's Junk folder (local(8),
// local_junk_folder); the value says why ("dmarc: p=quarantine of example.com").
inline constexpr std::string_view kJunkAttribute = "junk";

struct Envelope {
  std::string sender;  // MAIL FROM address; empty = the null sender <>
  Time arrival{};
  std::string envid;  // ENVID (decoded); empty if not given
  Ret ret = Ret::Unspecified;
  BodyType body = BodyType::Unspecified;
  bool smtputf8 = false;
  std::string auth;  // AUTH= of MAIL FROM; empty if absent, "<>" if given as <>
  ClientInfo client;
  // Header fields (whole lines, LF-ended) that go before the content when
  // the message leaves the queue: what was learned only at the end of the
  // content (Authentication-Results). Empty for most messages.
  std::string prependedHeader;
  // Named attributes for what later code needs to remember (in order;
  // names may repeat). Names are non-empty.
  std::vector<std::pair<std::string, std::string>> attributes;
  std::vector<Recipient> recipients;

  // The first attribute with that name, or nullptr.
  const std::string* attribute(std::string_view name) const;
  bool allDone() const;
  bool operator==(const Envelope&) const = default;
};

}  // namespace posthorn::queue
