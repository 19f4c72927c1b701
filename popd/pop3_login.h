// pop3_login - the login stage: one client from greeting to handover
//
// Runs chrooted as mail_owner. Speaks AUTHORIZATION (LoginSession) until
// authd says yes, then connects to the mailbox stage's private socket and
// passes the client on (lib/proto/proto_pop3.h): the socket itself for a
// plain-text session, one end of a socketpair for a TLS one, the login
// stage then staying on as the TLS proxy until either side closes.
#pragma once

#include <memory>
#include <string>

#include "lib/tls/tls.h"
#include "lib/proto/sasl_authenticator.h"
#include "popd/pop3_settings.h"

namespace posthorn::popd {

struct LoginContext {
  const Settings& settings;
  passdb::SaslAuthenticator& auth;
  std::shared_ptr<tls::Context> tls;  // null when popd_tls_cert_file is empty
  std::string mailboxSocket;          // the mailbox stage's private socket
};

// Serves one client on fd (owned), blocking until it is done.
void serveLogin(int fd, const std::string& peer, LoginContext& ctx);

}  // namespace posthorn::popd
