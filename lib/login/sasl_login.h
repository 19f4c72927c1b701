// sasl_login - what popd's and imapd's login sessions do alike until authd
// says yes: the mechanisms offered, the SASL exchange with authd, the count
// of bad commands
//
// A protocol's login session parses its commands and says its words
// (LoginWords); SaslLogin runs the exchange with authd's passdb (RFC 4422:
// initial response, "+ challenge" lines, "*" to abort), writes the reply
// that ends it, logs the outcome, and closes the session after too many
// bad commands. A final reply carries the command's tag in IMAP; in POP3
// the tag is empty.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/login/client_output.h"
#include "lib/proto/sasl_authenticator.h"

namespace posthorn::login {

// What a login session (and its stage's reader) tells the stage to do next.
struct LoginResult {
  enum class Kind {
    Continue,
    SaslResponse,   // a challenge went out: the next line is the client's response
    StartTls,       // handshake now (the go-ahead went out)
    Authenticated,  // hand over: user (and IMAP's tag) set
    Close,          // the session's last reply went out
    TimedOut,       // the reader: the client was idle for the timeout
    Disconnected,   // the reader: the client closed the connection
  };
  Kind kind = Kind::Continue;
  std::string user;  // Authenticated: authd's name for the account
  std::string tag;   // Authenticated: the IMAP command the mailbox stage answers
};

// One protocol's words for what both protocols' login stages say.
struct LoginWords {
  // Final replies (after the tag in IMAP):
  std::string_view authFailed;      // authd said no (a bad command)
  std::string_view locked;          // authd: too many failures from the client (a bad command)
  std::string_view tempFail;        // authd unreachable or failing
  std::string_view aborted;         // the client answered a challenge with "*" (a bad command)
  std::string_view badResponse;     // a response that is not base64 (a bad command)
  std::string_view handoverFailed;  // the mailbox stage cannot be reached
  // Untagged, before the connection closes:
  std::string_view tooManyBad;
  std::string_view timeout;
  const char* startTls;  // the command's name, for the log ("STLS")
};

// `line` as the final reply to a command tagged `tag` (none: POP3).
std::string finalReply(const std::string& tag, std::string_view line);
// PLAIN's initial response for a user name and a password (USER/PASS, LOGIN).
std::string plainResponse(std::string_view user, std::string_view password);
// An initial response as a client sends it: "=" for an empty one, else
// base64; nullopt when it is not base64.
std::optional<std::string> decodeInitialResponse(std::string_view text);

class SaslLogin {
 public:
  struct Policy {
    const char* service;        // the asker, as authd logs it: "popd"
    bool disablePlaintextAuth;  // PROGRAM_disable_plaintext_auth
    int maxBadCommands;         // PROGRAM_max_bad_commands
  };
  SaslLogin(passdb::SaslAuthenticator& auth, net::ClientOutput& out, const LoginWords& words,
            const Policy& policy, std::string clientAddress, bool tls);

  bool tls() const { return tls_; }
  const std::string& clientAddress() const { return clientAddress_; }
  // A handshake finished: an exchange waiting for a response is forgotten.
  void tlsStarted();
  // PLAIN and LOGIN (and POP3's USER, IMAP's LOGIN) need TLS unless allowed.
  bool plaintextAllowed() const { return tls_ || !policy_.disablePlaintextAuth; }
  // authd's mechanisms that may be used now, in its order.
  std::vector<std::string> offeredMechanisms() const;
  enum class Mechanism { Offered, Unsupported, PlaintextRefused };
  // Upper-cases `mechanism` and says whether it may be used now.
  Mechanism checkMechanism(std::string& mechanism) const;

  // Starts an exchange for the command tagged `tag`; without an initial
  // response (nullopt) authd sends the first challenge.
  LoginResult start(std::string tag, const std::string& mechanism,
                    std::optional<std::string> initialResponse);
  // The client's answer to a challenge: base64, or "*" to abort.
  LoginResult respond(std::string_view line);
  // A challenge is waiting for the client's answer.
  bool responding() const { return responding_; }
  // Gives up waiting for the answer (POP3: it was over the line length limit).
  void abandon() { responding_ = false; }

  // Writes `line` and CRLF.
  void reply(std::string_view line);
  // Writes a reply to a bad command and counts it.
  LoginResult refuse(std::string_view line);
  // Counts a bad command already answered: Close (after words.tooManyBad)
  // at the maxBadCommands-th.
  LoginResult countBad();

 private:
  template <class Call>
  LoginResult ask(Call call);
  LoginResult answer(const ipc::PassdbReply& reply);

  passdb::SaslAuthenticator& auth_;
  net::ClientOutput& out_;
  const LoginWords& words_;
  Policy policy_;
  std::string clientAddress_;
  bool tls_;
  std::string tag_;          // of the exchange going on
  bool responding_ = false;  // waiting for a response line
  int badCommands_ = 0;
};

}  // namespace posthorn::login
