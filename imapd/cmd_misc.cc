// cmd_misc - CAPABILITY, NOOP, CHECK, LOGOUT, ID, ENABLE, NAMESPACE: the
// commands that read or change no folder
#include "imapd/imap_capability.h"
#include "imapd/imap_id.h"
#include "imapd/imap_session.h"
#include "lib/log/log.h"

namespace posthorn::imapd {

ImapSession::Next ImapSession::cmdCapability(const ImapCommand& c) {
  if (!c.args.empty()) return bad(c.tag, "CAPABILITY takes no arguments.");
  out_.write("* CAPABILITY " + postLoginCapability() + "\r\n");
  tagged(c.tag, "OK Capability completed.");
  return Next::Continue;
}

ImapSession::Next ImapSession::cmdNoop(const ImapCommand& c) {
  sendUpdates(true);
  tagged(c.tag, "OK " + c.name + " completed.");
  return Next::Continue;
}

ImapSession::Next ImapSession::cmdLogout(const ImapCommand& c) {
  out_.write("* BYE Logging out\r\n");
  tagged(c.tag, "OK Logout completed.");
  return Next::Close;
}

ImapSession::Next ImapSession::cmdNamespace(const ImapCommand& c) {
  if (!c.args.empty()) return bad(c.tag, "NAMESPACE takes no arguments.");
  out_.write("* NAMESPACE ((\"\" \".\")) NIL NIL\r\n");
  tagged(c.tag, "OK Namespace completed.");
  return Next::Continue;
}

ImapSession::Next ImapSession::cmdEnable(const ImapCommand& c) {
  if (c.args.empty()) return bad(c.tag, "Syntax: ENABLE capability...");
  for (const auto& a : c.args)
    if (!a.isAtom()) return bad(c.tag, "Syntax: ENABLE capability...");
  // Nothing we announce needs enabling (no CONDSTORE, no UTF8=ACCEPT yet).
  out_.write("* ENABLED\r\n");
  tagged(c.tag, "OK Enabled.");
  return Next::Continue;
}

ImapSession::Next ImapSession::cmdId(const ImapCommand& c) {
  const auto id = answerId(out_, c);
  if (!id) return bad(c.tag, kIdSyntax);
  if (!id->empty()) log::info("user=%s: ID %s", user_.c_str(), id->c_str());
  return Next::Continue;
}

}  // namespace posthorn::imapd
