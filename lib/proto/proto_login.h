// proto_login - what a login stage hands its mailbox stage with an authenticated client
//
// popd and imapd alike (lib/proto/proto_pop3.h, lib/proto/proto_imap.h):
// once authd has said yes, the login stage (chrooted, mail_owner) connects
// to the mailbox stage's private socket and sends one handover message
// with the client's socket passed along (SCM_RIGHTS), or one end of a
// socketpair when it stays on as the TLS proxy (lib/login/client_handover.h).
// The mailbox stage answers the login command itself once it has the
// mailbox, so no reply frame exists. Each protocol sends these fields as
// its own message type, with the version its header keeps, so that a
// mailbox stage takes only its own login stage's handovers.
#pragma once

#include <cstdint>
#include <string>

#include "lib/ipc/ipc.h"

namespace posthorn::ipc {

// A change to these fields is a change to both messages: bump
// kPop3ProtoVersion and kImapProtoVersion.
struct LoginHandover {
  std::string user;           // as authd's PassdbReply named it
  std::string clientAddress;  // "192.0.2.7", for the log
  bool tls = false;           // the client's connection is encrypted (by the login stage)
  std::string tag;            // IMAP: the LOGIN/AUTHENTICATE command's tag, answered by the mailbox stage
  std::string clientId;       // IMAP: what the client said in ID before the login, for the log
  std::string pending;        // client bytes read after the authenticating command (pipelining)
  template <class V>
  void fields(V& v) {
    v("user", user);
    v("client_address", clientAddress);
    v("tls", tls);
    v("tag", tag);
    v("client_id", clientId);
    v("pending", pending);
  }
};

// LoginHandover as one protocol's message (ipc.h).
template <MsgType Type, std::uint32_t Version>
struct LoginHandoverMessage : LoginHandover {
  static constexpr MsgType kType = Type;
  static constexpr std::uint32_t kVersion = Version;
};

}  // namespace posthorn::ipc
