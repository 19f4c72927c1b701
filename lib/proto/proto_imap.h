// proto_imap - imapd's handover from the login stage to the mailbox stage
//
// As popd's (lib/proto/proto_pop3.h): the login stage (chrooted, mail_owner)
// connects to $queue_directory/private/imap-mailbox (imapd_mailbox_service)
// once authd has said yes and sends one ImapHandover (the fields are in
// lib/proto/proto_login.h) with the client's socket (SCM_RIGHTS), or one
// end of a socketpair when it stays on as the TLS proxy. The mailbox stage
// sends the tagged OK of the LOGIN or AUTHENTICATE itself, once it has the
// mailbox.
#pragma once

#include <cstdint>

#include "lib/proto/proto_login.h"

namespace posthorn::ipc {

// Bump on any change to the message (its fields are in proto_login.h).
inline constexpr std::uint32_t kImapProtoVersion = 1;

using ImapHandover = LoginHandoverMessage<MsgType::ImapHandover, kImapProtoVersion>;

}  // namespace posthorn::ipc
