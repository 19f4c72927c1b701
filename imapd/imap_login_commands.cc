// imap_login_commands - the commands imapd's login stage answers: CAPABILITY,
// NOOP, LOGOUT (RFC 3501 6.1), STARTTLS, AUTHENTICATE (with SASL-IR, RFC 4959),
// LOGIN (6.2), ID (RFC 2971)
#include "imapd/imap_id.h"
#include "imapd/imap_login_session.h"
#include "lib/log/log.h"

namespace posthorn::imapd {
namespace {

constexpr std::string_view kPlaintextRefused =
    "NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.";

}  // namespace

LoginResult LoginSession::cmdCapability(const ImapCommand& c) {
  out_.write("* CAPABILITY " + capability() + "\r\n");
  tagged(c.tag, "OK Pre-login capabilities listed, post-login capabilities have more.");
  return {};
}

LoginResult LoginSession::cmdNoop(const ImapCommand& c) {
  tagged(c.tag, "OK NOOP completed.");
  return {};
}

LoginResult LoginSession::cmdLogout(const ImapCommand& c) {
  out_.write("* BYE Logging out\r\n");
  tagged(c.tag, "OK Logout completed.");
  return {LoginResult::Kind::Close, {}, {}};
}

LoginResult LoginSession::cmdStarttls(const ImapCommand& c) {
  if (sasl_.tls()) return bad(c.tag, "TLS is already active.");
  if (!settings_.tlsAvailable()) return bad(c.tag, "TLS support isn't enabled.");
  tagged(c.tag, "OK Begin TLS negotiation now.");
  return {LoginResult::Kind::StartTls, {}, {}};
}

LoginResult LoginSession::cmdLogin(const ImapCommand& c) {
  if (c.args.size() != 2 || !c.args[0].isString() || !c.args[1].isString())
    return bad(c.tag, "Syntax: LOGIN user password");
  if (!sasl_.plaintextAllowed()) return sasl_.refuse(login::finalReply(c.tag, kPlaintextRefused));
  return sasl_.start(c.tag, "PLAIN", login::plainResponse(c.args[0].text, c.args[1].text));
}

LoginResult LoginSession::cmdAuthenticate(const ImapCommand& c) {
  if (c.args.empty() || c.args.size() > 2 || !c.args[0].isAtom())
    return bad(c.tag, "Syntax: AUTHENTICATE mechanism [initial-response]");
  std::string mech = c.args[0].text;
  switch (sasl_.checkMechanism(mech)) {
    case login::SaslLogin::Mechanism::Offered: break;
    case login::SaslLogin::Mechanism::Unsupported:
      return no(c.tag, "Unsupported authentication mechanism.");
    case login::SaslLogin::Mechanism::PlaintextRefused:
      return sasl_.refuse(login::finalReply(c.tag, kPlaintextRefused));
  }
  if (c.args.size() == 1) return sasl_.start(c.tag, mech, std::nullopt);
  if (!c.args[1].isAtom()) return bad(c.tag, "Invalid initial response.");
  auto initial = login::decodeInitialResponse(c.args[1].text);
  if (!initial) return bad(c.tag, "Invalid base64 data in initial response.");
  return sasl_.start(c.tag, mech, std::move(initial));
}

LoginResult LoginSession::cmdId(const ImapCommand& c) {
  auto id = answerId(out_, c);
  if (!id) return bad(c.tag, kIdSyntax);
  clientId_ = std::move(*id);
  if (!clientId_.empty())
    log::info("ID from %s: %s", sasl_.clientAddress().c_str(), clientId_.c_str());
  return {};
}

}  // namespace posthorn::imapd
