// search_key - questions about a parsed SEARCH tree, and its readable form
#include "imapd/search_key.h"

#include <cstdio>

namespace posthorn::imapd {

namespace {

std::string setText(const SequenceSet& set) {
  if (set.saved) return "$";
  std::string out;
  const auto num = [](std::uint32_t n) { return n == SequenceSet::kStar ? std::string("*") : std::to_string(n); };
  for (const SequenceSet::Range& r : set.ranges) {
    if (!out.empty()) out += ',';
    out += num(r.first);
    if (r.first != r.last) out += ':' + num(r.last);
  }
  return out;
}

std::string flagName(mailbox::SystemFlag f) {
  switch (f) {
    case mailbox::kFlagDraft: return "\\Draft";
    case mailbox::kFlagFlagged: return "\\Flagged";
    case mailbox::kFlagPassed: return "$Forwarded";
    case mailbox::kFlagAnswered: return "\\Answered";
    case mailbox::kFlagSeen: return "\\Seen";
    case mailbox::kFlagDeleted: return "\\Deleted";
  }
  return "?";
}

std::string dateText(const CivilDate& d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
  return buf;
}

}  // namespace

bool searchNeedsMessage(const SearchKey& key) {
  using T = SearchKey::Type;
  switch (key.type) {
    case T::Header:
    case T::Body:
    case T::Text:
    case T::SentBefore:
    case T::SentOn:
    case T::SentSince:
      return true;
    default:
      break;
  }
  for (const SearchKey& c : key.children) {
    if (searchNeedsMessage(c)) return true;
  }
  return false;
}

bool searchUsesModseq(const SearchKey& key) {
  if (key.type == SearchKey::Type::Modseq) return true;
  for (const SearchKey& c : key.children) {
    if (searchUsesModseq(c)) return true;
  }
  return false;
}

std::string describeSearch(const SearchKey& key) {
  using T = SearchKey::Type;
  std::string out;
  const auto children = [&](const char* name) {
    out = std::string("(") + name;
    for (const SearchKey& c : key.children) out += " " + describeSearch(c);
    out += ")";
    return out;
  };
  switch (key.type) {
    case T::All: return "ALL";
    case T::And: return children("AND");
    case T::Or: return children("OR");
    case T::Not: return children("NOT");
    case T::Sequence: return "(SEQ " + setText(key.set) + ")";
    case T::Uid: return "(UID " + setText(key.set) + ")";
    case T::Flag: return "(FLAG " + flagName(key.flag) + ")";
    case T::Keyword: return "(KEYWORD " + key.text + ")";
    case T::Recent: return "RECENT";
    case T::Larger: return "(LARGER " + std::to_string(key.number) + ")";
    case T::Smaller: return "(SMALLER " + std::to_string(key.number) + ")";
    case T::Before: return "(BEFORE " + dateText(key.date) + ")";
    case T::On: return "(ON " + dateText(key.date) + ")";
    case T::Since: return "(SINCE " + dateText(key.date) + ")";
    case T::SentBefore: return "(SENTBEFORE " + dateText(key.date) + ")";
    case T::SentOn: return "(SENTON " + dateText(key.date) + ")";
    case T::SentSince: return "(SENTSINCE " + dateText(key.date) + ")";
    case T::Header: return "(HEADER " + key.name + " \"" + key.text + "\")";
    case T::Body: return "(BODY \"" + key.text + "\")";
    case T::Text: return "(TEXT \"" + key.text + "\")";
    case T::Modseq: return "(MODSEQ " + std::to_string(key.number) + ")";
  }
  return "?";
}

}  // namespace posthorn::imapd
