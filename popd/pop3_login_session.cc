// pop3_login_session - POP3's AUTHORIZATION state: its dispatcher, over lib/login's SASL exchange
#include "popd/pop3_login_session.h"

#include "popd/pop3_commands.h"

namespace posthorn::popd {

LoginSession::LoginSession(const Settings& settings, passdb::SaslAuthenticator& auth,
                           net::ClientOutput& out, std::string clientAddress, bool tls)
    : settings_(settings),
      sasl_(auth, out, kLoginWords, {"popd", settings.disablePlaintextAuth, settings.maxBadCommands},
            std::move(clientAddress), tls) {}

void LoginSession::greet() { reply("+OK posthorn POP3 server ready."); }

void LoginSession::tlsStarted() {
  sasl_.tlsStarted();
  user_.clear();
}

LoginResult LoginSession::lineTooLong() {
  if (sasl_.responding()) {
    sasl_.abandon();
    return bad("-ERR [AUTH] Authentication failed: response too long.");
  }
  return bad("-ERR Line too long.");
}

LoginResult LoginSession::handleLine(std::string_view line) {
  if (sasl_.responding()) return sasl_.respond(line);
  const Pop3Dispatch d = dispatch(line, kAuthorization);
  if (d.spec == nullptr) return bad(d.error);
  return (this->*d.spec->handler.login)(d.command);
}

}  // namespace posthorn::popd
