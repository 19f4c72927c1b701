// search_fold - ASCII and simple Unicode case folding for SEARCH strings
#include "imapd/search_fold.h"

#include "lib/mime/utf8.h"

namespace posthorn::imapd {

namespace {

bool even(char32_t c) { return (c & 1) == 0; }

}  // namespace

char32_t foldCodePoint(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 0x20 : c;
  // Latin-1 Supplement.
  if (c == 0xB5) return 0x3BC;  // micro sign -> Greek mu
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;
  // Latin Extended-A: mostly upper/lower pairs.
  if (c >= 0x100 && c <= 0x17F) {
    if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149) return c;  // no simple folding
    if (c == 0x178) return 0xFF;                                         // Y with diaeresis
    if (c == 0x17F) return 's';                                          // long s
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return even(c) ? c : c + 1;
    return even(c) ? c + 1 : c;
  }
  // Greek.
  if (c >= 0x370 && c <= 0x3FF) {
    if (c == 0x386) return 0x3AC;
    if (c >= 0x388 && c <= 0x38A) return c + 0x25;
    if (c == 0x38C) return 0x3CC;
    if (c == 0x38E || c == 0x38F) return c + 0x3F;
    if ((c >= 0x391 && c <= 0x3A1) || (c >= 0x3A3 && c <= 0x3AB)) return c + 0x20;
    if (c == 0x3C2) return 0x3C3;  // final sigma
    return c;
  }
  // Cyrillic.
  if (c >= 0x400 && c <= 0x52F) {
    if (c <= 0x40F) return c + 0x50;
    if (c <= 0x42F) return c + 0x20;
    if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0 && c <= 0x52F)) {
      return even(c) ? c + 1 : c;
    }
    if (c == 0x4C0) return 0x4CF;
    if (c >= 0x4C1 && c <= 0x4CE) return even(c) ? c : c + 1;
    return c;
  }
  return c;
}

std::string foldCase(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  std::size_t i = 0;
  while (i < utf8.size()) {
    char32_t c = 0;
    const std::size_t len = mime::decodeUtf8(utf8, i, c);
    if (len == 0) {
      out += utf8[i++];  // not UTF-8: the byte as it is
      continue;
    }
    if (len == 1) {
      out += static_cast<char>(foldCodePoint(c));
    } else {
      mime::appendUtf8(out, foldCodePoint(c));
    }
    i += len;
  }
  return out;
}

bool containsFolded(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace posthorn::imapd
