// store_command - STORE, COPY, MOVE and EXPUNGE (RFC 3501, 4315 UIDPLUS, 6851 MOVE)
#include <algorithm>

#include "imapd/flag_list.h"
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

ImapSession::Next ImapSession::cmdStore(const ImapCommand& c, bool uid) {
  if (c.args.size() < 3 || !c.args[0].isAtom() || !c.args[1].isAtom())
    return bad(c.tag, "Syntax: STORE set [+|-]FLAGS[.SILENT] (flags)");
  const auto set = parseSequenceSet(c.args[0].text);
  if (!set || set->saved) return bad(c.tag, "Invalid message set.");
  std::string item = c.args[1].text;
  for (char& ch : item) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  mailbox::FlagMode mode = mailbox::FlagMode::Replace;
  if (!item.empty() && (item[0] == '+' || item[0] == '-')) {
    mode = item[0] == '+' ? mailbox::FlagMode::Add : mailbox::FlagMode::Remove;
    item.erase(0, 1);
  }
  const bool silent = item == "FLAGS.SILENT";
  if (item != "FLAGS" && !silent) return bad(c.tag, "Invalid STORE item " + c.args[1].text + ".");
  std::vector<ImapValue> values;
  if (c.args.size() == 3 && c.args[2].kind == ImapValue::Kind::List)
    values = c.args[2].items;
  else
    values.assign(c.args.begin() + 2, c.args.end());
  std::string error;
  const auto flags = parseFlagList(values, &error);
  if (!flags) return bad(c.tag, error);
  const auto uids = selected_->resolve(*set, uid);
  if (!uids) return bad(c.tag, "Invalid messageset.");
  if (selected_->readOnly()) return no(c.tag, "[READ-ONLY] Mailbox is read-only.");
  auto& folder = selected_->folder();
  folder.storeFlags(*uids, *flags, mode);
  selected_->announceKeywords(out_, *flags);
  if (!silent) {
    for (const std::uint32_t u : *uids) {
      const auto* m = folder.find(u);
      const std::uint32_t seq = selected_->sequenceOf(u);
      if (m == nullptr || seq == 0) continue;
      out_.write("* " + std::to_string(seq) + " FETCH (" + (uid ? "UID " + std::to_string(u) + " " : "") +
                 "FLAGS " + selected_->flagsOf(*m) + ")\r\n");
    }
  }
  selected_->noteReported(*uids);
  sendUpdates(uid);
  tagged(c.tag, "OK Store completed.");
  return Next::Continue;
}

ImapSession::Next ImapSession::cmdCopy(const ImapCommand& c, bool uid, bool move) {
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
    sendUpdates(uid);
    tagged(c.tag, "OK " + code + "Copy completed.");
    return Next::Continue;
  }
  std::vector<std::uint32_t> moved;
  for (const auto& [from, to] : r.uids) moved.push_back(from);
  if (!code.empty()) out_.write("* OK " + code + "Moved UIDs.\r\n");
  selected_->expunged(out_, folder.expunge(moved));
  sendUpdates(true);
  tagged(c.tag, "OK Move completed.");
  return Next::Continue;
}

ImapSession::Next ImapSession::cmdExpunge(const ImapCommand& c, bool uid) {
  std::optional<std::vector<std::uint32_t>> only;
  if (uid) {
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
  std::vector<std::uint32_t> deleted;
  for (std::uint32_t seq = 1; seq <= selected_->count(); ++seq) {
    const std::uint32_t u = selected_->uidAt(seq);
    if (only && !std::binary_search(only->begin(), only->end(), u)) continue;
    const auto* m = folder.find(u);
    if (m != nullptr && m->flags.has(mailbox::kFlagDeleted)) deleted.push_back(u);
  }
  selected_->expunged(out_, folder.expunge(deleted));
  sendUpdates(true);
  tagged(c.tag, "OK Expunge completed.");
  return Next::Continue;
}

}  // namespace posthorn::imapd
