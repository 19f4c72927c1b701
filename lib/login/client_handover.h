// client_handover - a login stage passes its authenticated client to the
// mailbox stage (popd and imapd, lib/proto/proto_login.h)
//
// A plain-text client's socket itself travels (SCM_RIGHTS); for a TLS one
// the mailbox stage gets one end of a socketpair and this process stays on
// as the TLS proxy for the other end until either side closes.
#pragma once

#include <functional>
#include <string>

#include "lib/login/client_stream.h"

namespace posthorn::ipc {
class Channel;
}

namespace posthorn::net {

// `send` sends the handover message over the channel with the fd to pass
// and the client's bytes already read (pipelined after the login). Throws
// (ipc errors, std::runtime_error) when the mailbox stage cannot be reached.
using HandoverSender = std::function<void(ipc::Channel&, int fd, std::string pending)>;
void handOverClient(ClientStream& stream, const std::string& socketPath, const HandoverSender& send);

}  // namespace posthorn::net
