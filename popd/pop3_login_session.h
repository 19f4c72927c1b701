// pop3_login_session - POP3's AUTHORIZATION state: what the login stage speaks
//
// Driven one line at a time (without CRLF); replies go to a ClientOutput.
// USER/PASS and AUTH (RFC 5034: PLAIN, LOGIN, SCRAM-SHA-256 through
// authd), CAPA (RFC 2449), STLS (RFC 2595), QUIT. The SASL exchange and
// the bad-command count are imapd's too (lib/login/sasl_login.h). A
// successful login is not answered here: the mailbox stage says
// "+OK Logged in." once it has the mailbox (or -ERR [IN-USE]), as
// Dovecot's pop3 process does.
#pragma once

#include <string>
#include <string_view>

#include "lib/login/client_output.h"
#include "lib/login/sasl_login.h"
#include "lib/proto/sasl_authenticator.h"
#include "popd/pop3_command.h"
#include "popd/pop3_settings.h"

namespace posthorn::popd {

using login::LoginResult;

// What POP3 says where the two login stages say the same thing.
inline constexpr login::LoginWords kLoginWords = {
    .authFailed = "-ERR [AUTH] Authentication failed.",
    .locked = "-ERR [SYS/TEMP] Too many failed logins, try again later.",
    .tempFail = "-ERR [SYS/TEMP] Temporary authentication failure.",
    .aborted = "-ERR [AUTH] Authentication aborted by client.",
    .badResponse = "-ERR [AUTH] Invalid base64 data in continued response.",
    .handoverFailed = "-ERR [SYS/TEMP] Internal error, try again later.",
    .tooManyBad = "-ERR Too many bad commands, closing connection.",
    .timeout = "-ERR Disconnected for inactivity.",
    .startTls = "STLS",
};

class LoginSession {
 public:
  LoginSession(const Settings& settings, passdb::SaslAuthenticator& auth, net::ClientOutput& out,
               std::string clientAddress, bool tls);

  void greet();
  LoginResult handleLine(std::string_view line);
  // The reader dropped a line over popd_line_length_limit.
  LoginResult lineTooLong();
  // STLS's handshake finished (or implicit TLS): forget what came before.
  void tlsStarted();
  bool tls() const { return sasl_.tls(); }

  // The AUTHORIZATION commands (pop3_authorization_commands.cc), run
  // through the command table (pop3_commands.cc) with their arguments counted.
  LoginResult cmdCapa(const Pop3Command& c);
  LoginResult cmdUser(const Pop3Command& c);
  LoginResult cmdPass(const Pop3Command& c);
  LoginResult cmdAuth(const Pop3Command& c);
  LoginResult cmdApop(const Pop3Command& c);
  LoginResult cmdStls(const Pop3Command& c);
  LoginResult cmdQuit(const Pop3Command& c);

 private:
  void reply(std::string_view line) { sasl_.reply(line); }
  LoginResult bad(std::string_view line) { return sasl_.refuse(line); }

  const Settings& settings_;
  login::SaslLogin sasl_;
  std::string user_;  // from USER
};

}  // namespace posthorn::popd
