// cmd_expunge - EXPUNGE (RFC 3501 6.4.3) and UID EXPUNGE (RFC 4315)
#include "imapd/imap_session.h"

namespace posthorn::imapd {

ImapSession::Next ImapSession::cmdExpunge(const ImapCommand& c) {
  std::optional<std::vector<std::uint32_t>> only;
  if (uidCommand()) {
    if (c.args.size() != 1 || !c.args[0].isAtom()) return bad(c.tag, "Syntax: UID EXPUNGE set");
    const auto set = parseSequenceSet(c.args[0].text);
    if (!set || set->saved) return bad(c.tag, "Invalid message set.");
    only = selected_->resolve(*set, true);
  } else if (!c.args.empty()) {
    return bad(c.tag, "EXPUNGE takes no arguments.");
  }
  if (selected_->readOnly()) return no(c.tag, "[READ-ONLY] Mailbox is read-only.");
  auto& folder = selected_->folder();
  folder.refresh();
  selected_->expunged(out_, folder.expunge(selected_->deletedUids(only ? &*only : nullptr)));
  sendUpdates();
  tagged(c.tag, "OK Expunge completed.");
  return Next::Continue;
}

}  // namespace posthorn::imapd
