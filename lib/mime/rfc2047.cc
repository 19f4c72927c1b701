// rfc2047 - decoding RFC 2047 encoded-words in header values to UTF-8
#include "lib/mime/rfc2047.h"

#include "lib/mime/charset.h"
#include "lib/mime/transfer_decode.h"

namespace posthorn::mime {

namespace {

struct Word {
  std::size_t end = 0;  // just past "?="
  std::string decoded;
};

// An encoded-word starting at pos ("=?"), or false.
bool readWord(std::string_view v, std::size_t pos, Word& word) {
  const std::size_t q1 = v.find('?', pos + 2);
  if (q1 == std::string_view::npos || q1 == pos + 2) return false;
  if (q1 + 2 >= v.size() || v[q1 + 2] != '?') return false;
  const char enc = v[q1 + 1];
  const std::size_t textStart = q1 + 3;
  const std::size_t close = v.find("?=", textStart);
  if (close == std::string_view::npos) return false;
  const std::string_view text = v.substr(textStart, close - textStart);
  for (char c : text)
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return false;
  std::string_view charset = v.substr(pos + 2, q1 - pos - 2);
  const std::size_t star = charset.find('*');  // RFC 2231 language
  if (star != std::string_view::npos) charset = charset.substr(0, star);
  std::string raw;
  if (enc == 'B' || enc == 'b') {
    raw = decodeBase64(text);
  } else if (enc == 'Q' || enc == 'q') {
    raw = decodeQuotedPrintable(text, true);
  } else {
    return false;
  }
  word.decoded = toUtf8(raw, charset);
  word.end = close + 2;
  return true;
}

}  // namespace

std::string decodeRfc2047(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  std::size_t pos = 0;
  bool lastWasWord = false;
  while (pos < v.size()) {
    const std::size_t next = v.find("=?", pos);
    if (next == std::string_view::npos) {
      out.append(v.substr(pos));
      break;
    }
    Word word;
    if (!readWord(v, next, word)) {
      out.append(v.substr(pos, next + 2 - pos));
      pos = next + 2;
      lastWasWord = false;
      continue;
    }
    const std::string_view between = v.substr(pos, next - pos);
    const bool onlySpace = between.find_first_not_of(" \t\r\n") == std::string_view::npos;
    if (!(lastWasWord && onlySpace)) out.append(between);
    out += word.decoded;
    pos = word.end;
    lastWasWord = true;
  }
  return out;
}

}  // namespace posthorn::mime
