// passdb - passwd-file (and PAM) password checks for authd's SASL conversations (see passdb.h)
#include "auth/passdb.h"

#include "auth/password_check.h"
#include "auth/userdb_source.h"
#include "lib/log/log.h"

#ifdef HAVE_PAM
#include <security/pam_appl.h>

#include <cstdlib>
#include <cstring>
#endif

namespace posthorn::auth {

namespace {

// A yescrypt hash of a random password: checked against for unknown
// users, so that they cost as much time as known ones.
constexpr const char* kDummyHash = "$y$j9T$AYK5VVHf49QkNGKE7IJmE.$ZmFKGE7/i/l91bjhCuUPgGGVgbD2VFtrJ.NzvgXKrc9";

#ifdef HAVE_PAM
struct PamPassword {
  const char* password;
};

// authd throttles failures itself, on a timer; a module's own failure
// delay (pam_unix sleeps about 2 s) would stall every other client.
void noFailDelay(int, unsigned, void*) {}

int pamConversation(int count, const pam_message** messages, pam_response** responses,
                    void* data) {
  auto* pw = static_cast<PamPassword*>(data);
  auto* out = static_cast<pam_response*>(std::calloc(static_cast<std::size_t>(count),
                                                     sizeof(pam_response)));
  if (out == nullptr) return PAM_BUF_ERR;
  for (int i = 0; i < count; ++i) {
    if (messages[i]->msg_style == PAM_PROMPT_ECHO_OFF) {
      out[i].resp = ::strdup(pw->password);
    } else if (messages[i]->msg_style == PAM_PROMPT_ECHO_ON) {
      for (int k = 0; k < i; ++k) std::free(out[k].resp);
      std::free(out);
      return PAM_CONV_ERR;
    }
  }
  *responses = out;
  return PAM_SUCCESS;
}
#endif

}  // namespace

Passdb::Passdb(PassdbSettings settings)
    : settings_(std::move(settings)), file_(settings_.passwdFile) {}

bool Passdb::pamAvailable() {
#ifdef HAVE_PAM
  return true;
#else
  return false;
#endif
}

PasswordDatabase::Result Passdb::checkSystemUser(const std::string& login,
                                                 const std::string& password) {
  Result r;
#ifdef HAVE_PAM
  PamPassword pw{password.c_str()};
  const pam_conv conv{&pamConversation, &pw};
  pam_handle_t* pam = nullptr;
  int rc = ::pam_start(settings_.pamService.c_str(), login.c_str(), &conv, &pam);
#ifdef HAVE_PAM_FAIL_DELAY
  if (rc == PAM_SUCCESS) {
    void (*delay)(int, unsigned, void*) = &noFailDelay;
    ::pam_set_item(pam, PAM_FAIL_DELAY, reinterpret_cast<const void*>(delay));
  }
#endif
  if (rc == PAM_SUCCESS) rc = ::pam_authenticate(pam, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
  if (rc == PAM_SUCCESS) rc = ::pam_acct_mgmt(pam, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
  const std::string text = pam != nullptr ? ::pam_strerror(pam, rc) : "pam_start failed";
  if (pam != nullptr) ::pam_end(pam, rc);
  if (rc == PAM_SUCCESS) {
    r.status = Status::Ok;
    r.user = login;
  } else if (rc == PAM_AUTH_ERR || rc == PAM_USER_UNKNOWN || rc == PAM_MAXTRIES ||
             rc == PAM_ACCT_EXPIRED || rc == PAM_NEW_AUTHTOK_REQD || rc == PAM_PERM_DENIED) {
    r.status = Status::Fail;
    r.reason = "PAM: " + text;
  } else {
    r.status = Status::TempFail;
    r.reason = "PAM: " + text;
  }
#else
  (void)login;
  (void)password;
  r.status = Status::Fail;
  r.reason = "unknown user";
#endif
  return r;
}

std::optional<PassdbUser> Passdb::fileUser(const std::string& login, Status& status,
                                           std::string& reason) {
  try {
    if (!settings_.passwdFile.empty()) return file_.lookup(login);
  } catch (const UserdbTempFail& e) {
    status = Status::TempFail;
    reason = e.what();
  }
  return std::nullopt;
}

PasswordDatabase::Result Passdb::checkPassword(const std::string& login,
                                               const std::string& password,
                                               const std::string& /*service*/) {
  Result r;
  const std::optional<PassdbUser> user = fileUser(login, r.status, r.reason);
  if (r.status == Status::TempFail) return r;
  if (!user) {
    if (!settings_.pamService.empty() && pamAvailable()) return checkSystemUser(login, password);
    std::string ignored;
    auth::checkPassword(kDummyHash, password, false, &ignored);
    r.status = Status::Fail;
    r.reason = "unknown user";
    return r;
  }
  std::string why;
  switch (auth::checkPassword(user->password, password, settings_.allowPlaintext, &why)) {
    case PasswordResult::Match:
      r.status = Status::Ok;
      r.user = user->name;
      return r;
    case PasswordResult::Mismatch:
      break;
    case PasswordResult::PlainRefused:
    case PasswordResult::Unsupported:
      log::warning("%s: user %s: %s", file_.path().c_str(), user->name.c_str(), why.c_str());
      break;
  }
  r.status = Status::Fail;
  r.reason = why;
  return r;
}

PasswordDatabase::ScramLookup Passdb::scramVerifier(const std::string& login) {
  ScramLookup r;
  const std::optional<PassdbUser> user = fileUser(login, r.status, r.reason);
  if (r.status == Status::TempFail) return r;
  if (!user) {
    r.status = Status::Fail;
    r.reason = "unknown user";
    return r;
  }
  r.status = Status::Ok;
  r.user = user->name;
  std::string text = user->scram;
  if (text.empty() && user->password.rfind("{SCRAM-SHA-256}", 0) == 0) {
    text = user->password.substr(15);
  }
  if (!text.empty()) {
    r.verifier = parseScramVerifier(text);
    if (!r.verifier) {
      log::warning("%s: user %s: malformed %s field", file_.path().c_str(), user->name.c_str(),
                   std::string(kScramField).c_str());
    }
  }
  if (!r.verifier) r.reason = "no SCRAM-SHA-256 verifier";
  return r;
}

}  // namespace posthorn::auth
