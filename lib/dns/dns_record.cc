// dns_record - decoding A, AAAA, MX, PTR, CNAME and TXT record data
#include "lib/dns/dns_record.h"

#include <arpa/inet.h>

#include "lib/util/ascii.h"

namespace posthorn::dns {

namespace {

// A name at data[*pos] in uncompressed wire form (libunbound expands
// compression pointers before it hands data over); advances *pos.
std::optional<std::string> readName(std::string_view data, std::size_t* pos) {
  std::string out;
  for (;;) {
    if (*pos >= data.size()) return std::nullopt;
    const auto len = static_cast<unsigned char>(data[*pos]);
    ++*pos;
    if (len == 0) return out;
    if (len > 63 || *pos + len > data.size()) return std::nullopt;  // or a pointer: not expected
    if (!out.empty()) out += '.';
    out += util::lower(data.substr(*pos, len));
    if (out.size() > 253) return std::nullopt;
    *pos += len;
  }
}

std::optional<std::string> address(int family, std::string_view data) {
  char text[INET6_ADDRSTRLEN];
  if (::inet_ntop(family, data.data(), text, sizeof text) == nullptr) return std::nullopt;
  return std::string(text);
}

}  // namespace

std::string rrTypeName(RrType type) {
  switch (type) {
    case RrType::A: return "A";
    case RrType::NS: return "NS";
    case RrType::CNAME: return "CNAME";
    case RrType::SOA: return "SOA";
    case RrType::PTR: return "PTR";
    case RrType::MX: return "MX";
    case RrType::TXT: return "TXT";
    case RrType::AAAA: return "AAAA";
    case RrType::SRV: return "SRV";
    case RrType::TLSA: return "TLSA";
  }
  return "TYPE" + std::to_string(static_cast<unsigned>(type));
}

std::optional<Record> decodeRecord(RrType type, std::string_view data) {
  Record r;
  r.type = type;
  r.data = std::string(data);
  std::size_t pos = 0;
  switch (type) {
    case RrType::A:
    case RrType::AAAA: {
      const bool v4 = type == RrType::A;
      if (data.size() != (v4 ? 4u : 16u)) return std::nullopt;
      auto text = address(v4 ? AF_INET : AF_INET6, data);
      if (!text) return std::nullopt;
      r.address = std::move(*text);
      return r;
    }
    case RrType::SRV: {  // RFC 2782: priority, weight, port, target
      if (data.size() < 7) return std::nullopt;
      const auto u16 = [&](std::size_t i) {
        return static_cast<std::uint16_t>((static_cast<unsigned char>(data[i]) << 8) |
                                          static_cast<unsigned char>(data[i + 1]));
      };
      r.preference = u16(0);
      r.weight = u16(2);
      r.port = u16(4);
      pos = 6;
      auto name = readName(data, &pos);
      if (!name || pos != data.size()) return std::nullopt;
      r.target = std::move(*name);
      return r;
    }
    case RrType::MX: {
      if (data.size() < 3) return std::nullopt;
      r.preference = static_cast<std::uint16_t>((static_cast<unsigned char>(data[0]) << 8) |
                                                static_cast<unsigned char>(data[1]));
      pos = 2;
      [[fallthrough]];
    }
    case RrType::CNAME:
    case RrType::PTR: {
      auto name = readName(data, &pos);
      if (!name || pos != data.size()) return std::nullopt;
      r.target = std::move(*name);
      return r;
    }
    case RrType::TXT: {
      while (pos < data.size()) {
        const auto len = static_cast<unsigned char>(data[pos]);
        if (pos + 1 + len > data.size()) return std::nullopt;
        r.texts.emplace_back(data.substr(pos + 1, len));
        pos += 1 + len;
      }
      return r;
    }
    default:
      return r;
  }
}

std::optional<std::string> normalizeName(std::string_view name, std::string* why) {
  const std::string quoted = "\"" + std::string(name) + "\"";
  auto refuse = [&](const std::string& reason) -> std::optional<std::string> {
    *why = reason;
    return std::nullopt;
  };
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::size_t label = 0;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '.') {
      if (label == 0) return refuse("empty label in " + quoted);
      label = 0;
    } else if (u <= 0x20 || u == 0x7f || c == '\\') {
      return refuse("unusable character in " + quoted);
    } else if (++label > 63) {
      return refuse("label longer than 63 bytes in " + quoted);
    }
  }
  if (!name.empty() && label == 0) return refuse("empty label in " + quoted);
  if (name.size() > 253) return refuse("name longer than 253 bytes");
  return util::lower(name);
}

std::string reverseName(std::string_view address) {
  const std::string a(address);
  unsigned char b[16];
  if (::inet_pton(AF_INET, a.c_str(), b) == 1)
    return std::to_string(b[3]) + "." + std::to_string(b[2]) + "." + std::to_string(b[1]) + "." +
           std::to_string(b[0]) + ".in-addr.arpa";
  if (::inet_pton(AF_INET6, a.c_str(), b) == 1) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (int i = 15; i >= 0; --i) {
      out += hex[b[i] & 15];
      out += '.';
      out += hex[b[i] >> 4];
      out += '.';
    }
    return out + "ip6.arpa";
  }
  return "";
}

}  // namespace posthorn::dns
