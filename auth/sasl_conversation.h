// sasl_conversation - one SASL exchange in authd: PLAIN, LOGIN, SCRAM-SHA-256
//
// The mechanism runs here, over a PasswordDatabase, so that secrets never
// leave authd. A conversation is fed the client's decoded responses and
// answers with the next challenge or an outcome:
//   PLAIN (RFC 4616)   [authzid] NUL authcid NUL password, as the initial
//                      response or after an empty challenge
//   LOGIN              "Username:" and "Password:" challenges (the user
//                      name may come as the initial response)
//   SCRAM-SHA-256      (RFC 5802/7677, lib/auth/scram.h) client-first,
//                      server-first, client-final, then the server-final
//                      "v=..." as a last challenge answered by an empty
//                      response
// An authorization identity other than the authentication identity is
// refused (no proxy authorization).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lib/auth/scram.h"

namespace posthorn::auth {

// What a conversation needs to know about accounts.
class PasswordDatabase {
 public:
  enum class Status { Ok, Fail, TempFail };
  struct Result {
    Status status = Status::Fail;
    std::string user;    // Ok: the account's name as the database writes it
    std::string reason;  // otherwise: for the log
  };
  struct ScramLookup {
    Status status = Status::Fail;  // Ok: the user exists (verifier may be absent)
    std::string user;
    std::optional<ScramVerifier> verifier;
    std::string reason;
  };
  virtual ~PasswordDatabase() = default;
  virtual Result checkPassword(const std::string& login, const std::string& password,
                               const std::string& service) = 0;
  virtual ScramLookup scramVerifier(const std::string& login) = 0;
};

class SaslConversation {
 public:
  enum class Kind { Continue, Ok, Fail, TempFail };
  struct Step {
    Kind kind = Kind::Fail;
    std::string challenge;  // Continue
    std::string user;       // Ok
    std::string reason;     // Fail, TempFail
  };

  // nullptr for a mechanism authd does not speak. fakeKey: see ScramServer.
  static std::unique_ptr<SaslConversation> create(std::string_view mechanism,
                                                  PasswordDatabase& db, std::string service,
                                                  std::string fakeKey);
  virtual ~SaslConversation() = default;

  virtual Step start(const std::optional<std::string>& initialResponse) = 0;
  virtual Step next(const std::string& response) = 0;
  // The login name as far as it is known ("" before the client named it):
  // failures are counted against it.
  const std::string& login() const { return login_; }

 protected:
  static Step fail(std::string reason) {
    Step s;
    s.kind = Kind::Fail;
    s.reason = std::move(reason);
    return s;
  }
  static Step challenge(std::string text) {
    Step s;
    s.kind = Kind::Continue;
    s.challenge = std::move(text);
    return s;
  }
  Step finish(const PasswordDatabase::Result& r);

  std::string login_;
};

}  // namespace posthorn::auth
