// imap_login - imapd's login stage: one client from greeting to handover
//
// Runs chrooted as mail_owner. Reads commands with the IMAP parser (small
// limits: nothing before login needs a big literal) and speaks the
// not-authenticated state (LoginSession) until authd says yes; the rest
// (TLS, timeouts, the handover to the mailbox stage, the TLS proxy) is
// popd's too (lib/login/login_stage.h).
#pragma once

#include <string>

#include "imapd/imap_settings.h"
#include "lib/login/login_stage.h"

namespace posthorn::imapd {

using LoginContext = login::LoginContext<Settings>;

// Serves one client on fd (owned), blocking until it is done.
void serveLogin(int fd, const std::string& peer, LoginContext& ctx);

}  // namespace posthorn::imapd
