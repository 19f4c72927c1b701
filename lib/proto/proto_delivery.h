// proto_delivery - how qmgr hands recipients to a delivery agent
//
// qmgr connects to the agent's private socket ($queue_directory/private/
// TRANSPORT, e.g. private/local) and sends one DeliveryRequest per message
// and next hop: the queue file (the agent opens it itself) and the
// recipients to deliver. The agent answers with one DeliveryResult per
// recipient, in the order given, as soon as each one is decided.
//
// Who writes what into the queue file: the agent marks a recipient
// Delivered or Expanded itself (QueueFile::markDone, fdatasync) before it
// answers for it, holding the file's update lock for the whole request;
// qmgr records Deferred and Failed once the request is over. So a kill of
// qmgr or of the agent at any instant repeats at most the one recipient
// the agent was copying; a recipient already marked done is answered
// Delivered without a second copy; and a request for a file that an agent
// of a killed qmgr still holds waits for that agent to finish.
//
//   qmgr                                   agent
//   DeliveryRequest {queue file, rcpts} -->
//                                       <-- DeliveryResult {index 0, ...}
//                                       <-- DeliveryResult {index 1, ...}
//
// The connection then carries the next request or is closed. A connection
// lost before every result arrived means "deferred, agent failed" for the
// recipients without one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/ipc/ipc.h"

namespace posthorn::ipc {

inline constexpr std::uint32_t kDeliveryProtoVersion = 2;

// What became of one recipient.
enum class DeliveryOutcome : std::uint32_t {
  Delivered = 0,  // in its mailbox, or accepted by the next hop
  Deferred = 1,   // try again later (4.x.x)
  Failed = 2,     // permanently (5.x.x): a bounce is due
  Expanded = 3,   // an alias or .forward: its targets took over
};
inline bool ipcEnumValid(DeliveryOutcome o) {
  return static_cast<std::uint32_t>(o) <= static_cast<std::uint32_t>(DeliveryOutcome::Expanded);
}
inline std::string_view deliveryOutcomeName(DeliveryOutcome o) {
  switch (o) {
    case DeliveryOutcome::Delivered: return "sent";
    case DeliveryOutcome::Deferred: return "deferred";
    case DeliveryOutcome::Failed: return "bounced";
    case DeliveryOutcome::Expanded: return "expanded";
  }
  return "unknown";
}

struct DeliveryRecipient {
  std::uint32_t index = 0;      // the recipient's position in the queue file
  std::string address;          // as it will be delivered to
  std::string originalAddress;  // as the client gave it (orig_to= in logs)
  template <class V>
  void fields(V& v) {
    v("index", index);
    v("address", address);
    v("original_address", originalAddress);
  }
};

struct DeliveryRequest {
  static constexpr MsgType kType = MsgType::DeliveryRequest;
  static constexpr std::uint32_t kVersion = kDeliveryProtoVersion;
  std::string queueId;
  std::string queueFile;  // relative to queue_directory: "active/<id>"
  std::string nexthop;    // from the address resolver: "$myhostname", "example.com"
  std::vector<DeliveryRecipient> recipients;
  template <class V>
  void fields(V& v) {
    v("queue_id", queueId);
    v("queue_file", queueFile);
    v("nexthop", nexthop);
    v("recipients", recipients);
  }
};

struct DeliveryResult {
  static constexpr MsgType kType = MsgType::DeliveryResult;
  static constexpr std::uint32_t kVersion = kDeliveryProtoVersion;
  std::uint32_t index = 0;  // as in the request
  DeliveryOutcome outcome = DeliveryOutcome::Deferred;
  std::string dsnStatus;   // "2.0.0", "4.2.2", "5.1.1"
  std::string text;        // "delivered to maildir", "mailbox full"
  std::string relay;       // relay= in the log: "local", "mx.example.com[192.0.2.1]:25"
  // For a DSN (RFC 3464), when the next hop answered: Diagnostic-Code as
  // "smtp; 550 5.1.1 <x>: unknown user" and the Remote-MTA host name.
  // Empty: qmgr uses text (and the relay) instead.
  std::string diagnostic;
  std::string remoteMta;
  template <class V>
  void fields(V& v) {
    v("index", index);
    v("outcome", outcome);
    v("dsn_status", dsnStatus);
    v("text", text);
    v("relay", relay);
    v("diagnostic", diagnostic);
    v("remote_mta", remoteMta);
  }
};

}  // namespace posthorn::ipc
