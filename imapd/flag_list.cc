// flag_list - flag lists in STORE and APPEND
#include "imapd/flag_list.h"

namespace posthorn::imapd {

std::optional<mailbox::SystemFlag> parseSystemFlag(std::string_view name) {
  static constexpr struct {
    const char* name;
    mailbox::SystemFlag flag;
  } kSystem[] = {{"\\Seen", mailbox::kFlagSeen},       {"\\Answered", mailbox::kFlagAnswered},
                 {"\\Flagged", mailbox::kFlagFlagged}, {"\\Deleted", mailbox::kFlagDeleted},
                 {"\\Draft", mailbox::kFlagDraft}};
  for (const auto& s : kSystem)
    if (equalsIgnoreCase(name, s.name)) return s.flag;
  return std::nullopt;
}

std::optional<mailbox::MessageFlags> parseFlagList(const std::vector<ImapValue>& values, std::string* error) {
  mailbox::MessageFlags flags;
  for (const auto& v : values) {
    if (!v.isAtom() || v.text.empty()) {
      *error = "Invalid flag.";
      return std::nullopt;
    }
    if (v.text[0] == '\\') {
      const auto flag = parseSystemFlag(v.text);
      if (!flag) {
        *error = "Invalid system flag " + v.text + ".";
        return std::nullopt;
      }
      flags.system |= *flag;
      continue;
    }
    for (const char c : v.text) {
      // atom characters minus "]" (flag-keyword is an atom; keep the
      // Maildir keyword file's format safe too).
      if (c == ']' || c == '\\' || c == '"' || c == '%' || c == '*' || c == '(' || c == ')' ||
          c == '{' || static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f) {
        *error = "Invalid keyword " + v.text + ".";
        return std::nullopt;
      }
    }
    if (v.text.size() > 128) {
      *error = "Keyword too long.";
      return std::nullopt;
    }
    flags.addKeyword(v.text);
  }
  return flags;
}

}  // namespace posthorn::imapd
