// pop3_login_session - POP3's AUTHORIZATION state: the dispatcher and the SASL exchange with authd
#include "popd/pop3_login_session.h"

#include <exception>

#include "lib/log/log.h"
#include "lib/proto/passdb_client.h"
#include "popd/pop3_commands.h"

namespace posthorn::popd {

bool LoginSession::isPlaintextMechanism(const std::string& m) { return m == "PLAIN" || m == "LOGIN"; }

LoginSession::LoginSession(const Settings& settings, Pop3Authenticator& auth, Pop3Output& out,
                           std::string clientAddress, bool tls)
    : settings_(settings), auth_(auth), out_(out), clientAddress_(std::move(clientAddress)),
      tls_(tls) {}

void LoginSession::reply(std::string_view line) {
  out_.write(line);
  out_.write("\r\n");
}

void LoginSession::greet() { reply("+OK posthorn POP3 server ready."); }

void LoginSession::tlsStarted() {
  tls_ = true;
  user_.clear();
  sasl_ = false;
}

std::vector<std::string> LoginSession::offeredMechanisms() const {
  std::vector<std::string> v;
  for (const auto& m : auth_.mechanisms())
    if (plaintextAllowed() || !isPlaintextMechanism(m)) v.push_back(m);
  return v;
}

LoginResult LoginSession::bad(const std::string& text) {
  reply(text);
  if (++badCommands_ >= settings_.maxBadCommands) {
    reply("-ERR Too many bad commands, closing connection.");
    log::info("disconnect from %s: too many bad commands", clientAddress_.c_str());
    return {LoginResult::Kind::Close, {}};
  }
  return {};
}

LoginResult LoginSession::lineTooLong() {
  if (sasl_) {
    sasl_ = false;
    return bad("-ERR [AUTH] Authentication failed: response too long.");
  }
  return bad("-ERR Line too long.");
}

LoginResult LoginSession::handleLine(std::string_view line) {
  if (sasl_) return saslResponse(line);
  const Pop3Dispatch d = dispatch(line, kAuthorization);
  if (d.spec == nullptr) return bad(d.error);
  return (this->*d.spec->handler.login)(d.command);
}

LoginResult LoginSession::startSasl(const std::string& mechanism, bool hasInitial,
                                    const std::string& initial) {
  ipc::PassdbAuth req;
  req.service = "popd";
  req.clientAddress = clientAddress_;
  req.tls = tls_;
  req.mechanism = mechanism;
  req.hasInitialResponse = hasInitial;
  req.initialResponse = initial;
  try {
    return authReply(auth_.start(req));
  } catch (const std::exception& e) {
    log::warning("authentication for %s: %s", clientAddress_.c_str(), e.what());
    reply("-ERR [SYS/TEMP] Temporary authentication failure.");
    return {};
  }
}

LoginResult LoginSession::saslResponse(std::string_view line) {
  sasl_ = false;
  if (line == "*") return bad("-ERR [AUTH] Authentication aborted by client.");
  const auto decoded = passdb::decodeBase64(line);
  if (!decoded) return bad("-ERR [AUTH] Invalid base64 data in continued response.");
  try {
    return authReply(auth_.next(*decoded));
  } catch (const std::exception& e) {
    log::warning("authentication for %s: %s", clientAddress_.c_str(), e.what());
    reply("-ERR [SYS/TEMP] Temporary authentication failure.");
    return {};
  }
}

LoginResult LoginSession::authReply(const ipc::PassdbReply& r) {
  switch (r.status) {
    case ipc::PassdbStatus::Ok:
      log::info("login: client=%s, user=%s%s", clientAddress_.c_str(), r.user.c_str(),
                tls_ ? ", TLS" : "");
      return {LoginResult::Kind::Authenticated, r.user};
    case ipc::PassdbStatus::Continue:
      reply("+ " + passdb::encodeBase64(r.challenge));
      sasl_ = true;
      return {};
    case ipc::PassdbStatus::Fail:
      log::info("authentication failed: client=%s", clientAddress_.c_str());
      return bad("-ERR [AUTH] Authentication failed.");
    case ipc::PassdbStatus::Locked:
      return bad("-ERR [SYS/TEMP] Too many failed logins, try again later.");
    case ipc::PassdbStatus::TempFail:
      reply("-ERR [SYS/TEMP] Temporary authentication failure.");
      return {};
  }
  reply("-ERR [SYS/TEMP] Temporary authentication failure.");
  return {};
}

}  // namespace posthorn::popd
