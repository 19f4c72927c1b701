// smtpd_cmd_auth - AUTH (RFC 4954): SASL through authd, and the sender login check
//
//   AUTH mechanism [initial-response]       ("=" is an empty initial response)
//   334 base64-challenge / client: base64-response, or "*" to cancel
//   235 2.7.0 Authentication successful
//
// Replies: 503 5.5.1 (not enabled / already authenticated / in a
// transaction / no EHLO), 538 5.7.11 (not inside TLS while
// smtpd_tls_auth_only), 504 5.5.4 (unknown mechanism), 501 5.5.2
// (undecodable base64), 501 5.0.0 (cancelled), 535 5.7.8 (wrong
// credentials), 454 4.7.0 (authd down or locked out: try later). A
// failure is logged as Postfix logs it, so existing fail2ban filters match:
//   warning: NAME[ADDR]: SASL PLAIN authentication failed: authentication failure

#include <algorithm>

#include "lib/log/log.h"
#include "lib/proto/passdb_client.h"
#include "lib/util/ascii.h"
#include "smtpd/smtpd_session.h"

namespace posthorn::smtpd {

namespace {

const Reply kAuthTempFail(454, "4.7.0", "Temporary authentication failure");

}  // namespace

bool Session::authOffered() const {
  if (!settings_.saslAuthEnable || auth_ == nullptr) return false;
  if (settings_.tlsAuthOnly && !tls_) return false;
  const auto& discard = settings_.discardEhloKeywords;
  return std::find(discard.begin(), discard.end(), "AUTH") == discard.end();
}

void Session::cmdAuth(std::string_view args) {
  if (!settings_.saslAuthEnable || auth_ == nullptr) {
    reply(Reply(503, "5.5.1", "Error: authentication not enabled"));
    return;
  }
  if (!esmtp_) {
    reply(Reply(503, "5.5.1", "Error: send EHLO first"));
    return;
  }
  if (settings_.tlsAuthOnly && !tls_) {
    reply(Reply(538, "5.7.11", "Encryption required for requested authentication mechanism"));
    return;
  }
  if (!authOffered()) {
    reply(Reply(503, "5.5.1", "Error: authentication not enabled"));
    return;
  }
  if (!saslUser_.empty()) {
    reply(Reply(503, "5.5.1", "Error: already authenticated"));
    return;
  }
  if (tx_.active) {
    reply(Reply(503, "5.5.1", "Error: MAIL transaction in progress"));
    return;
  }
  if (limits_ != nullptr) {
    if (auto refusal = limits_->check(LimitEvent::Auth, peer_.address, peer_.describe())) {
      reply(*refusal);
      return;
    }
  }
  const auto space = args.find(' ');
  const std::string mechanism = util::upper(args.substr(0, space));
  std::string_view initial = space == std::string_view::npos ? std::string_view() : args.substr(space + 1);
  while (!initial.empty() && initial.front() == ' ') initial.remove_prefix(1);
  if (mechanism.empty()) {
    reply(Reply(501, "5.5.4", "Syntax: AUTH mechanism"));
    return;
  }
  if (std::find(ipc::kPassdbMechanisms.begin(), ipc::kPassdbMechanisms.end(), mechanism) ==
      ipc::kPassdbMechanisms.end()) {
    reply(Reply(504, "5.5.4", "Unsupported authentication mechanism"));
    return;
  }
  ipc::PassdbAuth request;
  request.service = "smtpd";
  request.clientAddress = peer_.address;
  request.tls = tls_.has_value();
  request.mechanism = mechanism;
  if (!initial.empty()) {
    if (initial == "*") {
      reply(Reply(501, "5.0.0", "Authentication aborted"));
      return;
    }
    auto decoded = initial == "=" ? std::optional<std::string>("") : passdb::decodeBase64(initial);
    if (!decoded) {
      reply(Reply(501, "5.5.2", "Cannot decode response"));
      return;
    }
    request.hasInitialResponse = true;
    request.initialResponse = std::move(*decoded);
  }
  authMechanism_ = mechanism;
  mode_ = Mode::Auth;
  try {
    authStep(auth_->start(request));
  } catch (const AuthUnavailable& e) {
    authUnavailable(e.what());
  }
}

void Session::authLine(std::string_view line) {
  if (line == "*") {
    mode_ = Mode::Command;
    authMechanism_.clear();
    reply(Reply(501, "5.0.0", "Authentication aborted"));
    return;
  }
  auto decoded = passdb::decodeBase64(line);
  if (!decoded) {
    mode_ = Mode::Command;
    authMechanism_.clear();
    reply(Reply(501, "5.5.2", "Cannot decode response"));
    return;
  }
  try {
    authStep(auth_->next(*decoded));
  } catch (const AuthUnavailable& e) {
    authUnavailable(e.what());
  }
}

void Session::authStep(const ipc::PassdbReply& r) {
  switch (r.status) {
    case ipc::PassdbStatus::Continue:
      intermediate(Reply(334, "", passdb::encodeBase64(r.challenge)));
      return;
    case ipc::PassdbStatus::Ok:
      mode_ = Mode::Command;
      saslMethod_ = authMechanism_;
      saslUser_ = r.user;
      authMechanism_.clear();
      log::info("%s: sasl_method=%s, sasl_username=%s", peer_.describe().c_str(),
                saslMethod_.c_str(), saslUser_.c_str());
      reply(Reply(235, "2.7.0", "Authentication successful"));
      return;
    case ipc::PassdbStatus::Fail:
      mode_ = Mode::Command;
      log::warning("%s: SASL %s authentication failed: authentication failure",
                   peer_.describe().c_str(), authMechanism_.c_str());
      authMechanism_.clear();
      reply(Reply(535, "5.7.8", "Error: authentication failed: authentication failure"));
      return;
    case ipc::PassdbStatus::Locked:
      mode_ = Mode::Command;
      log::warning("%s: SASL %s authentication refused: too many failures",
                   peer_.describe().c_str(), authMechanism_.c_str());
      authMechanism_.clear();
      reply(Reply(454, "4.7.0", "Too many authentication failures, try again later"));
      return;
    case ipc::PassdbStatus::TempFail:
      authUnavailable("authd: " + r.reason);
      return;
  }
}

void Session::authUnavailable(const std::string& why) {
  mode_ = Mode::Command;
  log::warning("%s: SASL %s authentication aborted: %s", peer_.describe().c_str(),
               authMechanism_.c_str(), why.c_str());
  authMechanism_.clear();
  reply(kAuthTempFail);
}

std::optional<Reply> Session::checkSenderLogin(const address::Address& sender) {
  if (saslUser_.empty() || !settings_.rejectSenderLoginMismatch || sender.isNull())
    return std::nullopt;
  const std::string address = sender.toString();
  std::optional<std::string> owners;
  try {
    owners = policy_.senderLogins(sender);
  } catch (const LookupError& e) {
    log::warning("%s: smtpd_sender_login_maps lookup of %s failed: %s",
                 peer_.describe().c_str(), address.c_str(), e.what());
    return Reply(451, "4.3.0", "<" + address + ">: Sender address rejected: temporary lookup failure");
  }
  const std::string login = util::lower(saslUser_);
  bool owned = false;
  if (owners) {
    std::string word;
    for (char c : *owners + ",") {
      if (c == ',' || c == ' ' || c == '\t') {
        if (!word.empty() && util::lower(word) == login) owned = true;
        word.clear();
      } else {
        word += c;
      }
    }
  } else if (login.find('@') == std::string::npos) {
    // A bare login (a system user) owns its name at the local domains.
    owned = util::lower(sender.localPart) == login && policy_.isLocalDomain(sender);
  } else {
    owned = util::lower(address) == login;
  }
  if (owned) return std::nullopt;
  return Reply(553, "5.7.1",
               "<" + address + ">: Sender address rejected: not owned by user " + saslUser_);
}

}  // namespace posthorn::smtpd
