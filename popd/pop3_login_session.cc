// pop3_login_session - POP3's AUTHORIZATION state (RFC 1939, 2449, 2595, 5034)
#include "popd/pop3_login_session.h"

#include <algorithm>
#include <exception>

#include "lib/log/log.h"
#include "lib/proto/passdb_client.h"
#include "popd/pop3_command.h"

namespace posthorn::popd {
namespace {

constexpr std::string_view kPlaintextRefused =
    "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.";

bool isPlaintextMechanism(const std::string& m) { return m == "PLAIN" || m == "LOGIN"; }

}  // namespace

std::vector<std::string> commonCapabilities() {
  return {"CAPA", "TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE"};
}

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
  const auto cmd = parseCommand(line);
  if (!cmd) return bad("-ERR Unknown command.");
  const std::string& k = cmd->keyword;
  if (k == "CAPA") return cmd->args.empty() ? cmdCapa() : bad("-ERR CAPA takes no arguments.");
  if (k == "USER") return cmdUser(cmd->rest);
  if (k == "PASS") return cmdPass(cmd->rest);
  if (k == "AUTH") return cmdAuth(cmd->args);
  if (k == "STLS") return cmd->args.empty() ? cmdStls() : bad("-ERR STLS takes no arguments.");
  if (k == "QUIT") {
    reply("+OK Logging out.");
    return {LoginResult::Kind::Close, {}};
  }
  if (k == "APOP") return bad("-ERR APOP is not supported.");
  static constexpr std::string_view kTransaction[] = {"STAT", "LIST", "RETR", "DELE", "NOOP",
                                                       "RSET", "TOP",  "UIDL"};
  if (std::find(std::begin(kTransaction), std::end(kTransaction), k) != std::end(kTransaction))
    return bad("-ERR Unknown AUTHORIZATION state command.");
  return bad("-ERR Unknown command.");
}

LoginResult LoginSession::cmdCapa() {
  reply("+OK Capability list follows");
  for (const auto& c : commonCapabilities()) reply(c);
  if (plaintextAllowed()) reply("USER");
  std::string sasl = "SASL";
  for (const auto& m : offeredMechanisms()) sasl += " " + m;
  reply(sasl);
  if (settings_.tlsAvailable() && !tls_) reply("STLS");
  reply("IMPLEMENTATION posthorn");
  reply(".");
  return {};
}

LoginResult LoginSession::cmdUser(const std::string& rest) {
  if (!plaintextAllowed()) return bad(std::string(kPlaintextRefused));
  if (rest.empty() || rest.find(' ') != std::string::npos) return bad("-ERR USER needs one name.");
  user_ = rest;
  reply("+OK");
  return {};
}

LoginResult LoginSession::cmdPass(const std::string& rest) {
  if (!plaintextAllowed()) return bad(std::string(kPlaintextRefused));
  if (user_.empty()) return bad("-ERR No username given.");
  std::string initial;
  initial.push_back('\0');
  initial += user_;
  initial.push_back('\0');
  initial += rest;
  user_.clear();
  return startSasl("PLAIN", true, initial);
}

LoginResult LoginSession::cmdAuth(const std::vector<std::string>& args) {
  if (args.empty()) {
    // Not in RFC 5034, but older clients (Outlook) list mechanisms this way.
    reply("+OK");
    for (const auto& m : offeredMechanisms()) reply(m);
    reply(".");
    return {};
  }
  if (args.size() > 2 || args[0].empty()) return bad("-ERR Syntax: AUTH mechanism [initial-response]");
  std::string mech = args[0];
  for (char& c : mech) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const auto all = auth_.mechanisms();
  if (std::find(all.begin(), all.end(), mech) == all.end())
    return bad("-ERR Unsupported authentication mechanism.");
  if (!plaintextAllowed() && isPlaintextMechanism(mech)) return bad(std::string(kPlaintextRefused));
  if (args.size() == 1) return startSasl(mech, false, {});
  if (args[1] == "=") return startSasl(mech, true, {});
  const auto decoded = passdb::decodeBase64(args[1]);
  if (!decoded) return bad("-ERR Invalid base64 data in initial response.");
  return startSasl(mech, true, *decoded);
}

LoginResult LoginSession::cmdStls() {
  if (tls_) return bad("-ERR TLS is already active.");
  if (!settings_.tlsAvailable()) return bad("-ERR TLS support isn't enabled.");
  reply("+OK Begin TLS negotiation now.");
  return {LoginResult::Kind::StartTls, {}};
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
