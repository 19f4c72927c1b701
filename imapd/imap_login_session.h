// imap_login_session - IMAP's not-authenticated state: what the login stage speaks
//
// Fed whole commands (and SASL response lines) by the login stage's loop;
// responses go to a ClientOutput. CAPABILITY, NOOP, LOGOUT, STARTTLS
// (RFC 3501), LOGIN, AUTHENTICATE with SASL-IR (RFC 4959) through authd,
// ID (RFC 2971). The SASL exchange and the bad-command count are popd's
// too (lib/login/sasl_login.h). A successful login is not answered here:
// the mailbox stage sends the tagged OK once it has the mailbox, as
// Dovecot's imap process does.
#pragma once

#include <string>
#include <string_view>

#include "imapd/imap_command.h"
#include "imapd/imap_settings.h"
#include "lib/login/client_output.h"
#include "lib/login/sasl_login.h"
#include "lib/proto/sasl_authenticator.h"

namespace posthorn::imapd {

using login::LoginResult;

// What IMAP says where the two login stages say the same thing (after
// the command's tag, where it has one).
inline constexpr login::LoginWords kLoginWords = {
    .authFailed = "NO [AUTHENTICATIONFAILED] Authentication failed.",
    .locked = "NO [UNAVAILABLE] Too many failed logins, try again later.",
    .tempFail = "NO [UNAVAILABLE] Temporary authentication failure.",
    .aborted = "BAD Authentication aborted by client.",
    .badResponse = "BAD Invalid base64 data in continued response.",
    .handoverFailed = "NO [UNAVAILABLE] Internal error, try again later.",
    .tooManyBad = "* BYE Too many invalid IMAP commands.",
    .timeout = "* BYE Disconnected for inactivity.",
    .startTls = "STARTTLS",
};

class LoginSession {
 public:
  LoginSession(const Settings& settings, passdb::SaslAuthenticator& auth, net::ClientOutput& out,
               std::string clientAddress, bool tls);

  void greet();
  LoginResult handle(const ImapCommand& command);
  // The client's answer to an AUTHENTICATE challenge.
  LoginResult saslLine(std::string_view line) { return sasl_.respond(line); }
  // A parse error the caller answered already: counts as a bad command.
  LoginResult badInput() { return sasl_.countBad(); }
  void tlsStarted() { sasl_.tlsStarted(); }
  bool tls() const { return sasl_.tls(); }
  const std::string& clientId() const { return clientId_; }

  // The commands answered before login (imap_login_commands.cc), run
  // through the login stage's command table (imap_login_session.cc).
  LoginResult cmdCapability(const ImapCommand& c);
  LoginResult cmdNoop(const ImapCommand& c);
  LoginResult cmdLogout(const ImapCommand& c);
  LoginResult cmdStarttls(const ImapCommand& c);
  LoginResult cmdLogin(const ImapCommand& c);
  LoginResult cmdAuthenticate(const ImapCommand& c);
  LoginResult cmdId(const ImapCommand& c);

 private:
  std::string capability() const;
  // A tagged BAD or NO: a bad command.
  LoginResult bad(const std::string& tag, std::string_view text);
  LoginResult no(const std::string& tag, std::string_view text);
  void tagged(const std::string& tag, std::string_view text);

  const Settings& settings_;
  net::ClientOutput& out_;
  login::SaslLogin sasl_;
  std::string clientId_;
};

}  // namespace posthorn::imapd
