// password_check - crypt(3), SCRAM and (when allowed) plain text passwords (see password_check.h)
#include "auth/password_check.h"

#include <crypt.h>

#include <cstring>
#include <memory>

#include "lib/auth/scram.h"
#include "lib/util/ascii.h"

namespace posthorn::auth {

namespace {


PasswordResult result(PasswordResult r, std::string* why, const char* text) {
  if (why != nullptr) *why = text;
  return r;
}

PasswordResult checkCrypt(std::string_view hash, std::string_view password, std::string* why) {
  if (hash.empty() || hash.front() == '*' || hash.front() == '!') {
    return result(PasswordResult::Mismatch, why, "account has no usable password");
  }
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof *data);
  const std::string pw(password), h(hash);
  const char* out = ::crypt_rn(pw.c_str(), h.c_str(), data.get(), sizeof *data);
  PasswordResult r;
  if (out == nullptr || out[0] == '*') {
    r = result(PasswordResult::Unsupported, why, "hash not supported by crypt(3)");
  } else if (constantTimeEqual(out, h)) {
    r = PasswordResult::Match;
  } else {
    r = result(PasswordResult::Mismatch, why, "password mismatch");
  }
  std::memset(data.get(), 0, sizeof *data);
  return r;
}

}  // namespace

PasswordResult checkPassword(std::string_view field, std::string_view password, bool allowPlain,
                             std::string* why) {
  std::string scheme = "CRYPT";
  std::string_view data = field;
  if (!field.empty() && field.front() == '{') {
    const auto close = field.find('}');
    if (close == std::string_view::npos) {
      return result(PasswordResult::Unsupported, why, "malformed {SCHEME}");
    }
    scheme = util::upper(field.substr(1, close - 1));
    data = field.substr(close + 1);
  }
  if (scheme == "CRYPT" || scheme == "SHA512-CRYPT" || scheme == "SHA256-CRYPT" ||
      scheme == "BLF-CRYPT" || scheme == "MD5-CRYPT") {
    return checkCrypt(data, password, why);
  }
  if (scheme == "SCRAM-SHA-256") {
    const auto verifier = parseScramVerifier(data);
    if (!verifier) return result(PasswordResult::Unsupported, why, "malformed {SCRAM-SHA-256} data");
    return scramCheckPassword(*verifier, password)
               ? PasswordResult::Match
               : result(PasswordResult::Mismatch, why, "password mismatch");
  }
  if (scheme == "PLAIN" || scheme == "CLEARTEXT") {
    if (!allowPlain) {
      return result(PasswordResult::PlainRefused, why,
                    "plain text password refused (auth_allow_plaintext_passwords = no)");
    }
    if (data.empty()) return result(PasswordResult::Mismatch, why, "account has no password");
    return constantTimeEqual(data, password) ? PasswordResult::Match
                                             : result(PasswordResult::Mismatch, why,
                                                      "password mismatch");
  }
  return result(PasswordResult::Unsupported, why, "unsupported password scheme");
}

}  // namespace posthorn::auth
