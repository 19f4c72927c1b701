// dns_message - encoding queries and decoding answers (RFC 1035 4.1)
#include "lib/dns/dns_message.h"

#include <arpa/inet.h>

#include <cctype>

namespace posthorn::dns {

namespace {

class Reader {
 public:
  explicit Reader(std::string_view wire) : wire_(wire) {}

  std::uint8_t u8() {
    need(1);
    return static_cast<std::uint8_t>(wire_[pos_++]);
  }
  std::uint16_t u16() {
    need(2);
    const auto* p = reinterpret_cast<const unsigned char*>(wire_.data() + pos_);
    pos_ += 2;
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
  }
  std::uint32_t u32() {
    const std::uint32_t hi = u16();
    return (hi << 16) | u16();
  }
  std::string_view bytes(std::size_t n) {
    need(n);
    std::string_view out = wire_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  // A possibly compressed name starting at the current position.
  std::string name() {
    std::string out;
    std::size_t at = pos_;
    bool jumped = false;
    int jumps = 0;
    for (;;) {
      if (at >= wire_.size()) throw FormatError("name runs past the end of the message");
      const auto len = static_cast<std::uint8_t>(wire_[at]);
      if ((len & 0xC0) == 0xC0) {
        if (at + 1 >= wire_.size()) throw FormatError("truncated name pointer");
        const std::size_t target = ((len & 0x3F) << 8) | static_cast<std::uint8_t>(wire_[at + 1]);
        if (!jumped) pos_ = at + 2;
        jumped = true;
        if (++jumps > 64 || target >= wire_.size()) throw FormatError("bad name pointer");
        at = target;
        continue;
      }
      if ((len & 0xC0) != 0) throw FormatError("unsupported label type");
      if (len == 0) {
        if (!jumped) pos_ = at + 1;
        break;
      }
      if (at + 1 + len > wire_.size()) throw FormatError("label runs past the end of the message");
      if (!out.empty()) out += '.';
      for (std::size_t i = 0; i < len; ++i)
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(wire_[at + 1 + i])));
      if (out.size() > 255) throw FormatError("name too long");
      at += 1 + len;
    }
    return out;
  }
  std::size_t pos() const { return pos_; }
  void seek(std::size_t p) { pos_ = p; }

 private:
  void need(std::size_t n) const {
    if (wire_.size() - pos_ < n) throw FormatError("message truncated");
  }
  std::string_view wire_;
  std::size_t pos_ = 0;
};

void putU16(std::string& out, std::uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xFF);
}
void putU32(std::string& out, std::uint32_t v) {
  putU16(out, static_cast<std::uint16_t>(v >> 16));
  putU16(out, static_cast<std::uint16_t>(v & 0xFFFF));
}

void putName(std::string& out, std::string_view name) {
  const std::string n = normalizeName(name);
  std::size_t start = 0;
  while (start < n.size()) {
    std::size_t dot = n.find('.', start);
    if (dot == std::string::npos) dot = n.size();
    out += static_cast<char>(dot - start);
    out.append(n, start, dot - start);
    start = dot + 1;
  }
  out += '\0';
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
  }
  return "TYPE" + std::to_string(static_cast<unsigned>(type));
}

std::string normalizeName(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out;
  std::size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) throw FormatError("empty label in \"" + std::string(name) + "\"");
      label = 0;
    } else if (++label > 63) {
      throw FormatError("label longer than 63 bytes in \"" + std::string(name) + "\"");
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (!name.empty() && label == 0) throw FormatError("empty label in \"" + std::string(name) + "\"");
  if (out.size() > 253) throw FormatError("name longer than 253 bytes");
  return out;
}

std::string buildQuery(std::uint16_t id, std::string_view name, RrType type) {
  std::string out;
  putU16(out, id);
  putU16(out, 0x0100);  // QR=0, opcode QUERY, RD=1
  putU16(out, 1);       // QDCOUNT
  putU16(out, 0);
  putU16(out, 0);
  putU16(out, 0);
  putName(out, name);
  putU16(out, static_cast<std::uint16_t>(type));
  putU16(out, 1);  // IN
  return out;
}

Message parseMessage(std::string_view wire) {
  Reader r(wire);
  Message m;
  m.id = r.u16();
  const std::uint16_t flags = r.u16();
  m.response = (flags & 0x8000) != 0;
  m.authoritative = (flags & 0x0400) != 0;
  m.truncated = (flags & 0x0200) != 0;
  m.rcode = static_cast<Rcode>(flags & 0x000F);
  const std::uint16_t qd = r.u16(), an = r.u16();
  r.u16();
  r.u16();
  if (qd > 1) throw FormatError("more than one question");
  if (qd == 1) {
    m.questionName = r.name();
    m.questionType = static_cast<RrType>(r.u16());
    r.u16();  // class
  }
  for (std::uint16_t i = 0; i < an; ++i) {
    Record rec;
    rec.name = r.name();
    rec.type = static_cast<RrType>(r.u16());
    const std::uint16_t cls = r.u16();
    rec.ttl = r.u32();
    const std::uint16_t rdlength = r.u16();
    const std::size_t start = r.pos();
    r.bytes(rdlength);  // bounds check
    const std::size_t end = r.pos();
    r.seek(start);
    if (cls != 1) {
      r.seek(end);
      continue;
    }
    switch (rec.type) {
      case RrType::A: {
        if (rdlength != 4) throw FormatError("A record of length " + std::to_string(rdlength));
        char text[INET_ADDRSTRLEN];
        ::inet_ntop(AF_INET, r.bytes(4).data(), text, sizeof text);
        rec.address = text;
        break;
      }
      case RrType::AAAA: {
        if (rdlength != 16) throw FormatError("AAAA record of length " + std::to_string(rdlength));
        char text[INET6_ADDRSTRLEN];
        ::inet_ntop(AF_INET6, r.bytes(16).data(), text, sizeof text);
        rec.address = text;
        break;
      }
      case RrType::MX:
        rec.preference = r.u16();
        rec.target = r.name();
        break;
      case RrType::CNAME:
      case RrType::PTR:
      case RrType::NS:
        rec.target = r.name();
        break;
      case RrType::TXT:
        while (r.pos() < end) {
          const std::uint8_t len = r.u8();
          if (r.pos() + len > end) throw FormatError("TXT string runs past its record");
          rec.texts.emplace_back(r.bytes(len));
        }
        break;
      default:
        break;
    }
    if (r.pos() > end) throw FormatError(rrTypeName(rec.type) + " record data runs past its length");
    r.seek(end);
    m.answers.push_back(std::move(rec));
  }
  return m;
}

std::string buildAnswer(const Message& m) {
  std::string out;
  putU16(out, m.id);
  std::uint16_t flags = 0x8000 | 0x0100 | 0x0080;
  if (m.authoritative) flags |= 0x0400;
  if (m.truncated) flags |= 0x0200;
  flags |= static_cast<std::uint16_t>(m.rcode);
  putU16(out, flags);
  putU16(out, 1);
  putU16(out, static_cast<std::uint16_t>(m.answers.size()));
  putU16(out, 0);
  putU16(out, 0);
  putName(out, m.questionName);
  putU16(out, static_cast<std::uint16_t>(m.questionType));
  putU16(out, 1);
  for (const Record& rec : m.answers) {
    putName(out, rec.name);
    putU16(out, static_cast<std::uint16_t>(rec.type));
    putU16(out, 1);
    putU32(out, rec.ttl);
    std::string data;
    switch (rec.type) {
      case RrType::A: {
        unsigned char b[4];
        if (::inet_pton(AF_INET, rec.address.c_str(), b) != 1) throw FormatError("bad A address");
        data.assign(reinterpret_cast<char*>(b), 4);
        break;
      }
      case RrType::AAAA: {
        unsigned char b[16];
        if (::inet_pton(AF_INET6, rec.address.c_str(), b) != 1) throw FormatError("bad AAAA address");
        data.assign(reinterpret_cast<char*>(b), 16);
        break;
      }
      case RrType::MX:
        putU16(data, rec.preference);
        putName(data, rec.target);
        break;
      case RrType::TXT:
        for (const auto& t : rec.texts) {
          if (t.size() > 255) throw FormatError("TXT string longer than 255 bytes");
          data += static_cast<char>(t.size());
          data += t;
        }
        break;
      default:
        putName(data, rec.target);
        break;
    }
    putU16(out, static_cast<std::uint16_t>(data.size()));
    out += data;
  }
  return out;
}

}  // namespace posthorn::dns
