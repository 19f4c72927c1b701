// imap_login_session - IMAP's not-authenticated state: the command table, its dispatcher
// and the SASL exchange with authd
#include "imapd/imap_login_session.h"

#include <algorithm>
#include <exception>

#include "imapd/imap_capability.h"
#include "lib/log/log.h"
#include "lib/proto/passdb_client.h"

namespace posthorn::imapd {
namespace {

// What the dispatcher checks before a command runs.
enum LoginFlag : unsigned {
  kNoArgs = 1,      // BAD "NAME takes no arguments." with any
  kAfterLogin = 2,  // of the authenticated or selected state: BAD "Command not valid before login."
};

struct LoginCommand {
  std::string_view name;  // upper case, "UID FETCH" joined
  LoginResult (LoginSession::*handler)(const ImapCommand&);
  unsigned flags;
};

constexpr LoginCommand kCommands[] = {
    // any state (RFC 3501 6.1), and ID (RFC 2971)
    {"CAPABILITY", &LoginSession::cmdCapability, kNoArgs},
    {"NOOP", &LoginSession::cmdNoop, 0},
    {"LOGOUT", &LoginSession::cmdLogout, 0},
    {"ID", &LoginSession::cmdId, 0},
    // the not-authenticated state (RFC 3501 6.2)
    {"STARTTLS", &LoginSession::cmdStarttls, 0},
    {"AUTHENTICATE", &LoginSession::cmdAuthenticate, 0},
    {"LOGIN", &LoginSession::cmdLogin, 0},
    // the authenticated and selected states': the mailbox stage's, refused politely
    {"SELECT", nullptr, kAfterLogin}, {"EXAMINE", nullptr, kAfterLogin},
    {"CREATE", nullptr, kAfterLogin}, {"DELETE", nullptr, kAfterLogin},
    {"RENAME", nullptr, kAfterLogin}, {"SUBSCRIBE", nullptr, kAfterLogin},
    {"UNSUBSCRIBE", nullptr, kAfterLogin}, {"LIST", nullptr, kAfterLogin},
    {"LSUB", nullptr, kAfterLogin}, {"STATUS", nullptr, kAfterLogin},
    {"APPEND", nullptr, kAfterLogin}, {"CHECK", nullptr, kAfterLogin},
    {"CLOSE", nullptr, kAfterLogin}, {"EXPUNGE", nullptr, kAfterLogin},
    {"SEARCH", nullptr, kAfterLogin}, {"FETCH", nullptr, kAfterLogin},
    {"STORE", nullptr, kAfterLogin}, {"COPY", nullptr, kAfterLogin},
    {"MOVE", nullptr, kAfterLogin}, {"UID FETCH", nullptr, kAfterLogin},
    {"UID STORE", nullptr, kAfterLogin}, {"UID SEARCH", nullptr, kAfterLogin},
    {"UID COPY", nullptr, kAfterLogin}, {"UID MOVE", nullptr, kAfterLogin},
    {"UID EXPUNGE", nullptr, kAfterLogin}, {"IDLE", nullptr, kAfterLogin},
    {"NAMESPACE", nullptr, kAfterLogin}, {"UNSELECT", nullptr, kAfterLogin},
    {"ENABLE", nullptr, kAfterLogin}, {"GETQUOTAROOT", nullptr, kAfterLogin},
    {"GETQUOTA", nullptr, kAfterLogin},
};

// A row runs here exactly when it is not one of a later state.
static_assert(std::all_of(std::begin(kCommands), std::end(kCommands), [](const LoginCommand& c) {
  return (c.handler == nullptr) == ((c.flags & kAfterLogin) != 0);
}));

}  // namespace

bool LoginSession::isPlaintextMechanism(const std::string& m) { return m == "PLAIN" || m == "LOGIN"; }

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
  const auto* it = std::find_if(std::begin(kCommands), std::end(kCommands),
                                [&](const LoginCommand& spec) { return spec.name == c.name; });
  if (it == std::end(kCommands)) return bad(c.tag, "Unknown command.");
  if (it->flags & kAfterLogin) return bad(c.tag, "Command not valid before login.");
  if ((it->flags & kNoArgs) && !c.args.empty())
    return bad(c.tag, std::string(it->name) + " takes no arguments.");
  return (this->*it->handler)(c);
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
