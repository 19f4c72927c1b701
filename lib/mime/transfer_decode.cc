// transfer_decode - Content-Transfer-Encoding decoders (base64, quoted-printable)
#include "lib/mime/transfer_decode.h"

#include "lib/mime/header_fields.h"

namespace posthorn::mime {

int base64Value(char c, char last) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == last) return 63;
  return -1;
}

namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string decodeBase64(std::string_view in) {
  std::string out;
  out.reserve(in.size() * 3 / 4);
  unsigned bits = 0;
  int count = 0;
  for (char c : in) {
    if (c == '=') break;
    const int v = base64Value(c);
    if (v < 0) continue;
    bits = (bits << 6) | static_cast<unsigned>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xff);
    }
  }
  return out;
}

std::string decodeQuotedPrintable(std::string_view in, bool underscoreIsSpace) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '_' && underscoreIsSpace) {
      out += ' ';
    } else if (c != '=') {
      out += c;
    } else if (i + 2 < in.size() && hexValue(in[i + 1]) >= 0 && hexValue(in[i + 2]) >= 0) {
      out += static_cast<char>(hexValue(in[i + 1]) * 16 + hexValue(in[i + 2]));
      i += 2;
    } else {
      // Soft line break: '=' then optional white space, then CRLF or LF.
      std::size_t j = i + 1;
      while (j < in.size() && (in[j] == ' ' || in[j] == '\t')) ++j;
      if (j < in.size() && in[j] == '\r' && j + 1 < in.size() && in[j + 1] == '\n') {
        i = j + 1;
      } else if (j < in.size() && in[j] == '\n') {
        i = j;
      } else if (j == in.size()) {
        i = j;
      } else {
        out += c;
      }
    }
  }
  return out;
}

std::string decodeTransferEncoding(std::string_view in, std::string_view encoding) {
  if (headerNameEquals(encoding, "base64")) return decodeBase64(in);
  if (headerNameEquals(encoding, "quoted-printable")) return decodeQuotedPrintable(in);
  return std::string(in);
}

}  // namespace posthorn::mime
