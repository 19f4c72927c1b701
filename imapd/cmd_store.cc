// cmd_store - STORE and UID STORE: flags and keywords (RFC 3501 6.4.6)
#include <cctype>

#include "imapd/flag_list.h"
#include "imapd/imap_session.h"

#include "lib/util/ascii.h"

namespace posthorn::imapd {

ImapSession::Next ImapSession::cmdStore(const ImapCommand& c) {
  const bool uid = uidCommand();
  if (c.args.size() < 3 || !c.args[0].isAtom() || !c.args[1].isAtom())
    return bad(c.tag, "Syntax: STORE set [+|-]FLAGS[.SILENT] (flags)");
  const auto set = parseSequenceSet(c.args[0].text);
  if (!set || set->saved) return bad(c.tag, "Invalid message set.");
  std::string item = util::upper(c.args[1].text);
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
  sendUpdates();
  tagged(c.tag, "OK Store completed.");
  return Next::Continue;
}

}  // namespace posthorn::imapd
