// folder_commands - SELECT, EXAMINE, CREATE, DELETE, RENAME, SUBSCRIBE, LIST, LSUB, STATUS
#include <algorithm>
#include <set>

#include "imapd/imap_session.h"
#include "imapd/imap_string.h"
#include "imapd/list_pattern.h"
#include "imapd/mailbox_name.h"
#include "imapd/message_copy.h"
#include "lib/log/log.h"

namespace posthorn::imapd {
namespace {

bool hasChildren(const std::vector<std::string>& folders, const std::string& name) {
  const std::string prefix = name + kHierarchySeparator;
  return std::any_of(folders.begin(), folders.end(),
                     [&](const std::string& f) { return f.compare(0, prefix.size(), prefix) == 0; });
}

}  // namespace

std::string ImapSession::specialUseOf(const std::string& folder) const {
  for (const auto& s : settings_.specialUse)
    if (s.folder == folder) return s.attribute;
  return {};
}

void ImapSession::createSpecialUse() {
  // Only at the first login: when nothing was ever subscribed, the user
  // has not arranged folders yet.
  if (!store_.subscriptions().empty()) return;
  for (const auto& s : settings_.specialUse) {
    if (!store_.folderExists(s.folder)) store_.createFolder(s.folder);
    store_.setSubscribed(s.folder, true);
  }
}

ImapSession::Next ImapSession::cmdSelect(const ImapCommand& c, bool readOnly) {
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
  if (hasChildren(store_.folders(), *name))
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
  if (to->compare(0, from->size() + 1, *from + kHierarchySeparator) == 0)
    return no(c.tag, "[CANNOT] Can't rename a mailbox under itself.");
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
    if (selected_ && (selected_->name() == *from ||
                      selected_->name().compare(0, from->size() + 1, *from + kHierarchySeparator) == 0)) {
      const std::string renamed = *to + selected_->name().substr(from->size());
      selected_->moveTo(renamed, store_.folder(renamed));
    }
    // Subscriptions follow the folder and its children.
    for (const auto& s : store_.subscriptions()) {
      if (s == *from || s.compare(0, from->size() + 1, *from + kHierarchySeparator) == 0) {
        store_.setSubscribed(s, false);
        store_.setSubscribed(*to + s.substr(from->size()), true);
      }
    }
  }
  tagged(c.tag, "OK Rename completed.");
  return Next::Continue;
}

ImapSession::Next ImapSession::cmdSubscribe(const ImapCommand& c, bool subscribe) {
  if (c.args.size() != 1) return bad(c.tag, "Syntax: " + c.name + " mailbox");
  const auto name = folderArgument(c, c.args[0]);
  if (!name) return Next::Continue;
  if (subscribe && !store_.folderExists(*name))
    return no(c.tag, "[NONEXISTENT] Mailbox doesn't exist: " + *name);
  store_.setSubscribed(*name, subscribe);
  tagged(c.tag, "OK " + std::string(subscribe ? "Subscribe" : "Unsubscribe") + " completed.");
  return Next::Continue;
}

ImapSession::Next ImapSession::cmdList(const ImapCommand& c, bool lsub) {
  // LIST [(selection)] reference pattern|(patterns) [RETURN (options)]:
  // the RFC 5258 forms clients send with SPECIAL-USE (RFC 6154 2.2, 2.3).
  const std::string syntax = "Syntax: " + c.name + " reference mailbox";
  std::size_t i = 0;
  bool onlySubscribed = lsub, onlySpecialUse = false, showSubscribed = false;
  auto isOption = [](const ImapValue& v, const char* name) { return v.isAtom() && equalsIgnoreCase(v.text, name); };
  if (!lsub && !c.args.empty() && c.args[0].kind == ImapValue::Kind::List) {
    for (const auto& o : c.args[0].items) {
      if (isOption(o, "SUBSCRIBED")) onlySubscribed = showSubscribed = true;
      else if (isOption(o, "SPECIAL-USE")) onlySpecialUse = true;
      else if (!isOption(o, "REMOTE") && !isOption(o, "RECURSIVEMATCH")) return bad(c.tag, "Unknown LIST selection option.");
    }
    ++i;
  }
  if (c.args.size() < i + 2 || !c.args[i].isString()) return bad(c.tag, syntax);
  const std::string& reference = c.args[i].text;
  std::vector<std::string> patterns;
  if (!lsub && c.args[i + 1].kind == ImapValue::Kind::List) {
    for (const auto& p : c.args[i + 1].items) {
      if (!p.isString()) return bad(c.tag, syntax);
      patterns.push_back(p.text);
    }
  } else if (c.args[i + 1].isString()) {
    patterns.push_back(c.args[i + 1].text);
  } else {
    return bad(c.tag, syntax);
  }
  i += 2;
  if (!lsub && i < c.args.size()) {
    if (i + 2 != c.args.size() || !isOption(c.args[i], "RETURN") || c.args[i + 1].kind != ImapValue::Kind::List)
      return bad(c.tag, syntax);
    for (const auto& o : c.args[i + 1].items) {
      if (isOption(o, "SUBSCRIBED")) showSubscribed = true;
      else if (!isOption(o, "CHILDREN") && !isOption(o, "SPECIAL-USE")) return bad(c.tag, "Unknown LIST return option.");
    }
  } else if (i != c.args.size()) {
    return bad(c.tag, syntax);
  }
  if (patterns.size() == 1 && patterns[0].empty() && !lsub) {
    out_.write("* LIST (\\Noselect) \".\" \"\"\r\n");
    tagged(c.tag, "OK List completed.");
    return Next::Continue;
  }
  const std::vector<std::string> folders = store_.folders();
  const std::set<std::string> existing(folders.begin(), folders.end());
  const std::vector<std::string> subscribedList = store_.subscriptions();
  const std::set<std::string> subscribed(subscribedList.begin(), subscribedList.end());
  std::vector<std::string> names = onlySubscribed ? subscribedList : folders;
  if (!onlySubscribed) {
    // Parents that are no folders themselves (a.b without a): \Noselect.
    std::set<std::string> all(names.begin(), names.end());
    for (const auto& f : folders)
      for (std::size_t dot = f.find(kHierarchySeparator); dot != std::string::npos;
           dot = f.find(kHierarchySeparator, dot + 1))
        all.insert(f.substr(0, dot));
    names.assign(all.begin(), all.end());
    std::stable_partition(names.begin(), names.end(), [](const std::string& n) { return n == "INBOX"; });
  }
  std::vector<std::string> full;
  for (const auto& p : patterns) full.push_back(listPattern(reference, p));
  const std::string command = lsub ? "LSUB" : "LIST";
  for (const auto& name : names) {
    if (std::none_of(full.begin(), full.end(), [&](const std::string& p) { return listMatches(name, p); }))
      continue;
    const std::string use = specialUseOf(name);
    if (onlySpecialUse && use.empty()) continue;
    std::string attrs;
    auto add = [&attrs](const std::string& a) {
      if (!attrs.empty()) attrs += ' ';
      attrs += a;
    };
    const bool exists = existing.count(name) != 0;
    if (!exists) add(lsub ? "\\Noselect" : (onlySubscribed ? "\\NonExistent" : "\\Noselect"));
    if (!lsub) add(hasChildren(folders, name) ? "\\HasChildren" : "\\HasNoChildren");
    if (showSubscribed && subscribed.count(name) != 0) add("\\Subscribed");
    if (!use.empty()) add(use);
    out_.write("* " + command + " (" + attrs + ") \".\" " + imapAString(name) + "\r\n");
  }
  tagged(c.tag, "OK " + std::string(lsub ? "Lsub" : "List") + " completed.");
  return Next::Continue;
}

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
    std::string key = item.text;
    for (char& ch : key) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (key == "MESSAGES") v = folder.messages().size();
    else if (key == "RECENT") v = recent;
    else if (key == "UIDNEXT") v = folder.header().uidNext;
    else if (key == "UIDVALIDITY") v = folder.header().uidValidity;
    else if (key == "UNSEEN") v = unseen;
    else v = size;
    items += key + " " + std::to_string(v);
  }
  // STATUS of the selected folder may bring its news too (RFC 3501 6.3.10).
  sendUpdates(false);
  out_.write("* STATUS " + imapAString(*name) + " (" + items + ")\r\n");
  tagged(c.tag, "OK Status completed.");
  return Next::Continue;
}

}  // namespace posthorn::imapd
