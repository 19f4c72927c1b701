// pop3_login - popd's login stage: one client from greeting to handover
//
// Runs chrooted as mail_owner. Reads lines and speaks AUTHORIZATION
// (LoginSession) until authd says yes; the rest (TLS, timeouts, the
// handover to the mailbox stage) is imapd's too (lib/login/login_stage.h).
#pragma once

#include <string>

#include "lib/login/login_stage.h"
#include "popd/pop3_settings.h"

namespace posthorn::popd {

using LoginContext = login::LoginContext<Settings>;

// Serves one client on fd (owned), blocking until it is done.
void serveLogin(int fd, const std::string& peer, LoginContext& ctx);

}  // namespace posthorn::popd
