// imap_command - helpers on parsed commands: NIL, strings, sequence sets
#include "imapd/imap_command.h"

#include "lib/util/ascii.h"

namespace posthorn::imapd {

bool ImapValue::isNil() const { return isAtom() && equalsIgnoreCase(text, "NIL"); }

bool ImapValue::isString() const {
  if (kind == Kind::Quoted) return true;
  if (kind == Kind::Literal) return !sink;
  return isAtom();
}

namespace {

std::optional<std::uint32_t> parseSeqNumber(std::string_view s) {
  if (s == "*") return SequenceSet::kStar;
  if (s.empty() || s.size() > 10 || s[0] == '0') return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > 0xffffffffULL) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

}  // namespace

std::optional<SequenceSet> parseSequenceSet(std::string_view text) {
  SequenceSet set;
  if (text == "$") {
    set.saved = true;
    return set;
  }
  if (text.empty()) return std::nullopt;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string_view part = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    const std::size_t colon = part.find(':');
    SequenceSet::Range r;
    if (colon == std::string_view::npos) {
      const auto n = parseSeqNumber(part);
      if (!n) return std::nullopt;
      r.first = r.last = *n;
    } else {
      const auto a = parseSeqNumber(part.substr(0, colon));
      const auto b = parseSeqNumber(part.substr(colon + 1));
      if (!a || !b) return std::nullopt;
      r.first = *a;
      r.last = *b;
    }
    set.ranges.push_back(r);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return set;
}

}  // namespace posthorn::imapd
