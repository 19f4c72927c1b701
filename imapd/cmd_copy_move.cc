// cmd_copy_move - COPY and MOVE and their UID forms (RFC 3501 6.4.7, 4315 UIDPLUS, 6851 MOVE)
#include "imapd/imap_session.h"
#include "imapd/message_copy.h"
#include "imapd/search_result.h"

namespace posthorn::imapd {
namespace {

// COPY/MOVE keep the order of the source UIDs; COPYUID lists both sides in it.
std::string copyUid(std::uint32_t validity, const CopyResult& r) {
  std::vector<std::uint32_t> from, to;
  for (const auto& [a, b] : r.uids) {
    from.push_back(a);
    to.push_back(b);
  }
  // compactSequenceSet compresses runs; both sides are ascending here.
  return "[COPYUID " + std::to_string(validity) + " " + compactSequenceSet(from) + " " + compactSequenceSet(to) + "]";
}

}  // namespace

ImapSession::Next ImapSession::cmdCopy(const ImapCommand& c) { return copyOrMove(c, false); }

ImapSession::Next ImapSession::cmdMove(const ImapCommand& c) { return copyOrMove(c, true); }

ImapSession::Next ImapSession::copyOrMove(const ImapCommand& c, bool move) {
  const bool uid = uidCommand();
  if (c.args.size() != 2 || !c.args[0].isAtom()) return bad(c.tag, "Syntax: " + c.name + " set mailbox");
  const auto set = parseSequenceSet(c.args[0].text);
  if (!set || set->saved) return bad(c.tag, "Invalid message set.");
  const auto target = folderArgument(c, c.args[1]);
  if (!target) return Next::Continue;
  const auto uids = selected_->resolve(*set, uid);
  if (!uids) return bad(c.tag, "Invalid messageset.");
  if (move && selected_->readOnly()) return no(c.tag, "[READ-ONLY] Mailbox is read-only.");
  if (!store_.folderExists(*target)) return no(c.tag, "[TRYCREATE] Mailbox doesn't exist: " + *target);
  auto& folder = selected_->folder();
  folder.refresh();
  const CopyResult r = copyMessages(folder, *uids, store_, *target);
  if (!r.error.empty())
    return no(c.tag, std::string(r.overQuota ? "[OVERQUOTA] " : "[SERVERBUG] ") + r.error);
  std::uint32_t validity = 0;
  {
    mailbox::MaildirFolder dst = store_.folder(*target);
    dst.open();
    validity = dst.header().uidValidity;
  }
  const std::string code = r.uids.empty() ? std::string() : copyUid(validity, r) + " ";
  if (!move) {
    sendUpdates();
    tagged(c.tag, "OK " + code + "Copy completed.");
    return Next::Continue;
  }
  std::vector<std::uint32_t> moved;
  for (const auto& [from, to] : r.uids) moved.push_back(from);
  if (!code.empty()) out_.write("* OK " + code + "Moved UIDs.\r\n");
  selected_->expunged(out_, folder.expunge(moved));
  sendUpdates();
  tagged(c.tag, "OK Move completed.");
  return Next::Continue;
}

}  // namespace posthorn::imapd
