// imap_login - the login stage: one client from greeting to handover
//
// Runs chrooted as mail_owner. Reads commands with the IMAP parser (small
// limits: nothing before login needs a big literal) and speaks the
// not-authenticated state (LoginSession) until authd says yes, then passes
// the client to the mailbox stage's private socket (lib/proto/proto_imap.h,
// lib/login/client_handover.h), staying on as the TLS proxy for a TLS session.
#pragma once

#include <memory>
#include <string>

#include "imapd/imap_settings.h"
#include "lib/proto/sasl_authenticator.h"
#include "lib/tls/tls.h"

namespace posthorn::imapd {

struct LoginContext {
  const Settings& settings;
  passdb::SaslAuthenticator& auth;
  std::shared_ptr<tls::Context> tls;  // null when imapd_tls_cert_file is empty
  std::string mailboxSocket;          // the mailbox stage's private socket
};

// Serves one client on fd (owned), blocking until it is done.
void serveLogin(int fd, const std::string& peer, LoginContext& ctx);

}  // namespace posthorn::imapd
