// imap_login_commands - the commands imapd's login stage answers: CAPABILITY,
// NOOP, LOGOUT (RFC 3501 6.1), STARTTLS, AUTHENTICATE (with SASL-IR, RFC 4959),
// LOGIN (6.2), ID (RFC 2971)
#include <algorithm>
#include <cctype>

#include "imapd/imap_login_session.h"
#include "lib/log/log.h"
#include "lib/proto/passdb_client.h"

namespace posthorn::imapd {
namespace {

constexpr std::string_view kPlaintextRefused =
    "NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.";

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

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
  if (tls_) return bad(c.tag, "TLS is already active.");
  if (!settings_.tlsAvailable()) return bad(c.tag, "TLS support isn't enabled.");
  tagged(c.tag, "OK Begin TLS negotiation now.");
  return {LoginResult::Kind::StartTls, {}, {}};
}

LoginResult LoginSession::cmdLogin(const ImapCommand& c) {
  if (c.args.size() != 2 || !c.args[0].isString() || !c.args[1].isString())
    return bad(c.tag, "Syntax: LOGIN user password");
  if (!plaintextAllowed()) {
    tagged(c.tag, kPlaintextRefused);
    return badInput();
  }
  std::string initial;
  initial.push_back('\0');
  initial += c.args[0].text;
  initial.push_back('\0');
  initial += c.args[1].text;
  return startSasl(c.tag, "PLAIN", true, initial);
}

LoginResult LoginSession::cmdAuthenticate(const ImapCommand& c) {
  if (c.args.empty() || c.args.size() > 2 || !c.args[0].isAtom())
    return bad(c.tag, "Syntax: AUTHENTICATE mechanism [initial-response]");
  const std::string mech = upper(c.args[0].text);
  const auto all = auth_.mechanisms();
  if (std::find(all.begin(), all.end(), mech) == all.end())
    return no(c.tag, "Unsupported authentication mechanism.");
  if (!plaintextAllowed() && isPlaintextMechanism(mech)) {
    tagged(c.tag, kPlaintextRefused);
    return badInput();
  }
  if (c.args.size() == 1) return startSasl(c.tag, mech, false, {});
  if (!c.args[1].isAtom()) return bad(c.tag, "Invalid initial response.");
  if (c.args[1].text == "=") return startSasl(c.tag, mech, true, {});
  const auto decoded = passdb::decodeBase64(c.args[1].text);
  if (!decoded) return bad(c.tag, "Invalid base64 data in initial response.");
  return startSasl(c.tag, mech, true, *decoded);
}

std::string idResponse() { return "* ID (\"name\" \"posthorn\" \"vendor\" \"posthorn\")\r\n"; }

std::string describeId(const ImapValue& list) {
  std::string out;
  if (list.kind != ImapValue::Kind::List) return out;
  for (std::size_t i = 0; i + 1 < list.items.size() && i < 60; i += 2) {
    const auto& k = list.items[i];
    const auto& v = list.items[i + 1];
    if (!k.isString() || (!v.isString() && !v.isNil())) continue;
    std::string value = v.isNil() ? "NIL" : v.text.substr(0, 64);
    for (char& c : value)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    std::string key = k.text.substr(0, 32);
    for (char& c : key)
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '=') c = '_';
    if (!out.empty()) out += ' ';
    out += key + "=" + value;
  }
  return out;
}

LoginResult LoginSession::cmdId(const ImapCommand& c) {
  if (c.args.size() != 1 || (!c.args[0].isNil() && c.args[0].kind != ImapValue::Kind::List))
    return bad(c.tag, "Syntax: ID (\"name\" \"value\" ...) or ID NIL");
  clientId_ = describeId(c.args[0]);
  if (!clientId_.empty()) log::info("ID from %s: %s", clientAddress_.c_str(), clientId_.c_str());
  out_.write(idResponse());
  tagged(c.tag, "OK ID completed.");
  return {};
}

}  // namespace posthorn::imapd
