// passdb - authd's password database: the passwd file, then (optionally) system users by PAM
//
// checkPassword() looks the login up in the passwd file (auth/
// passwd_file_passdb.h) and checks the password field (auth/
// password_check.h). A login the file does not hold is, with
// auth_pam_service set, checked through PAM as a system user (when authd is
// built with PAM); otherwise it fails as "unknown user" after the same
// amount of hashing work as a real check, so that timing does not tell
// which users exist. SCRAM verifiers come from the scram-sha-256 extra
// field (or a {SCRAM-SHA-256} password field); system users have none.
#pragma once

#include <optional>
#include <string>

#include "auth/passwd_file_passdb.h"
#include "auth/sasl_conversation.h"

namespace posthorn::auth {

struct PassdbSettings {
  std::string passwdFile;          // auth_passwd_file ("" = none)
  bool allowPlaintext{};           // auth_allow_plaintext_passwords
  std::string pamService;          // auth_pam_service ("" = no system users)
};

class Passdb : public PasswordDatabase {
 public:
  explicit Passdb(PassdbSettings settings);

  Result checkPassword(const std::string& login, const std::string& password,
                       const std::string& service) override;
  ScramLookup scramVerifier(const std::string& login) override;

  // Whether this build can check system users (PAM).
  static bool pamAvailable();

 private:
  Result checkSystemUser(const std::string& login, const std::string& password);
  // The login's entry in the passwd file (none without a file). A file that
  // cannot be read sets status to TempFail and reason, and returns none.
  std::optional<PassdbUser> fileUser(const std::string& login, Status& status,
                                     std::string& reason);

  PassdbSettings settings_;
  PasswdFilePassdb file_;
};

}  // namespace posthorn::auth
