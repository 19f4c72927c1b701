// cmd_list - LIST (RFC 3501 6.3.8, with the RFC 5258 forms SPECIAL-USE needs) and LSUB (6.3.9)
#include <algorithm>
#include <set>

#include "imapd/imap_session.h"
#include "imapd/imap_string.h"
#include "imapd/list_pattern.h"
#include "imapd/mailbox_name.h"

namespace posthorn::imapd {

std::string ImapSession::specialUseOf(const std::string& folder) const {
  for (const auto& s : settings_.specialUse)
    if (s.folder == folder) return s.attribute;
  return {};
}

ImapSession::Next ImapSession::cmdList(const ImapCommand& c) { return listFolders(c, false); }

ImapSession::Next ImapSession::cmdLsub(const ImapCommand& c) { return listFolders(c, true); }

ImapSession::Next ImapSession::listFolders(const ImapCommand& c, bool lsub) {
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
    if (!lsub) add(hasChildFolder(folders, name) ? "\\HasChildren" : "\\HasNoChildren");
    if (showSubscribed && subscribed.count(name) != 0) add("\\Subscribed");
    if (!use.empty()) add(use);
    out_.write("* " + command + " (" + attrs + ") \".\" " + imapAString(name) + "\r\n");
  }
  tagged(c.tag, "OK " + std::string(lsub ? "Lsub" : "List") + " completed.");
  return Next::Continue;
}

}  // namespace posthorn::imapd
