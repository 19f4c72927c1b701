// proto_anvil - the anvil protocol: per-client connection counts and event rates
//
// smtpd processes are many and short-lived, so what one client did across
// all of them is counted in one place, anvil(8), as Postfix does. An smtpd
// keeps one connection to anvil's private socket and sends an AnvilRequest
// for each event; anvil answers each with one AnvilReply, in order:
//
//   Connect     a client connected: its concurrent count goes up by one,
//               its connection rate too; the reply has both
//   Disconnect  that client left: its count goes down (the reply is empty)
//   Message     MAIL FROM: the reply has the message rate
//   Recipient   RCPT TO: the reply has the recipient rate
//   NewTls      a new TLS session (no resumption): the TLS session rate
//   Auth        AUTH: the AUTH rate
//
// A rate is the number of such events in the current window of
// anvil_rate_time_unit, this one included. anvil only counts; smtpd
// compares with its limits (smtpd_client_*_limit) and refuses. The client
// is named by `ident`, "service:address" ("smtp:192.0.2.7"). Counts that a
// connection to anvil added are taken back when that connection closes, so
// an smtpd that dies leaves no stale count behind. See anvil(8).
#pragma once

#include <cstdint>
#include <string>

#include "lib/ipc/ipc.h"

namespace posthorn::ipc {

// Bump on any change to the messages below.
inline constexpr std::uint32_t kAnvilProtoVersion = 1;

enum class AnvilEvent : std::uint32_t {
  Connect = 0,
  Disconnect = 1,
  Message = 2,
  Recipient = 3,
  NewTls = 4,
  Auth = 5,
};

// The codec rejects any other value.
inline bool ipcEnumValid(AnvilEvent event) {
  return static_cast<std::uint32_t>(event) <= static_cast<std::uint32_t>(AnvilEvent::Auth);
}

struct AnvilRequest {
  static constexpr MsgType kType = MsgType::AnvilRequest;
  static constexpr std::uint32_t kVersion = kAnvilProtoVersion;
  AnvilEvent event = AnvilEvent::Connect;
  std::string ident;  // "smtp:192.0.2.7"
  template <class V>
  void fields(V& v) {
    v("event", event);
    v("ident", ident);
  }
};

struct AnvilReply {
  static constexpr MsgType kType = MsgType::AnvilReply;
  static constexpr std::uint32_t kVersion = kAnvilProtoVersion;
  std::uint32_t count = 0;  // Connect: concurrent connections, this one included
  std::uint32_t rate = 0;   // the event's rate in the current window, this one included
  template <class V>
  void fields(V& v) {
    v("count", count);
    v("rate", rate);
  }
};

}  // namespace posthorn::ipc
