// cmd_select - SELECT, EXAMINE (RFC 3501 6.3.1-2), CLOSE (6.4.2), UNSELECT (RFC 3691)
#include <memory>

#include "imapd/imap_session.h"

namespace posthorn::imapd {

ImapSession::Next ImapSession::cmdSelect(const ImapCommand& c) { return selectFolder(c, false); }

ImapSession::Next ImapSession::cmdExamine(const ImapCommand& c) { return selectFolder(c, true); }

ImapSession::Next ImapSession::selectFolder(const ImapCommand& c, bool readOnly) {
  if (c.args.size() != 1) return bad(c.tag, "Syntax: " + c.name + " mailbox");
  const auto name = folderArgument(c, c.args[0]);
  if (!name) return Next::Continue;
  selected_.reset();  // a failed SELECT leaves nothing selected (RFC 3501 6.3.1)
  if (!store_.folderExists(*name)) return no(c.tag, "[NONEXISTENT] Mailbox doesn't exist: " + *name);
  auto view = std::make_unique<SelectedMailbox>(*name, store_.folder(*name), readOnly);
  view->open(out_);
  selected_ = std::move(view);
  tagged(c.tag, std::string(readOnly ? "OK [READ-ONLY]" : "OK [READ-WRITE]") + " " + c.name +
                    " completed.");
  return Next::Continue;
}

ImapSession::Next ImapSession::cmdClose(const ImapCommand& c) { return closeFolder(c, true); }

ImapSession::Next ImapSession::cmdUnselect(const ImapCommand& c) { return closeFolder(c, false); }

ImapSession::Next ImapSession::closeFolder(const ImapCommand& c, bool expunge) {
  if (!c.args.empty()) return bad(c.tag, c.name + " takes no arguments.");
  if (expunge && !selected_->readOnly()) {
    auto& folder = selected_->folder();
    folder.refresh();
    folder.expunge(selected_->deletedUids());  // CLOSE sends no EXPUNGE responses
  }
  selected_.reset();
  tagged(c.tag, "OK " + c.name + " completed.");
  return Next::Continue;
}

}  // namespace posthorn::imapd
