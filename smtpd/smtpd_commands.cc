// smtpd_commands - the SMTP command table
#include <algorithm>

#include "smtpd/smtpd_session.h"

namespace posthorn::smtpd {

namespace {

constexpr CommandSpec kCommands[] = {
    {"HELO", "helo", &Session::cmdHelo, kBeforeTls},
    {"EHLO", "ehlo", &Session::cmdEhlo, kBeforeTls},
    {"STARTTLS", "starttls", &Session::cmdStarttls, kBeforeTls},
    {"MAIL", "mail", &Session::cmdMail, 0},
    {"RCPT", "rcpt", &Session::cmdRcpt, 0},
    {"DATA", "data", &Session::cmdData, 0},
    {"BDAT", "bdat", &Session::cmdBdat, 0},
    {"RSET", "rset", &Session::cmdRset, kBeforeTls},
    {"NOOP", "noop", &Session::cmdNoop, kBeforeTls},
    {"QUIT", "quit", &Session::cmdQuit, kBeforeTls},
    {"VRFY", "vrfy", &Session::cmdVrfy, 0},
    {"HELP", "help", &Session::cmdHelp, kBeforeTls},
    // Before TLS too, so that it can say 538 5.7.11 (RFC 4954 6).
    {"AUTH", "auth", &Session::cmdAuth, kBeforeTls},
};

}  // namespace

const CommandSpec* findCommand(std::string_view verb) {
  const auto* it = std::find_if(std::begin(kCommands), std::end(kCommands),
                                [&](const CommandSpec& c) { return c.verb == verb; });
  return it == std::end(kCommands) ? nullptr : it;
}

}  // namespace posthorn::smtpd
