// pop3_commands - popd's command table: each POP3 command, the state it is
// allowed in, the arguments it takes, and the session function that runs it
//
// RFC 1939's AUTHORIZATION state is the login stage's (LoginSession,
// pop3_authorization_commands.cc), TRANSACTION the mailbox stage's
// (MailSession, pop3_transaction_commands.cc). A command of the other
// state is answered "-ERR Unknown AUTHORIZATION state command." (or
// TRANSACTION), an unknown one "-ERR Unknown command.", a wrong number of
// arguments "-ERR KEYWORD takes no arguments." or "-ERR Syntax: USAGE".
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "lib/login/sasl_login.h"
#include "popd/pop3_command.h"

namespace posthorn::popd {

class LoginSession;
class MailSession;

inline constexpr unsigned kAuthorization = 1;  // before login: the login stage
inline constexpr unsigned kTransaction = 2;    // after login: the mailbox stage

// A command's function in the session of its state.
struct Pop3Handler {
  using Login = login::LoginResult (LoginSession::*)(const Pop3Command&);
  using Mail = bool (MailSession::*)(const Pop3Command&);
  // Implicit: a row names the function alone.
  constexpr Pop3Handler(Login f) : login(f) {}
  constexpr Pop3Handler(Mail f) : mail(f) {}
  Login login = nullptr;
  Mail mail = nullptr;
};

// How many arguments a command takes.
struct Pop3Arguments {
  std::size_t min = 0;
  std::size_t max = 0;
  std::string_view usage;  // "LIST [msg]"; none: the command takes no arguments
};
inline constexpr Pop3Arguments kNoArguments{0, 0, {}};
// The command looks at its arguments itself (USER and PASS take the rest of the line).
inline constexpr Pop3Arguments kOwnArguments{0, std::numeric_limits<std::size_t>::max(), {}};

struct Pop3CommandSpec {
  std::string_view keyword;
  Pop3Handler handler;
  unsigned state;  // kAuthorization or kTransaction
  Pop3Arguments arguments;
};

// A command line as the session in `state` is to run it: its row, or the
// -ERR line that answers it instead.
struct Pop3Dispatch {
  Pop3Command command;
  const Pop3CommandSpec* spec = nullptr;
  std::string error;
};
Pop3Dispatch dispatch(std::string_view line, unsigned state);

// The CAPA lines both states share (without "+OK" and ".").
std::vector<std::string> commonCapabilities();

}  // namespace posthorn::popd
