// cidr_map - cidr: tables (see cidr_map.h)
#include "lib/map/cidr_map.h"

#include <arpa/inet.h>
#include <charconv>

#include "lib/map/map_source.h"

namespace posthorn::map {

namespace {

bool isBlank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  std::string s(text);
  IpAddress a;
  if (s.find(':') != std::string::npos) {
    a.v6 = true;
    if (::inet_pton(AF_INET6, s.c_str(), a.bytes.data()) != 1) return std::nullopt;
  } else if (::inet_pton(AF_INET, s.c_str(), a.bytes.data()) != 1) {
    return std::nullopt;
  }
  return a;
}

bool CidrMap::Network::contains(const IpAddress& a) const {
  if (a.v6 != address.v6) return false;
  int bits = prefix;
  for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((a.bytes[i] & mask) != address.bytes[i]) return false;
  }
  return true;
}

CidrMap::CidrMap(const std::string& path) : file_(path), rules_(path) {
  parse(readSourceText(path));
}

CidrMap::CidrMap(std::string_view text, const std::string& file) : file_(file), rules_(file) {
  parse(text);
}

CidrMap::Network CidrMap::parseNetwork(std::string_view word, const util::LogicalLine& l) const {
  std::string_view addressText = word;
  std::optional<int> prefix;
  if (const std::size_t slash = word.find('/'); slash != std::string_view::npos) {
    addressText = word.substr(0, slash);
    std::string_view digits = word.substr(slash + 1);
    int n = -1;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
      syntaxError(file_, l.line, "bad prefix length in \"" + std::string(word) + "\"", l.text);
    }
    prefix = n;
  }
  std::optional<IpAddress> address = IpAddress::parse(addressText);
  if (!address) {
    syntaxError(file_, l.line, "bad network address \"" + std::string(addressText) + "\"", l.text);
  }
  const int maxPrefix = address->v6 ? 128 : 32;
  Network net{*address, prefix.value_or(maxPrefix)};
  if (net.prefix < 0 || net.prefix > maxPrefix) {
    syntaxError(file_, l.line,
                "prefix length out of range (0-" + std::to_string(maxPrefix) + ") in \"" +
                    std::string(word) + "\"",
                l.text);
  }
  // The address must be the network's first: no bits set after the prefix.
  Network masked = net;
  for (std::size_t i = 0; i < 16; ++i) {
    const int bits = net.prefix - static_cast<int>(i) * 8;
    const std::uint8_t mask =
        bits >= 8 ? 0xff : bits <= 0 ? 0 : static_cast<std::uint8_t>(0xff << (8 - bits));
    masked.address.bytes[i] &= mask;
  }
  if (masked.address.bytes != net.address.bytes) {
    syntaxError(file_, l.line,
                "non-null host address bits in \"" + std::string(word) + "\"", l.text);
  }
  return net;
}

void CidrMap::parse(std::string_view text) {
  for (const util::LogicalLine& l : sourceLines(text, file_)) {
    RuleLine rl = classifyRuleLine(l.text);
    if (rl.kind == RuleLine::Kind::Endif) {
      rules_.endIf(l);
      continue;
    }
    std::string_view rest = rl.text;
    const bool negate = !rest.empty() && rest.front() == '!';
    if (negate) rest.remove_prefix(1);
    std::size_t end = 0;
    while (end < rest.size() && !isBlank(rest[end])) ++end;
    std::string_view word = rest.substr(0, end);
    std::size_t valueStart = end;
    while (valueStart < rest.size() && isBlank(rest[valueStart])) ++valueStart;
    std::string_view result = rest.substr(valueStart);
    if (word.empty()) syntaxError(file_, l.line, "missing network address", l.text);
    networks_.push_back(parseNetwork(word, l));
    if (rl.kind == RuleLine::Kind::If) {
      if (!result.empty()) syntaxError(file_, l.line, "text after the if pattern", l.text);
      rules_.addIf(negate, l.line);
    } else {
      if (result.empty()) syntaxError(file_, l.line, "no result after the pattern", l.text);
      rules_.addRule(negate, std::string(result), l.line);
    }
  }
  rules_.finish();
}

std::optional<std::string> CidrMap::lookup(std::string_view key) {
  std::optional<IpAddress> address = IpAddress::parse(key);
  if (!address) return std::nullopt;
  auto match = rules_.firstMatch([&](std::size_t i) { return networks_[i].contains(*address); });
  if (!match) return std::nullopt;
  return rules_.rules()[*match].result;
}

}  // namespace posthorn::map
