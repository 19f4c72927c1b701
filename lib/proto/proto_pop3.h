// proto_pop3 - popd's handover from the login stage to the mailbox stage
//
// The login stage (chrooted, mail_owner) connects to the mailbox stage's
// private socket ($queue_directory/private/pop3-mailbox by default,
// popd_mailbox_service) once authd has said yes and sends one
// Pop3Handover (the fields imapd's has too, lib/proto/proto_login.h,
// under popd's own type and version) with the client's socket, or one end
// of the TLS proxy's socketpair. The tag and the client ID stay empty:
// POP3 has neither. The mailbox stage answers the client's PASS/AUTH itself
// ("+OK Logged in." or -ERR).
#pragma once

#include <cstdint>

#include "lib/proto/proto_login.h"

namespace posthorn::ipc {

// Bump on any change to the message (2: the login handover's fields, with tag and client_id).
inline constexpr std::uint32_t kPop3ProtoVersion = 2;

using Pop3Handover = LoginHandoverMessage<MsgType::Pop3Handover, kPop3ProtoVersion>;

}  // namespace posthorn::ipc
