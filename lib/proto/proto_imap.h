// proto_imap - imapd's handover from the login stage to the mailbox stage
//
// As popd's (lib/proto/proto_pop3.h): the login stage (chrooted, mail_owner)
// connects to $queue_directory/private/imap-mailbox (imapd_mailbox_service)
// once authd has said yes and sends one ImapHandover with the client's
// socket (SCM_RIGHTS), or one end of a socketpair when it stays on as the
// TLS proxy. The mailbox stage sends the tagged OK of the LOGIN or
// AUTHENTICATE itself, once it has the mailbox; no reply frame exists.
#pragma once

#include <cstdint>
#include <string>

#include "lib/ipc/ipc.h"

namespace posthorn::ipc {

// Bump on any change to the message below.
inline constexpr std::uint32_t kImapProtoVersion = 1;

struct ImapHandover {
  static constexpr MsgType kType = MsgType::ImapHandover;
  static constexpr std::uint32_t kVersion = kImapProtoVersion;
  std::string user;           // as authd's PassdbReply named it
  std::string clientAddress;  // "192.0.2.7", for the log
  bool tls = false;           // the client's connection is encrypted (by the login stage)
  std::string tag;            // the LOGIN/AUTHENTICATE command's tag, answered by the mailbox stage
  std::string clientId;       // what the client said in ID before the login, for the log
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

}  // namespace posthorn::ipc
