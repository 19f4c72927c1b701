// smtpd_cmd_misc - RSET, NOOP, QUIT, VRFY, HELP
#include "smtpd/smtpd_session.h"

namespace posthorn::smtpd {

void Session::cmdRset(std::string_view args) {
  if (args.find_first_not_of(" \t") != std::string_view::npos) {
    reply(Reply(501, "5.5.4", "Syntax: RSET"));
    return;
  }
  resetTransaction();
  reply(Reply(250, "2.0.0", "Ok"));
}

void Session::cmdNoop(std::string_view) { reply(Reply(250, "2.0.0", "Ok")); }

void Session::cmdQuit(std::string_view) {
  reply(Reply(221, "2.0.0", "Bye"));
  closeSession();
}

void Session::cmdVrfy(std::string_view args) {
  if (settings_.disableVrfy) {
    reply(Reply(502, "5.5.1", "VRFY command is disabled"));
    return;
  }
  if (args.find_first_not_of(" \t") == std::string_view::npos) {
    reply(Reply(501, "5.5.4", "Syntax: VRFY address"));
    return;
  }
  // RFC 5321 3.5.3: we do not tell who exists; RCPT TO will.
  reply(Reply(252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery"));
}

void Session::cmdHelp(std::string_view) {
  Reply r(214, "2.0.0", "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP");
  if (tlsAvailable_ && !tls_) r.lines.front() += " STARTTLS";
  r.lines.push_back("See RFC 5321");
  reply(r);
}

}  // namespace posthorn::smtpd
