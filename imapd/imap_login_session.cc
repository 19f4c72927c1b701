// imap_login_session - IMAP's not-authenticated state: the command table and its dispatcher,
// over lib/login's SASL exchange
#include "imapd/imap_login_session.h"

#include <algorithm>

#include "imapd/imap_capability.h"

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

LoginSession::LoginSession(const Settings& settings, passdb::SaslAuthenticator& auth,
                           net::ClientOutput& out, std::string clientAddress, bool tls)
    : settings_(settings), out_(out),
      sasl_(auth, out, kLoginWords, {"imapd", settings.disablePlaintextAuth, settings.maxBadCommands},
            std::move(clientAddress), tls) {}

void LoginSession::tagged(const std::string& tag, std::string_view text) {
  out_.write(tag);
  out_.write(" ");
  out_.write(text);
  out_.write("\r\n");
}

std::string LoginSession::capability() const {
  return preLoginCapability(sasl_.tls(), settings_.tlsAvailable(), sasl_.plaintextAllowed(),
                            sasl_.offeredMechanisms());
}

void LoginSession::greet() {
  out_.write("* OK [CAPABILITY " + capability() + "] posthorn IMAP server ready.\r\n");
}

LoginResult LoginSession::bad(const std::string& tag, std::string_view text) {
  return sasl_.refuse(tag + " BAD " + std::string(text));
}

LoginResult LoginSession::no(const std::string& tag, std::string_view text) {
  return sasl_.refuse(tag + " NO " + std::string(text));
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

}  // namespace posthorn::imapd
