// password_check - does a password match the password field of a passwd-file entry
//
// The field is "{SCHEME}data" or a bare crypt(3) string (Dovecot reads
// that as {CRYPT}). Schemes:
//   {CRYPT}, {SHA512-CRYPT}, {SHA256-CRYPT}, {BLF-CRYPT}, {MD5-CRYPT}, bare
//       crypt(3) through libxcrypt's crypt_rn: yescrypt ($y$), SHA-512 ($6$),
//       SHA-256 ($5$), bcrypt ($2b$, $2y$), MD5 ($1$)
//   {SCRAM-SHA-256}ITER,SALT,STOREDKEY,SERVERKEY   (lib/auth/scram.h)
//   {PLAIN}, {CLEARTEXT}  only with auth_allow_plaintext_passwords = yes
// The result of crypt is compared in constant time. An empty field, "*"
// or "!..." (a locked account) never matches.
#pragma once

#include <string>
#include <string_view>

namespace posthorn::auth {

enum class PasswordResult {
  Match,
  Mismatch,
  PlainRefused,  // a {PLAIN} password while plain text is not allowed
  Unsupported,   // an unknown scheme or a hash libxcrypt cannot compute
};

// why (may be null) gets a short reason for the log on anything but Match.
PasswordResult checkPassword(std::string_view field, std::string_view password, bool allowPlain,
                             std::string* why = nullptr);

}  // namespace posthorn::auth
