// scram - SCRAM-SHA-256 (RFC 5802, RFC 7677): the stored verifier and the server side
//
// The verifier is what the passwd file keeps for SCRAM, in the extra field
// `scram-sha-256=ITERATIONS,SALT,STOREDKEY,SERVERKEY` (salt and keys in
// base64; the same text as the data of Dovecot's {SCRAM-SHA-256} scheme).
// It lets authd check a SCRAM proof, and a plain password, without ever
// holding the password. `posthorn passwd` writes it beside the crypt hash.
//
// ScramServer runs one conversation, without channel binding (the client's
// gs2 flag must be "n" or "y"; "p=" fails) and without SASLprep (names and
// passwords are used as sent, which is exact for ASCII):
//   clientFirst(msg)   -> false when malformed; else user() is known
//   serverFirst(v)     -> the server-first-message; with no verifier
//                         (unknown user, none stored) a made-up salt is
//                         sent so that the conversation looks the same and
//                         fails only at the proof
//   clientFinal(msg)   -> the server-final-message "v=..." when the proof
//                         is right, nullopt otherwise (see error())
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace posthorn::auth {

struct ScramVerifier {
  unsigned iterations = 4096;
  std::string salt;       // raw bytes
  std::string storedKey;  // H(ClientKey), 32 bytes
  std::string serverKey;  // HMAC(SaltedPassword, "Server Key"), 32 bytes
};

inline constexpr std::string_view kScramField = "scram-sha-256";
inline constexpr unsigned kScramDefaultIterations = 4096;

// "ITER,SALT,STOREDKEY,SERVERKEY" (base64 parts); nullopt when malformed.
std::optional<ScramVerifier> parseScramVerifier(std::string_view text);
std::string formatScramVerifier(const ScramVerifier& v);

// The verifier of password with salt (raw bytes; empty: 16 random bytes).
// Throws std::runtime_error when OpenSSL fails.
ScramVerifier makeScramVerifier(std::string_view password, std::string salt = "",
                                unsigned iterations = kScramDefaultIterations);

// Whether password is the one the verifier was made from (constant time).
bool scramCheckPassword(const ScramVerifier& v, std::string_view password);

class ScramServer {
 public:
  // fakeKey keys the made-up salts for users without a verifier (a
  // per-process random secret, so that they stay the same per user).
  explicit ScramServer(std::string fakeKey) : fakeKey_(std::move(fakeKey)) {}

  bool clientFirst(std::string_view message);
  const std::string& user() const { return user_; }
  const std::string& authzid() const { return authzid_; }

  // serverNonce: the server's part of the nonce (tests); empty: random.
  std::string serverFirst(const std::optional<ScramVerifier>& verifier,
                          const std::string& serverNonce = "");
  std::optional<std::string> clientFinal(std::string_view message);

  // Why the last step failed, for the log.
  const std::string& error() const { return error_; }

 private:
  std::string fakeKey_;
  std::string gs2Header_;
  std::string clientFirstBare_;
  std::string clientNonce_;
  std::string serverFirst_;
  std::string nonce_;
  std::string user_;
  std::string authzid_;
  std::optional<ScramVerifier> verifier_;
  std::string error_;
};

// Constant-time comparison of two byte strings (the length is not secret).
bool constantTimeEqual(std::string_view a, std::string_view b);

}  // namespace posthorn::auth
