// pop3_authorization_commands - the AUTHORIZATION state's commands: CAPA (RFC 2449),
// USER and PASS (RFC 1939 7), AUTH (RFC 5034), STLS (RFC 2595), APOP (refused), QUIT
#include <algorithm>
#include <cctype>

#include "lib/proto/passdb_client.h"
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
  if (plaintextAllowed()) reply("USER");
  std::string sasl = "SASL";
  for (const auto& m : offeredMechanisms()) sasl += " " + m;
  reply(sasl);
  if (settings_.tlsAvailable() && !tls_) reply("STLS");
  reply("IMPLEMENTATION posthorn");
  reply(".");
  return {};
}

LoginResult LoginSession::cmdUser(const Pop3Command& c) {
  if (!plaintextAllowed()) return bad(std::string(kPlaintextRefused));
  if (c.rest.empty() || c.rest.find(' ') != std::string::npos) return bad("-ERR USER needs one name.");
  user_ = c.rest;
  reply("+OK");
  return {};
}

LoginResult LoginSession::cmdPass(const Pop3Command& c) {
  if (!plaintextAllowed()) return bad(std::string(kPlaintextRefused));
  if (user_.empty()) return bad("-ERR No username given.");
  std::string initial;
  initial.push_back('\0');
  initial += user_;
  initial.push_back('\0');
  initial += c.rest;
  user_.clear();
  return startSasl("PLAIN", true, initial);
}

LoginResult LoginSession::cmdAuth(const Pop3Command& c) {
  const auto& args = c.args;
  if (args.empty()) {
    // Not in RFC 5034, but older clients (Outlook) list mechanisms this way.
    reply("+OK");
    for (const auto& m : offeredMechanisms()) reply(m);
    reply(".");
    return {};
  }
  if (args[0].empty()) return bad("-ERR Syntax: AUTH mechanism [initial-response]");
  std::string mech = args[0];
  for (char& ch : mech) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
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

LoginResult LoginSession::cmdApop(const Pop3Command&) { return bad("-ERR APOP is not supported."); }

LoginResult LoginSession::cmdStls(const Pop3Command&) {
  if (tls_) return bad("-ERR TLS is already active.");
  if (!settings_.tlsAvailable()) return bad("-ERR TLS support isn't enabled.");
  reply("+OK Begin TLS negotiation now.");
  return {LoginResult::Kind::StartTls, {}};
}

LoginResult LoginSession::cmdQuit(const Pop3Command&) {
  reply("+OK Logging out.");
  return {LoginResult::Kind::Close, {}};
}

}  // namespace posthorn::popd
