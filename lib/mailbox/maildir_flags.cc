// maildir_flags - flag letters in Maildir names, IMAP flag names
#include "lib/mailbox/maildir_flags.h"

#include <algorithm>

namespace posthorn::mailbox {
namespace {

struct Letter {
  char letter;
  SystemFlag flag;
  const char* imap;
};
// ASCII order, as Maildir wants the letters written.
constexpr Letter kLetters[] = {
    {'D', kFlagDraft, "\\Draft"},   {'F', kFlagFlagged, "\\Flagged"}, {'P', kFlagPassed, nullptr},
    {'R', kFlagAnswered, "\\Answered"}, {'S', kFlagSeen, "\\Seen"},   {'T', kFlagDeleted, "\\Deleted"},
};

}  // namespace

void MessageFlags::addKeyword(const std::string& k) {
  const auto it = std::lower_bound(keywords.begin(), keywords.end(), k);
  if (it == keywords.end() || *it != k) keywords.insert(it, k);
}

void MessageFlags::removeKeyword(const std::string& k) {
  const auto it = std::lower_bound(keywords.begin(), keywords.end(), k);
  if (it != keywords.end() && *it == k) keywords.erase(it);
}

bool MessageFlags::hasKeyword(const std::string& k) const {
  return std::binary_search(keywords.begin(), keywords.end(), k);
}

std::string systemFlagLetters(std::uint8_t system) {
  std::string out;
  for (const Letter& l : kLetters) {
    if (system & l.flag) out += l.letter;
  }
  return out;
}

std::uint8_t systemFlagsFromLetters(std::string_view letters) {
  std::uint8_t out = 0;
  for (const char c : letters) {
    for (const Letter& l : kLetters) {
      if (l.letter == c) out |= l.flag;
    }
  }
  return out;
}

std::string flagsToImap(const MessageFlags& flags) {
  std::string out;
  for (const Letter& l : kLetters) {
    // P (passed, "resent") has no IMAP name: kept in the name, not shown.
    if (!(flags.system & l.flag) || l.imap == nullptr) continue;
    if (!out.empty()) out += ' ';
    out += l.imap;
  }
  for (const auto& k : flags.keywords) {
    if (!out.empty()) out += ' ';
    out += k;
  }
  return out;
}

std::string_view maildirBase(std::string_view name) { return name.substr(0, name.find(':')); }

std::string_view maildirFlagLetters(std::string_view name) {
  const auto colon = name.find(':');
  if (colon == std::string_view::npos) return {};
  const std::string_view info = name.substr(colon + 1);
  if (info.rfind("2,", 0) != 0) return {};
  return info.substr(2);
}

}  // namespace posthorn::mailbox
