// pop3_login_session - POP3's AUTHORIZATION state: what the login stage speaks
//
// Driven one line at a time (without CRLF); replies go to a Pop3Output.
// USER/PASS and AUTH (RFC 5034: PLAIN, LOGIN, SCRAM-SHA-256 through
// authd), CAPA (RFC 2449), STLS (RFC 2595), QUIT. A successful login is
// not answered here: the mailbox stage says "+OK Logged in." once it has
// the mailbox (or -ERR [IN-USE]), as Dovecot's pop3 process does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "popd/pop3_authenticator.h"
#include "popd/pop3_command.h"
#include "popd/pop3_output.h"
#include "popd/pop3_settings.h"

namespace posthorn::popd {

struct LoginResult {
  enum class Kind { Continue, StartTls, Authenticated, Close };
  Kind kind = Kind::Continue;
  std::string user;  // Authenticated: authd's name for the account
};

class LoginSession {
 public:
  LoginSession(const Settings& settings, Pop3Authenticator& auth, Pop3Output& out,
               std::string clientAddress, bool tls);

  void greet();
  LoginResult handleLine(std::string_view line);
  // The reader dropped a line over popd_line_length_limit.
  LoginResult lineTooLong();
  // STLS's handshake finished (or implicit TLS): forget what came before.
  void tlsStarted();
  bool tls() const { return tls_; }

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
  static bool isPlaintextMechanism(const std::string& mechanism);
  bool plaintextAllowed() const { return tls_ || !settings_.disablePlaintextAuth; }
  std::vector<std::string> offeredMechanisms() const;
  LoginResult bad(const std::string& reply);
  LoginResult authReply(const ipc::PassdbReply& reply);
  LoginResult startSasl(const std::string& mechanism, bool hasInitial, const std::string& initial);
  LoginResult saslResponse(std::string_view line);
  void reply(std::string_view line);

  const Settings& settings_;
  Pop3Authenticator& auth_;
  Pop3Output& out_;
  std::string clientAddress_;
  bool tls_;
  std::string user_;     // from USER
  bool sasl_ = false;    // waiting for a SASL response line
  int badCommands_ = 0;
};

}  // namespace posthorn::popd
