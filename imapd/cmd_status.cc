// cmd_status - STATUS (RFC 3501 6.3.10, SIZE of RFC 8438)
#include <cctype>

#include "imapd/imap_session.h"
#include "imapd/imap_string.h"

#include "lib/util/ascii.h"

namespace posthorn::imapd {

ImapSession::Next ImapSession::cmdStatus(const ImapCommand& c) {
  if (c.args.size() != 2 || c.args[1].kind != ImapValue::Kind::List || c.args[1].items.empty())
    return bad(c.tag, "Syntax: STATUS mailbox (items)");
  const auto name = folderArgument(c, c.args[0]);
  if (!name) return Next::Continue;
  for (const auto& item : c.args[1].items) {
    static const char* const kItems[] = {"MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "SIZE"};
    bool ok = item.isAtom();
    if (ok) {
      ok = false;
      for (const char* k : kItems) ok = ok || equalsIgnoreCase(item.text, k);
    }
    if (!ok) return bad(c.tag, "Unknown STATUS item.");
  }
  if (!store_.folderExists(*name)) return no(c.tag, "[NONEXISTENT] Mailbox doesn't exist: " + *name);
  mailbox::MaildirFolder folder = store_.folder(*name);
  folder.open();
  folder.sync();
  std::uint64_t unseen = 0, recent = 0, size = 0;
  for (const auto& m : folder.messages()) {
    if (!m.flags.has(mailbox::kFlagSeen)) ++unseen;
    if (m.inNew) ++recent;
    if (m.vsize != mailbox::kUnknownSize) size += m.vsize;
    else if (m.size != mailbox::kUnknownSize) size += m.size;
  }
  std::string items;
  for (const auto& item : c.args[1].items) {
    if (!items.empty()) items += ' ';
    std::uint64_t v = 0;
    const std::string key = util::upper(item.text);
    if (key == "MESSAGES") v = folder.messages().size();
    else if (key == "RECENT") v = recent;
    else if (key == "UIDNEXT") v = folder.header().uidNext;
    else if (key == "UIDVALIDITY") v = folder.header().uidValidity;
    else if (key == "UNSEEN") v = unseen;
    else v = size;
    items += key + " " + std::to_string(v);
  }
  // STATUS of the selected folder may bring its news too (RFC 3501 6.3.10).
  sendUpdates();
  out_.write("* STATUS " + imapAString(*name) + " (" + items + ")\r\n");
  tagged(c.tag, "OK Status completed.");
  return Next::Continue;
}

}  // namespace posthorn::imapd
