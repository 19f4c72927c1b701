// sasl_login - the SASL exchange with authd and the bad-command count of a login session
#include "lib/login/sasl_login.h"

#include <algorithm>
#include <exception>

#include "lib/log/log.h"
#include "lib/proto/passdb_client.h"
#include "lib/util/ascii.h"

namespace posthorn::login {
namespace {

bool isPlaintextMechanism(const std::string& m) { return m == "PLAIN" || m == "LOGIN"; }

}  // namespace

std::string finalReply(const std::string& tag, std::string_view line) {
  if (tag.empty()) return std::string(line);
  std::string r = tag;
  r += ' ';
  r += line;
  return r;
}

std::string plainResponse(std::string_view user, std::string_view password) {
  std::string r;
  r.push_back('\0');
  r += user;
  r.push_back('\0');
  r += password;
  return r;
}

std::optional<std::string> decodeInitialResponse(std::string_view text) {
  if (text == "=") return std::string();
  return passdb::decodeBase64(text);
}

SaslLogin::SaslLogin(passdb::SaslAuthenticator& auth, net::ClientOutput& out,
                     const LoginWords& words, const Policy& policy, std::string clientAddress,
                     bool tls)
    : auth_(auth), out_(out), words_(words), policy_(policy),
      clientAddress_(std::move(clientAddress)), tls_(tls) {}

void SaslLogin::tlsStarted() {
  tls_ = true;
  responding_ = false;
  tag_.clear();
}

std::vector<std::string> SaslLogin::offeredMechanisms() const {
  std::vector<std::string> v;
  for (const auto& m : auth_.mechanisms())
    if (plaintextAllowed() || !isPlaintextMechanism(m)) v.push_back(m);
  return v;
}

SaslLogin::Mechanism SaslLogin::checkMechanism(std::string& mechanism) const {
  util::upperInPlace(mechanism);
  const auto all = auth_.mechanisms();
  if (std::find(all.begin(), all.end(), mechanism) == all.end()) return Mechanism::Unsupported;
  if (!plaintextAllowed() && isPlaintextMechanism(mechanism)) return Mechanism::PlaintextRefused;
  return Mechanism::Offered;
}

void SaslLogin::reply(std::string_view line) {
  out_.write(line);
  out_.write("\r\n");
}

LoginResult SaslLogin::refuse(std::string_view line) {
  reply(line);
  return countBad();
}

LoginResult SaslLogin::countBad() {
  if (++badCommands_ >= policy_.maxBadCommands) {
    reply(words_.tooManyBad);
    log::info("disconnect from %s: too many bad commands", clientAddress_.c_str());
    return {LoginResult::Kind::Close, {}, {}};
  }
  return {};
}

LoginResult SaslLogin::start(std::string tag, const std::string& mechanism,
                             std::optional<std::string> initialResponse) {
  tag_ = std::move(tag);
  ipc::PassdbAuth req;
  req.service = policy_.service;
  req.clientAddress = clientAddress_;
  req.tls = tls_;
  req.mechanism = mechanism;
  req.hasInitialResponse = initialResponse.has_value();
  req.initialResponse = std::move(initialResponse).value_or(std::string());
  return ask([&] { return auth_.start(req); });
}

LoginResult SaslLogin::respond(std::string_view line) {
  responding_ = false;
  if (line == "*") return refuse(finalReply(tag_, words_.aborted));
  const auto decoded = passdb::decodeBase64(line);
  if (!decoded) return refuse(finalReply(tag_, words_.badResponse));
  return ask([&] { return auth_.next(*decoded); });
}

// One question to authd; not reaching it is a temporary failure.
template <class Call>
LoginResult SaslLogin::ask(Call call) {
  ipc::PassdbReply r;
  try {
    r = call();
  } catch (const std::exception& e) {
    log::warning("authentication for %s: %s", clientAddress_.c_str(), e.what());
    reply(finalReply(tag_, words_.tempFail));
    return {};
  }
  return answer(r);
}

LoginResult SaslLogin::answer(const ipc::PassdbReply& r) {
  switch (r.status) {
    case ipc::PassdbStatus::Ok:
      log::info("login: client=%s, user=%s%s", clientAddress_.c_str(), r.user.c_str(),
                tls_ ? ", TLS" : "");
      return {LoginResult::Kind::Authenticated, r.user, tag_};
    case ipc::PassdbStatus::Continue:
      reply("+ " + passdb::encodeBase64(r.challenge));
      responding_ = true;
      return {LoginResult::Kind::SaslResponse, {}, {}};
    case ipc::PassdbStatus::Fail:
      log::info("authentication failed: client=%s", clientAddress_.c_str());
      return refuse(finalReply(tag_, words_.authFailed));
    case ipc::PassdbStatus::Locked:
      return refuse(finalReply(tag_, words_.locked));
    case ipc::PassdbStatus::TempFail:
      break;
  }
  reply(finalReply(tag_, words_.tempFail));
  return {};
}

}  // namespace posthorn::login
