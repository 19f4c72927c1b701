// imap_login_session - IMAP's not-authenticated state (RFC 3501 6.1-6.2, 4959, 2971)
#include "imapd/imap_login_session.h"

#include <algorithm>
#include <exception>

#include "imapd/imap_capability.h"
#include "imapd/imap_string.h"
#include "lib/log/log.h"
#include "lib/proto/passdb_client.h"

namespace posthorn::imapd {
namespace {

constexpr std::string_view kPlaintextRefused =
    "NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.";

bool isPlaintextMechanism(const std::string& m) { return m == "PLAIN" || m == "LOGIN"; }

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Commands of the authenticated and selected states: refused politely.
bool needsLogin(const std::string& name) {
  static const char* const kLater[] = {
      "SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE", "LIST",
      "LSUB", "STATUS", "APPEND", "CHECK", "CLOSE", "EXPUNGE", "SEARCH", "FETCH", "STORE",
      "COPY", "MOVE", "UID FETCH", "UID STORE", "UID SEARCH", "UID COPY", "UID MOVE",
      "UID EXPUNGE", "IDLE", "NAMESPACE", "UNSELECT", "ENABLE", "GETQUOTAROOT", "GETQUOTA"};
  return std::find(std::begin(kLater), std::end(kLater), name) != std::end(kLater);
}

}  // namespace

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

LoginSession::LoginSession(const Settings& settings, passdb::SaslAuthenticator& auth, ImapOutput& out,
                           std::string clientAddress, bool tls)
    : settings_(settings), auth_(auth), out_(out), clientAddress_(std::move(clientAddress)),
      tls_(tls) {}

void LoginSession::tagged(const std::string& tag, std::string_view text) {
  out_.write(tag);
  out_.write(" ");
  out_.write(text);
  out_.write("\r\n");
}

std::vector<std::string> LoginSession::offeredMechanisms() const {
  std::vector<std::string> v;
  for (const auto& m : auth_.mechanisms())
    if (plaintextAllowed() || !isPlaintextMechanism(m)) v.push_back(m);
  return v;
}

std::string LoginSession::capability() const {
  return preLoginCapability(tls_, settings_.tlsAvailable(), plaintextAllowed(), offeredMechanisms());
}

void LoginSession::greet() {
  out_.write("* OK [CAPABILITY " + capability() + "] posthorn IMAP server ready.\r\n");
}

void LoginSession::tlsStarted() {
  tls_ = true;
  saslTag_.clear();
}

LoginResult LoginSession::bad(const std::string& tag, const std::string& text) {
  tagged(tag, "BAD " + text);
  return badInput();
}

LoginResult LoginSession::no(const std::string& tag, const std::string& text) {
  tagged(tag, "NO " + text);
  return badInput();
}

LoginResult LoginSession::badInput() {
  if (++badCommands_ >= settings_.maxBadCommands) {
    out_.write("* BYE Too many invalid IMAP commands.\r\n");
    log::info("disconnect from %s: too many bad commands", clientAddress_.c_str());
    return {LoginResult::Kind::Close, {}, {}};
  }
  return {};
}

LoginResult LoginSession::handle(const ImapCommand& c) {
  const std::string& n = c.name;
  if (n == "CAPABILITY") {
    if (!c.args.empty()) return bad(c.tag, "CAPABILITY takes no arguments.");
    out_.write("* CAPABILITY " + capability() + "\r\n");
    tagged(c.tag, "OK Pre-login capabilities listed, post-login capabilities have more.");
    return {};
  }
  if (n == "NOOP") {
    tagged(c.tag, "OK NOOP completed.");
    return {};
  }
  if (n == "LOGOUT") {
    out_.write("* BYE Logging out\r\n");
    tagged(c.tag, "OK Logout completed.");
    return {LoginResult::Kind::Close, {}, {}};
  }
  if (n == "STARTTLS") {
    if (tls_) return bad(c.tag, "TLS is already active.");
    if (!settings_.tlsAvailable()) return bad(c.tag, "TLS support isn't enabled.");
    tagged(c.tag, "OK Begin TLS negotiation now.");
    return {LoginResult::Kind::StartTls, {}, {}};
  }
  if (n == "LOGIN") return cmdLogin(c);
  if (n == "AUTHENTICATE") return cmdAuthenticate(c);
  if (n == "ID") return cmdId(c);
  if (needsLogin(n)) return bad(c.tag, "Command not valid before login.");
  return bad(c.tag, "Unknown command.");
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

LoginResult LoginSession::startSasl(const std::string& tag, const std::string& mechanism,
                                    bool hasInitial, const std::string& initial) {
  ipc::PassdbAuth req;
  req.service = "imapd";
  req.clientAddress = clientAddress_;
  req.tls = tls_;
  req.mechanism = mechanism;
  req.hasInitialResponse = hasInitial;
  req.initialResponse = initial;
  saslTag_ = tag;
  try {
    return authReply(auth_.start(req));
  } catch (const std::exception& e) {
    log::warning("authentication for %s: %s", clientAddress_.c_str(), e.what());
    tagged(tag, "NO [UNAVAILABLE] Temporary authentication failure.");
    saslTag_.clear();
    return {};
  }
}

LoginResult LoginSession::saslLine(std::string_view line) {
  const std::string tag = saslTag_;
  if (line == "*") {
    saslTag_.clear();
    return bad(tag, "Authentication aborted by client.");
  }
  const auto decoded = passdb::decodeBase64(line);
  if (!decoded) {
    saslTag_.clear();
    return bad(tag, "Invalid base64 data in continued response.");
  }
  try {
    return authReply(auth_.next(*decoded));
  } catch (const std::exception& e) {
    log::warning("authentication for %s: %s", clientAddress_.c_str(), e.what());
    tagged(tag, "NO [UNAVAILABLE] Temporary authentication failure.");
    saslTag_.clear();
    return {};
  }
}

LoginResult LoginSession::authReply(const ipc::PassdbReply& r) {
  const std::string tag = saslTag_;
  if (r.status != ipc::PassdbStatus::Continue) saslTag_.clear();
  switch (r.status) {
    case ipc::PassdbStatus::Ok:
      log::info("login: client=%s, user=%s%s", clientAddress_.c_str(), r.user.c_str(),
                tls_ ? ", TLS" : "");
      return {LoginResult::Kind::Authenticated, r.user, tag};
    case ipc::PassdbStatus::Continue:
      out_.write("+ " + passdb::encodeBase64(r.challenge) + "\r\n");
      return {LoginResult::Kind::SaslResponse, {}, {}};
    case ipc::PassdbStatus::Fail:
      log::info("authentication failed: client=%s", clientAddress_.c_str());
      return no(tag, "[AUTHENTICATIONFAILED] Authentication failed.");
    case ipc::PassdbStatus::Locked:
      return no(tag, "[UNAVAILABLE] Too many failed logins, try again later.");
    case ipc::PassdbStatus::TempFail:
      break;
  }
  tagged(tag, "NO [UNAVAILABLE] Temporary authentication failure.");
  return {};
}

}  // namespace posthorn::imapd
