// index_record - percent-encoded, CRC-32C-checked text records
#include "lib/mailbox/index_record.h"

#include <cstdint>
#include <cstdio>

#include "lib/util/crc32c.h"

namespace posthorn::mailbox {
namespace {

bool mustEscape(unsigned char c) { return c <= 0x20 || c >= 0x7f || c == '%' || c == ','; }

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string hex8(std::uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

}  // namespace

std::string encodeField(std::string_view raw) {
  if (raw.empty()) return "-";
  if (raw == "-") return "%2D";
  std::string out;
  out.reserve(raw.size());
  static const char kHex[] = "0123456789ABCDEF";
  for (const char ch : raw) {
    const auto c = static_cast<unsigned char>(ch);
    if (mustEscape(c)) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

std::optional<std::string> decodeField(std::string_view encoded) {
  if (encoded == "-") return std::string();
  if (encoded.find('%') == std::string_view::npos) return std::string(encoded);
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '%') {
      out += encoded[i];
      continue;
    }
    if (i + 2 >= encoded.size()) return std::nullopt;
    const int hi = hexValue(encoded[i + 1]);
    const int lo = hexValue(encoded[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string formatRecord(const std::vector<std::string>& fields) {
  std::string payload;
  for (const auto& f : fields) {
    if (!payload.empty()) payload += ' ';
    payload += encodeField(f);
  }
  return hex8(util::crc32c(payload)) + " " + payload + "\n";
}

std::optional<std::vector<std::string>> parseRecord(std::string_view text, std::size_t* consumed) {
  const std::size_t start = *consumed;
  const std::size_t eol = text.find('\n', start);
  if (eol == std::string_view::npos) return std::nullopt;
  const std::string_view line = text.substr(start, eol - start);
  if (line.size() < 10 || line[8] != ' ') return std::nullopt;
  std::uint32_t crc = 0;
  for (int i = 0; i < 8; ++i) {
    const int v = hexValue(line[static_cast<std::size_t>(i)]);
    if (v < 0) return std::nullopt;
    crc = crc * 16 + static_cast<std::uint32_t>(v);
  }
  const std::string_view payload = line.substr(9);
  if (util::crc32c(payload) != crc) return std::nullopt;
  std::vector<std::string> fields;
  std::size_t pos = 0;
  while (pos <= payload.size()) {
    const std::size_t sp = payload.find(' ', pos);
    const std::string_view f = payload.substr(pos, sp == std::string_view::npos ? std::string_view::npos : sp - pos);
    auto decoded = decodeField(f);
    if (!decoded) return std::nullopt;
    fields.push_back(std::move(*decoded));
    if (sp == std::string_view::npos) break;
    pos = sp + 1;
  }
  *consumed = eol + 1;
  return fields;
}

}  // namespace posthorn::mailbox
