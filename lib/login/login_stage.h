// login_stage - one client of popd's or imapd's login stage, from greeting to handover
//
// Runs chrooted as mail_owner. What the two login stages do alike around
// their sessions: the handshake before the greeting on the TLS port, the
// STARTTLS handshake, the inactivity timeout, the logs, and once authd has
// said yes the handover to the mailbox stage's private socket
// (lib/proto/proto_login.h): the socket itself for a plain-text session,
// one end of a socketpair for a TLS one, the login stage then staying on
// as the TLS proxy until either side closes (lib/login/client_handover.h).
// A protocol plugs in its reader and session (LoginProtocol) and its words.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "lib/login/client_stream.h"
#include "lib/login/sasl_login.h"
#include "lib/proto/proto_login.h"
#include "lib/proto/sasl_authenticator.h"
#include "lib/tls/tls.h"

namespace posthorn::ipc {
class Channel;
}

namespace posthorn::login {

// What a login process has for each client (lib/login/two_stage_main.h makes it).
template <class Settings>
struct LoginContext {
  const Settings& settings;
  passdb::SaslAuthenticator& auth;
  std::shared_ptr<tls::Context> tls;  // null when PROGRAM_tls_cert_file is empty
  std::string mailboxSocket;          // the mailbox stage's private socket
};

// A protocol's reader and login session, as the stage drives them.
class LoginProtocol {
 public:
  virtual ~LoginProtocol() = default;
  virtual void greet() = 0;
  // Reads one command (or SASL response) and answers it; TimedOut or
  // Disconnected when there is none.
  virtual LoginResult next() = 0;
  // A handshake finished (STARTTLS, or the TLS port's before the greeting):
  // what the client sent before it is forgotten.
  virtual void tlsStarted() = 0;
  // Adds what the protocol keeps (IMAP's ID, its reader's buffered input)
  // to `handover` and sends it as its own message with `fd`.
  virtual void sendHandover(ipc::Channel& channel, int fd, ipc::LoginHandover handover) = 0;
};

struct LoginStage {
  const tls::Context* tls;           // null: no certificate, no TLS
  bool implicitTls;                  // PROGRAM_tls_wrappermode: handshake before the greeting
  const std::string& mailboxSocket;  // the mailbox stage's private socket
  const LoginWords& words;
};

// Serves the client on `stream` (from `address`) until it logs out, goes
// away or has been handed over.
void serveClient(const LoginStage& stage, net::ClientStream& stream, const std::string& address,
                 LoginProtocol& protocol);

// The client connection's limits before login.
struct ClientLimits {
  std::chrono::seconds timeout;  // idle
  std::size_t maxLineLength;
};

// Serves one client on fd (owned) from `peer`, blocking until it is done,
// with a protocol's login session, Session(settings, auth, output,
// clientAddress, tls), and its reader, Reader(stream, session), a
// LoginProtocol.
template <class Session, class Reader, class Settings>
void serveLoginClient(int fd, const std::string& peer, LoginContext<Settings>& ctx,
                      ClientLimits limits, const LoginWords& words) {
  net::ClientStream stream(fd, limits.timeout, limits.maxLineLength);
  const std::string address = net::clientAddressOf(peer);
  Session session(ctx.settings, ctx.auth, stream, address, false);
  Reader reader(stream, session);
  serveClient({ctx.tls.get(), ctx.settings.tlsWrapperMode, ctx.mailboxSocket, words}, stream,
              address, reader);
}

}  // namespace posthorn::login
