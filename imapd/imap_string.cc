// imap_string - quoted strings, literals and atoms in imapd's responses
#include "imapd/imap_string.h"

namespace posthorn::imapd {

namespace {

constexpr std::size_t kMaxQuoted = 1024;

bool quotable(std::string_view s) {
  if (s.size() > kMaxQuoted) return false;
  for (unsigned char c : s)
    if (c == '\r' || c == '\n' || c == 0 || c >= 0x80) return false;
  return true;
}

bool isAtomChar(unsigned char c) {
  if (c <= ' ' || c >= 0x7f) return false;
  switch (c) {
    case '(': case ')': case '{': case '%': case '*': case '"': case '\\':
      return false;
    default:
      return true;  // ']' is an ASTRING-CHAR
  }
}

}  // namespace

void appendLiteral(std::string& out, std::string_view bytes) {
  out += '{';
  out += std::to_string(bytes.size());
  out += "}\r\n";
  out.append(bytes);
}

std::string imapString(std::string_view s) {
  std::string out;
  if (!quotable(s)) {
    appendLiteral(out, s);
    return out;
  }
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string imapNString(const std::optional<std::string>& s) {
  return s ? imapString(*s) : std::string("NIL");
}

std::string imapAString(std::string_view s) {
  if (s.empty() || s.size() > kMaxQuoted) return imapString(s);
  for (unsigned char c : s)
    if (!isAtomChar(c)) return imapString(s);
  // NIL as an atom would read as nil.
  if (s.size() == 3 && (s[0] | 0x20) == 'n' && (s[1] | 0x20) == 'i' && (s[2] | 0x20) == 'l')
    return imapString(s);
  return std::string(s);
}

void appendFields(std::string& out, std::initializer_list<std::string_view> fields) {
  for (const std::string_view field : fields) {
    out += ' ';
    out += field;
  }
}

std::string imapList(std::initializer_list<std::string_view> fields) {
  std::string out = "(";
  for (const std::string_view& field : fields) {
    if (&field != fields.begin()) out += ' ';
    out += field;
  }
  out += ')';
  return out;
}

}  // namespace posthorn::imapd
