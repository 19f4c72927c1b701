// list_pattern - wildcard matching for LIST and LSUB
#include "imapd/list_pattern.h"

#include <algorithm>
#include <vector>

#include "imapd/mailbox_name.h"

#include "lib/util/ascii.h"

namespace posthorn::imapd {
namespace {

// Dynamic programming over (name prefix, pattern prefix): O(name * pattern)
// time, O(pattern) memory, no recursion a client could deepen.
bool match(std::string_view name, std::string_view pat, std::size_t inboxLength) {
  std::vector<char> row(pat.size() + 1, 0), next(pat.size() + 1, 0);
  row[0] = 1;
  for (std::size_t p = 0; p < pat.size() && (pat[p] == '*' || pat[p] == '%'); ++p) row[p + 1] = 1;
  for (std::size_t n = 0; n < name.size(); ++n) {
    std::fill(next.begin(), next.end(), 0);
    for (std::size_t p = 0; p < pat.size(); ++p) {
      const char c = pat[p];
      if (c == '*' || (c == '%' && name[n] != kHierarchySeparator)) {
        // The wildcard takes name[n] (and maybe more): stay on it, or it
        // took name[n] as its last character.
        if (row[p + 1] || row[p]) next[p + 1] = 1;
      } else if (row[p] && (c == name[n] || (n < inboxLength && util::asciiUpper(c) == util::asciiUpper(name[n])))) {
        next[p + 1] = 1;
      }
    }
    // A wildcard may also match nothing after this character.
    for (std::size_t p = 0; p < pat.size(); ++p)
      if ((pat[p] == '*' || pat[p] == '%') && next[p]) next[p + 1] = 1;
    row.swap(next);
  }
  return row[pat.size()] != 0;
}

}  // namespace

std::string listPattern(std::string_view reference, std::string_view pattern) {
  return std::string(reference) + std::string(pattern);
}

bool listMatches(std::string_view name, std::string_view pattern) {
  std::size_t inbox = 0;
  if (name.size() >= 5) {
    bool isInbox = true;
    for (std::size_t i = 0; i < 5; ++i) isInbox = isInbox && util::asciiUpper(name[i]) == "INBOX"[i];
    if (isInbox && (name.size() == 5 || name[5] == kHierarchySeparator)) inbox = 5;
  }
  return match(name, pattern, inbox);
}

}  // namespace posthorn::imapd
