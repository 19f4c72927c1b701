// cmd_folders - CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE (RFC 3501 6.3.3-7), and
// the special-use folders (RFC 6154) made at the first login
#include "imapd/imap_session.h"
#include "imapd/mailbox_name.h"
#include "imapd/message_copy.h"

namespace posthorn::imapd {

void ImapSession::createSpecialUse() {
  // Only at the first login: when nothing was ever subscribed, the user
  // has not arranged folders yet.
  if (!store_.subscriptions().empty()) return;
  for (const auto& s : settings_.specialUse) {
    if (!store_.folderExists(s.folder)) store_.createFolder(s.folder);
    store_.setSubscribed(s.folder, true);
  }
}

ImapSession::Next ImapSession::cmdCreate(const ImapCommand& c) {
  if (c.args.size() != 1) return bad(c.tag, "Syntax: CREATE mailbox");
  if (!c.args[0].isString()) return bad(c.tag, "Mailbox name expected.");
  std::string raw = c.args[0].text;
  // "CREATE a.b." asks for a folder that will hold others: the same here.
  if (raw.size() > 1 && raw.back() == kHierarchySeparator) raw.pop_back();
  ImapValue v = c.args[0];
  v.text = raw;
  const auto name = folderArgument(c, v);
  if (!name) return Next::Continue;
  if (*name == "INBOX" || store_.folderExists(*name)) return no(c.tag, "[ALREADYEXISTS] Mailbox already exists.");
  store_.createFolder(*name);
  tagged(c.tag, "OK Create completed.");
  return Next::Continue;
}

ImapSession::Next ImapSession::cmdDelete(const ImapCommand& c) {
  if (c.args.size() != 1) return bad(c.tag, "Syntax: DELETE mailbox");
  const auto name = folderArgument(c, c.args[0]);
  if (!name) return Next::Continue;
  if (*name == "INBOX") return no(c.tag, "[CANNOT] INBOX can't be deleted.");
  if (!store_.folderExists(*name)) return no(c.tag, "[NONEXISTENT] Mailbox doesn't exist: " + *name);
  if (hasChildFolder(store_.folders(), *name))
    return no(c.tag, "[HASCHILDREN] Mailbox has children, delete them first.");
  if (selected_ && selected_->name() == *name) selected_.reset();
  store_.deleteFolder(*name);
  store_.setSubscribed(*name, false);
  tagged(c.tag, "OK Delete completed.");
  return Next::Continue;
}

ImapSession::Next ImapSession::cmdRename(const ImapCommand& c) {
  if (c.args.size() != 2) return bad(c.tag, "Syntax: RENAME old new");
  const auto from = folderArgument(c, c.args[0]);
  if (!from) return Next::Continue;
  const auto to = folderArgument(c, c.args[1]);
  if (!to) return Next::Continue;
  if (!store_.folderExists(*from)) return no(c.tag, "[NONEXISTENT] Mailbox doesn't exist: " + *from);
  if (*to == "INBOX" || store_.folderExists(*to)) return no(c.tag, "[ALREADYEXISTS] Target mailbox already exists.");
  if (isBelowFolder(*to, *from)) return no(c.tag, "[CANNOT] Can't rename a mailbox under itself.");
  if (*from == "INBOX") {
    // RFC 3501 6.3.5: INBOX's messages move to the new folder; INBOX stays, empty.
    store_.createFolder(*to);
    mailbox::MaildirFolder inbox = store_.folder("INBOX");
    inbox.open();
    inbox.sync();
    std::vector<std::uint32_t> uids;
    for (const auto& m : inbox.messages()) uids.push_back(m.uid);
    copyMessages(inbox, uids, store_, *to);
    inbox.expunge(uids);
  } else {
    store_.renameFolder(*from, *to);
    // The selected folder (or one below it) stays selected under its new
    // name: UIDs and UIDVALIDITY moved with it.
    if (selected_ && (selected_->name() == *from || isBelowFolder(selected_->name(), *from))) {
      const std::string renamed = *to + selected_->name().substr(from->size());
      selected_->moveTo(renamed, store_.folder(renamed));
    }
    // Subscriptions follow the folder and its children.
    for (const auto& s : store_.subscriptions()) {
      if (s == *from || isBelowFolder(s, *from)) {
        store_.setSubscribed(s, false);
        store_.setSubscribed(*to + s.substr(from->size()), true);
      }
    }
  }
  tagged(c.tag, "OK Rename completed.");
  return Next::Continue;
}

ImapSession::Next ImapSession::cmdSubscribe(const ImapCommand& c) { return setSubscription(c, true); }

ImapSession::Next ImapSession::cmdUnsubscribe(const ImapCommand& c) { return setSubscription(c, false); }

ImapSession::Next ImapSession::setSubscription(const ImapCommand& c, bool subscribe) {
  if (c.args.size() != 1) return bad(c.tag, "Syntax: " + c.name + " mailbox");
  const auto name = folderArgument(c, c.args[0]);
  if (!name) return Next::Continue;
  if (subscribe && !store_.folderExists(*name))
    return no(c.tag, "[NONEXISTENT] Mailbox doesn't exist: " + *name);
  store_.setSubscribed(*name, subscribe);
  tagged(c.tag, "OK " + std::string(subscribe ? "Subscribe" : "Unsubscribe") + " completed.");
  return Next::Continue;
}

}  // namespace posthorn::imapd
