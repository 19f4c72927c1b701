// charset - converting text in a MIME charset to UTF-8 (to search or filter it)
#include "lib/mime/charset.h"

#include <iconv.h>

#include <cerrno>

#include "lib/mime/header_fields.h"
#include "lib/mime/utf8.h"

namespace posthorn::mime {

namespace {

// windows-1252 0x80..0x9f; 0 where undefined (kept as latin-1 C1).
constexpr char16_t kCp1252[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178};

bool isOneOf(std::string_view cs, std::initializer_list<std::string_view> names) {
  for (std::string_view n : names)
    if (headerNameEquals(cs, n)) return true;
  return false;
}

std::string singleByte(std::string_view bytes, bool cp1252) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 4);
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    char32_t cp = c;
    if (cp1252 && c >= 0x80 && c < 0xA0 && kCp1252[c - 0x80] != 0) cp = kCp1252[c - 0x80];
    appendUtf8(out, cp);
  }
  return out;
}

std::string viaIconv(std::string_view bytes, std::string_view charset) {
  const std::string name(charset);
  iconv_t cd = iconv_open("UTF-8", name.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::string(bytes);
  std::string out;
  std::string in(bytes);
  char* inp = in.data();
  std::size_t inLeft = in.size();
  char buf[4096];
  while (inLeft > 0) {
    char* outp = buf;
    std::size_t outLeft = sizeof buf;
    const std::size_t r = iconv(cd, &inp, &inLeft, &outp, &outLeft);
    out.append(buf, static_cast<std::size_t>(outp - buf));
    if (r == static_cast<std::size_t>(-1)) {
      if (errno == E2BIG) continue;
      // Invalid or truncated input: keep the byte and go on.
      out += *inp;
      ++inp;
      --inLeft;
      iconv(cd, nullptr, nullptr, nullptr, nullptr);
    }
  }
  iconv_close(cd);
  return out;
}

}  // namespace

std::string toUtf8(std::string_view bytes, std::string_view charset) {
  if (charset.empty() || isOneOf(charset, {"utf-8", "utf8", "us-ascii", "ascii"})) return std::string(bytes);
  if (isOneOf(charset, {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "iso_8859-1"})) return singleByte(bytes, false);
  if (isOneOf(charset, {"windows-1252", "cp1252"})) return singleByte(bytes, true);
  bool ascii = true;
  for (char c : bytes)
    if (static_cast<unsigned char>(c) >= 0x80 || c == 0x1b || c == '+') { ascii = false; break; }
  if (ascii) return std::string(bytes);
  return viaIconv(bytes, charset);
}

}  // namespace posthorn::mime
