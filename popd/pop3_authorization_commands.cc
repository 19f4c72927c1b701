// pop3_authorization_commands - the AUTHORIZATION state's commands: CAPA (RFC 2449),
// USER and PASS (RFC 1939 7), AUTH (RFC 5034), STLS (RFC 2595), APOP (refused), QUIT
#include "popd/pop3_commands.h"
#include "popd/pop3_login_session.h"

namespace posthorn::popd {
namespace {

constexpr std::string_view kPlaintextRefused =
    "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.";

}  // namespace

LoginResult LoginSession::cmdCapa(const Pop3Command&) {
  reply("+OK Capability list follows");
  for (const auto& c : commonCapabilities()) reply(c);
  if (sasl_.plaintextAllowed()) reply("USER");
  std::string mechanisms = "SASL";
  for (const auto& m : sasl_.offeredMechanisms()) mechanisms += " " + m;
  reply(mechanisms);
  if (settings_.tlsAvailable() && !sasl_.tls()) reply("STLS");
  reply("IMPLEMENTATION posthorn");
  reply(".");
  return {};
}

LoginResult LoginSession::cmdUser(const Pop3Command& c) {
  if (!sasl_.plaintextAllowed()) return bad(kPlaintextRefused);
  if (c.rest.empty() || c.rest.find(' ') != std::string::npos) return bad("-ERR USER needs one name.");
  user_ = c.rest;
  reply("+OK");
  return {};
}

LoginResult LoginSession::cmdPass(const Pop3Command& c) {
  if (!sasl_.plaintextAllowed()) return bad(kPlaintextRefused);
  if (user_.empty()) return bad("-ERR No username given.");
  std::string initial = login::plainResponse(user_, c.rest);
  user_.clear();
  return sasl_.start({}, "PLAIN", std::move(initial));
}

LoginResult LoginSession::cmdAuth(const Pop3Command& c) {
  const auto& args = c.args;
  if (args.empty()) {
    // Not in RFC 5034, but older clients (Outlook) list mechanisms this way.
    reply("+OK");
    for (const auto& m : sasl_.offeredMechanisms()) reply(m);
    reply(".");
    return {};
  }
  if (args[0].empty()) return bad("-ERR Syntax: AUTH mechanism [initial-response]");
  std::string mech = args[0];
  switch (sasl_.checkMechanism(mech)) {
    case login::SaslLogin::Mechanism::Offered: break;
    case login::SaslLogin::Mechanism::Unsupported:
      return bad("-ERR Unsupported authentication mechanism.");
    case login::SaslLogin::Mechanism::PlaintextRefused: return bad(kPlaintextRefused);
  }
  if (args.size() == 1) return sasl_.start({}, mech, std::nullopt);
  auto initial = login::decodeInitialResponse(args[1]);
  if (!initial) return bad("-ERR Invalid base64 data in initial response.");
  return sasl_.start({}, mech, std::move(initial));
}

LoginResult LoginSession::cmdApop(const Pop3Command&) { return bad("-ERR APOP is not supported."); }

LoginResult LoginSession::cmdStls(const Pop3Command&) {
  if (sasl_.tls()) return bad("-ERR TLS is already active.");
  if (!settings_.tlsAvailable()) return bad("-ERR TLS support isn't enabled.");
  reply("+OK Begin TLS negotiation now.");
  return {LoginResult::Kind::StartTls, {}, {}};
}

LoginResult LoginSession::cmdQuit(const Pop3Command&) {
  reply("+OK Logging out.");
  return {LoginResult::Kind::Close, {}, {}};
}

}  // namespace posthorn::popd
