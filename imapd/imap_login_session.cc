// imap_login_session - IMAP's not-authenticated state: the command table and its dispatcher,
// over lib/login's SASL exchange
#include "imapd/imap_login_session.h"

#include <algorithm>
#include <array>
#include <iterator>

#include "imapd/imap_capability.h"
#include "imapd/imap_commands.h"

namespace posthorn::imapd {
namespace {

// What the dispatcher checks before a command runs.
enum LoginFlag : unsigned {
  kNoArgs = 1,  // BAD "NAME takes no arguments." with any
};

struct LoginCommand {
  std::string_view name;  // upper case
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
};

constexpr bool answeredHere(std::string_view name) {
  return std::any_of(std::begin(kCommands), std::end(kCommands),
                     [&](const LoginCommand& c) { return c.name == name; });
}

// Each row the mailbox stage's table marks kBeforeLogin is one of these.
static_assert(std::all_of(std::begin(ImapSession::kCommands), std::end(ImapSession::kCommands),
                          [](const ImapSession::Command& c) {
                            return (c.flags & ImapSession::kBeforeLogin) == 0 || answeredHere(c.name);
                          }));

// The authenticated and selected states' commands, refused politely ("not
// valid before login"): the mailbox stage's table (imap_commands.h) less
// the commands this stage runs, taken when compiling, so that no handler
// of the mailbox stage is linked here. GETQUOTA and GETQUOTAROOT (RFC
// 2087) are refused so too, though the mailbox stage does not serve them.
constexpr std::string_view kNotServedAfterLogin[] = {"GETQUOTAROOT", "GETQUOTA"};

constexpr bool refusedHere(const ImapSession::Command& c) {
  return (c.flags & ImapSession::kBeforeLogin) == 0 && !answeredHere(c.name);
}

constexpr std::size_t kAfterLoginCount =
    std::count_if(std::begin(ImapSession::kCommands), std::end(ImapSession::kCommands), refusedHere) +
    std::size(kNotServedAfterLogin);

constexpr auto kAfterLogin = [] {
  std::array<std::string_view, kAfterLoginCount> names{};
  auto out = names.begin();
  for (const ImapSession::Command& c : ImapSession::kCommands)
    if (refusedHere(c)) *out++ = c.name;
  for (const std::string_view name : kNotServedAfterLogin) *out++ = name;
  return names;
}();

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
  if (it == std::end(kCommands)) {
    const bool later = std::find(kAfterLogin.begin(), kAfterLogin.end(), c.name) != kAfterLogin.end();
    return bad(c.tag, later ? "Command not valid before login." : "Unknown command.");
  }
  if ((it->flags & kNoArgs) && !c.args.empty())
    return bad(c.tag, std::string(it->name) + " takes no arguments.");
  return (this->*it->handler)(c);
}

}  // namespace posthorn::imapd
