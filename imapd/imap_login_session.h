// imap_login_session - IMAP's not-authenticated state: what the login stage speaks
//
// Fed whole commands (and SASL response lines) by the login stage's loop;
// responses go to an ImapOutput. CAPABILITY, NOOP, LOGOUT, STARTTLS
// (RFC 3501), LOGIN, AUTHENTICATE with SASL-IR (RFC 4959) through authd,
// ID (RFC 2971). A successful login is not answered here: the mailbox
// stage sends the tagged OK once it has the mailbox, as Dovecot's imap
// process does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "imapd/imap_command.h"
#include "imapd/imap_output.h"
#include "imapd/imap_settings.h"
#include "lib/proto/sasl_authenticator.h"

namespace posthorn::imapd {

struct LoginResult {
  enum class Kind {
    Continue,
    SaslResponse,   // the next line is a SASL response: parser.expectLine()
    StartTls,       // handshake now (the tagged OK is sent)
    Authenticated,  // hand over: user and tag set
    Close,
  };
  Kind kind = Kind::Continue;
  std::string user;
  std::string tag;
};

class LoginSession {
 public:
  LoginSession(const Settings& settings, passdb::SaslAuthenticator& auth, ImapOutput& out,
               std::string clientAddress, bool tls);

  void greet();
  LoginResult handle(const ImapCommand& command);
  LoginResult saslLine(std::string_view line);
  // A parse error the caller answered already: counts as a bad command.
  LoginResult badInput();
  void tlsStarted();
  bool tls() const { return tls_; }
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
  static bool isPlaintextMechanism(const std::string& mechanism);
  bool plaintextAllowed() const { return tls_ || !settings_.disablePlaintextAuth; }
  std::vector<std::string> offeredMechanisms() const;
  std::string capability() const;
  LoginResult bad(const std::string& tag, const std::string& text);
  LoginResult no(const std::string& tag, const std::string& text);
  LoginResult startSasl(const std::string& tag, const std::string& mechanism, bool hasInitial,
                        const std::string& initial);
  LoginResult authReply(const ipc::PassdbReply& reply);
  void tagged(const std::string& tag, std::string_view text);

  const Settings& settings_;
  passdb::SaslAuthenticator& auth_;
  ImapOutput& out_;
  std::string clientAddress_;
  bool tls_;
  std::string saslTag_;  // the AUTHENTICATE waiting for a response line
  std::string clientId_;
  int badCommands_ = 0;
};

// ID's answer (RFC 2971) and what the client said, "name=x version=y", for the log.
std::string idResponse();
std::string describeId(const ImapValue& list);

}  // namespace posthorn::imapd
