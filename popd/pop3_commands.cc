// pop3_commands - popd's command table (RFC 1939, 2449, 2595, 5034) and its dispatcher
#include "popd/pop3_commands.h"

#include <algorithm>

#include "popd/pop3_login_session.h"
#include "popd/pop3_mail_session.h"

namespace posthorn::popd {
namespace {

constexpr Pop3CommandSpec kCommands[] = {
    // AUTHORIZATION: pop3_authorization_commands.cc
    {"CAPA", &LoginSession::cmdCapa, kAuthorization, kNoArguments},
    {"USER", &LoginSession::cmdUser, kAuthorization, kOwnArguments},
    {"PASS", &LoginSession::cmdPass, kAuthorization, kOwnArguments},
    {"AUTH", &LoginSession::cmdAuth, kAuthorization, {0, 2, "AUTH mechanism [initial-response]"}},
    {"APOP", &LoginSession::cmdApop, kAuthorization, kOwnArguments},
    {"STLS", &LoginSession::cmdStls, kAuthorization, kNoArguments},
    {"QUIT", &LoginSession::cmdQuit, kAuthorization, kOwnArguments},
    // TRANSACTION: pop3_transaction_commands.cc
    {"STAT", &MailSession::cmdStat, kTransaction, kNoArguments},
    {"LIST", &MailSession::cmdList, kTransaction, {0, 1, "LIST [msg]"}},
    {"UIDL", &MailSession::cmdUidl, kTransaction, {0, 1, "UIDL [msg]"}},
    {"RETR", &MailSession::cmdRetr, kTransaction, {1, 1, "RETR msg"}},
    {"TOP", &MailSession::cmdTop, kTransaction, {2, 2, "TOP msg lines"}},
    {"DELE", &MailSession::cmdDele, kTransaction, {1, 1, "DELE msg"}},
    {"NOOP", &MailSession::cmdNoop, kTransaction, kNoArguments},
    {"RSET", &MailSession::cmdRset, kTransaction, kNoArguments},
    {"QUIT", &MailSession::cmdQuit, kTransaction, kNoArguments},
    {"CAPA", &MailSession::cmdCapa, kTransaction, kNoArguments},
};

// Each row's function is its state's session's.
static_assert(std::all_of(std::begin(kCommands), std::end(kCommands), [](const Pop3CommandSpec& c) {
  return (c.state == kAuthorization) == (c.handler.login != nullptr) &&
         (c.state == kTransaction) == (c.handler.mail != nullptr);
}));

const char* stateName(unsigned state) {
  return state == kAuthorization ? "AUTHORIZATION" : "TRANSACTION";
}

}  // namespace

Pop3Dispatch dispatch(std::string_view line, unsigned state) {
  Pop3Dispatch d;
  auto command = parseCommand(line);
  if (!command) {
    d.error = "-ERR Unknown command.";
    return d;
  }
  d.command = std::move(*command);
  const std::string& k = d.command.keyword;
  bool otherState = false;
  for (const auto& c : kCommands) {
    if (c.keyword != k) continue;
    if (c.state != state) {
      otherState = true;
      continue;
    }
    const std::size_t n = d.command.args.size();
    if (n >= c.arguments.min && n <= c.arguments.max) {
      d.spec = &c;
    } else if (c.arguments.usage.empty()) {
      d.error = "-ERR " + k + " takes no arguments.";
    } else {
      d.error = "-ERR Syntax: " + std::string(c.arguments.usage);
    }
    return d;
  }
  d.error = otherState ? "-ERR Unknown " + std::string(stateName(state)) + " state command."
                       : "-ERR Unknown command.";
  return d;
}

std::vector<std::string> commonCapabilities() {
  return {"CAPA", "TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE"};
}

}  // namespace posthorn::popd
