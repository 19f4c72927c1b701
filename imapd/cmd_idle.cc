// cmd_idle - IDLE (RFC 2177): updates as the folder changes, until DONE
//
// IDLE is the running command until DONE, so its flags (kBreaksSeqs) hold
// for the updates sent while it waits.
#include <utility>

#include "imapd/imap_session.h"

namespace posthorn::imapd {

ImapSession::Next ImapSession::cmdIdle(const ImapCommand& c) {
  if (!c.args.empty()) return bad(c.tag, "IDLE takes no arguments.");
  sendUpdates(true);
  out_.write("+ idling\r\n");
  idleTag_ = c.tag;
  return Next::Idle;
}

ImapSession::Next ImapSession::idleChanged(bool scan) {
  if (!idling()) return Next::Idle;
  sendUpdates(scan);
  return inconsistent_ ? closeIfInconsistent(Next::Close) : Next::Idle;
}

ImapSession::Next ImapSession::idleLine(std::string_view line) {
  const std::string tag = std::exchange(idleTag_, {});
  if (!equalsIgnoreCase(line, "DONE")) return bad(tag, "Expected DONE.");
  sendUpdates();
  tagged(tag, "OK Idle completed.");
  return closeIfInconsistent(Next::Continue);
}

}  // namespace posthorn::imapd
