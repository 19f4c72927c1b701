// proto_pop3 - popd's handover from the login stage to the mailbox stage
//
// The login stage (chrooted, mail_owner) connects to the mailbox stage's
// private socket ($queue_directory/private/pop3-mailbox by default,
// popd_mailbox_service) once authd has said yes, and sends one
// Pop3Handover with the client's socket passed along (SCM_RIGHTS). For a
// TLS session the passed fd is one end of a socketpair, and the login
// stage stays on as the TLS proxy for the other end. The mailbox stage
// answers the client's PASS/AUTH itself ("+OK Logged in." or -ERR), so no
// reply frame exists: the login stage closes its end of the channel.
#pragma once

#include <cstdint>
#include <string>

#include "lib/ipc/ipc.h"

namespace posthorn::ipc {

// Bump on any change to the message below.
inline constexpr std::uint32_t kPop3ProtoVersion = 1;

struct Pop3Handover {
  static constexpr MsgType kType = MsgType::Pop3Handover;
  static constexpr std::uint32_t kVersion = kPop3ProtoVersion;
  std::string user;           // as authd's PassdbReply named it
  std::string clientAddress;  // "192.0.2.7", for the log
  bool tls = false;           // the client's connection is encrypted (by the login stage)
  std::string pending;        // client bytes read after the authenticating line (pipelining)
  template <class V>
  void fields(V& v) {
    v("user", user);
    v("client_address", clientAddress);
    v("tls", tls);
    v("pending", pending);
  }
};

}  // namespace posthorn::ipc
