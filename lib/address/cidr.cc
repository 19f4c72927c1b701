// cidr - parsing Postfix-style network lists and matching addresses in them
#include "lib/address/cidr.h"

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace posthorn::address {

namespace {

constexpr int kMaxFileDepth = 8;

bool isSeparator(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == '\f' || c == '\v';
}

[[noreturn]] void bad(std::string_view entry, const std::string& why) {
  throw CidrError("bad network \"" + std::string(entry) + "\": " + why);
}

bool isV4Mapped(const std::array<std::uint8_t, 16>& b) {
  for (int i = 0; i < 10; ++i) {
    if (b[i] != 0) return false;
  }
  return b[10] == 0xff && b[11] == 0xff;
}

// Moves a v4-mapped IPv6 address's IPv4 part to the front.
void unmap(std::array<std::uint8_t, 16>& b) {
  std::array<std::uint8_t, 16> v4{};
  std::memcpy(v4.data(), b.data() + 12, 4);
  b = v4;
}

std::string formatAddress(int family, const std::array<std::uint8_t, 16>& b) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(family, b.data(), buf, sizeof buf);
  return buf;
}

}  // namespace

std::optional<int> parseIpAddress(std::string_view text, std::array<std::uint8_t, 16>* bytes) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
    if (text.size() > 5 && (text.substr(0, 5) == "IPv6:" || text.substr(0, 5) == "ipv6:")) {
      text.remove_prefix(5);
    }
  }
  if (const std::size_t pct = text.find('%'); pct != std::string_view::npos) {
    text = text.substr(0, pct);  // fe80::1%eth0
  }
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string s(text);
  bytes->fill(0);
  if (inet_pton(AF_INET, s.c_str(), bytes->data()) == 1) return AF_INET;
  if (inet_pton(AF_INET6, s.c_str(), bytes->data()) == 1) {
    if (isV4Mapped(*bytes)) {
      unmap(*bytes);
      return AF_INET;
    }
    return AF_INET6;
  }
  return std::nullopt;
}

bool Cidr::contains(int addressFamily, const std::uint8_t* address) const {
  if (addressFamily != family) return false;
  const int full = prefix / 8;
  if (std::memcmp(address, bytes.data(), static_cast<std::size_t>(full)) != 0) return false;
  const int rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (address[full] & mask) == (bytes[static_cast<std::size_t>(full)] & mask);
}

Cidr CidrList::parseEntry(std::string_view entry) {
  Cidr cidr;
  cidr.text = std::string(entry);
  std::string_view rest = entry;
  if (!rest.empty() && rest.front() == '!') {
    cidr.negated = true;
    rest.remove_prefix(1);
  }
  if (rest.empty()) bad(entry, "empty entry");

  std::string_view addr;
  std::optional<std::string_view> prefixText;
  if (rest.front() == '[') {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) bad(entry, "missing \"]\"");
    addr = rest.substr(1, close - 1);
    const std::string_view after = rest.substr(close + 1);
    if (const std::size_t slash = addr.find('/'); slash != std::string_view::npos) {
      if (!after.empty()) bad(entry, "unexpected text after \"]\"");
      prefixText = addr.substr(slash + 1);
      addr = addr.substr(0, slash);
    } else if (!after.empty()) {
      if (after.front() != '/') bad(entry, "unexpected text after \"]\"");
      prefixText = after.substr(1);
    }
  } else {
    if (const std::size_t slash = rest.find('/'); slash != std::string_view::npos) {
      prefixText = rest.substr(slash + 1);
      addr = rest.substr(0, slash);
    } else {
      addr = rest;
    }
  }

  const std::string a(addr);
  if (inet_pton(AF_INET, a.c_str(), cidr.bytes.data()) == 1) {
    cidr.family = AF_INET;
  } else if (inet_pton(AF_INET6, a.c_str(), cidr.bytes.data()) == 1) {
    cidr.family = AF_INET6;
  } else {
    const std::size_t colon = a.find(':');
    if (colon != std::string::npos && colon > 0 && a.find('/') == std::string::npos &&
        a.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == colon &&
        a.find_first_not_of("0123456789abcdef") != colon) {
      bad(entry, "table lookups are not supported in network lists");
    }
    if (a.find_first_not_of("0123456789.") == std::string::npos ||
        a.find(':') != std::string::npos) {
      bad(entry, "not a valid IP address");
    }
    bad(entry, "not an IP address or network (host names are not supported)");
  }

  const int maxPrefix = cidr.family == AF_INET ? 32 : 128;
  cidr.prefix = maxPrefix;
  if (prefixText) {
    if (prefixText->empty() || prefixText->size() > 3 ||
        prefixText->find_first_not_of("0123456789") != std::string_view::npos) {
      bad(entry, "bad prefix length \"" + std::string(*prefixText) + "\"");
    }
    cidr.prefix = std::stoi(std::string(*prefixText));
    if (cidr.prefix > maxPrefix) {
      bad(entry, "prefix length must be 0.." + std::to_string(maxPrefix));
    }
  }

  // Host bits must be zero, as Postfix insists, so that a typo such as
  // 192.168.1.1/16 is not silently widened.
  std::array<std::uint8_t, 16> network = cidr.bytes;
  for (int bit = cidr.prefix; bit < maxPrefix; ++bit) {
    network[static_cast<std::size_t>(bit / 8)] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
  }
  if (network != cidr.bytes) {
    std::string suggestion = formatAddress(cidr.family, network);
    if (cidr.family == AF_INET6) suggestion = "[" + suggestion + "]";
    bad(entry, "non-zero host bits (did you mean " + suggestion + "/" +
                   std::to_string(cidr.prefix) + "?)");
  }

  if (cidr.family == AF_INET6 && isV4Mapped(cidr.bytes) && cidr.prefix >= 96) {
    unmap(cidr.bytes);
    cidr.family = AF_INET;
    cidr.prefix -= 96;
  }
  return cidr;
}

void CidrList::addText(std::string_view text, std::string_view what, int depth) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (isSeparator(text[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && !isSeparator(text[j])) ++j;
    const std::string_view entry = text.substr(i, j - i);
    i = j;
    if (entry.front() == '/') {
      if (depth >= kMaxFileDepth) {
        throw CidrError(std::string(what) + ": file " + std::string(entry) +
                        " nested too deeply");
      }
      const std::string path(entry);
      std::ifstream in(path);
      if (!in) {
        throw CidrError(std::string(what) + ": cannot read " + path + ": " +
                        std::strerror(errno));
      }
      std::ostringstream body;
      std::string line;
      while (std::getline(in, line)) {
        const std::size_t hash = line.find('#');
        body << line.substr(0, hash) << '\n';
      }
      addText(body.str(), std::string(what) + " (file " + path + ")", depth + 1);
      continue;
    }
    try {
      entries_.push_back(parseEntry(entry));
    } catch (const CidrError& e) {
      throw CidrError(std::string(e.what()) + " in " + std::string(what));
    }
  }
}

CidrList CidrList::parse(std::string_view text, std::string_view what) {
  CidrList list;
  list.addText(text, what, 0);
  return list;
}

CidrList CidrList::parse(const std::vector<std::string>& entries, std::string_view what) {
  CidrList list;
  for (const std::string& e : entries) list.addText(e, what, 0);
  return list;
}

const Cidr* CidrList::find(std::string_view address) const {
  std::array<std::uint8_t, 16> bytes{};
  const std::optional<int> family = parseIpAddress(address, &bytes);
  if (!family) return nullptr;
  for (const Cidr& c : entries_) {
    if (c.contains(*family, bytes.data())) return &c;
  }
  return nullptr;
}

bool CidrList::matches(std::string_view address) const {
  const Cidr* c = find(address);
  return c != nullptr && !c->negated;
}

}  // namespace posthorn::address
