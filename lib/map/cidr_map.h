// cidr_map - `cidr:` tables: network blocks to results, as in Postfix's
// cidr_table(5)
//
//   # Rule order matters: the first matching rule wins.
//   192.168.1.1             OK
//   192.168.0.0/16          REJECT
//   2001:db8::1             OK
//   2001:db8::/32           REJECT
//
// A pattern is "address" (that one address) or "address/prefix-length"
// (that network), IPv4 or IPv6, optionally in [brackets], optionally
// negated with `!`; `if PATTERN` ... `endif` groups rules (rule_list.h). A
// lookup key is an IP address as text; it matches only rules of its own
// family, and a key that is not an address matches nothing. Keys are not
// folded to lower case.
//
// The file is read when the table is opened. A syntax error, a prefix
// length out of range, or a network with bits set after the prefix (which
// Postfix warns about and skips) throws MapError "FILE:LINE: what: "text"".
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/map/lookup_table.h"
#include "lib/map/rule_list.h"

namespace posthorn::map {

// An IPv4 or IPv6 address as 16 bytes (IPv4 in the first 4).
struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};
  // "192.0.2.1", "2001:db8::1", also in [brackets]; nullopt otherwise.
  static std::optional<IpAddress> parse(std::string_view text);
};

class CidrMap : public LookupTable {
 public:
  // Reads and parses PATH; MapError when it cannot.
  explicit CidrMap(const std::string& path);
  // Parses text as if it were the file `file`.
  CidrMap(std::string_view text, const std::string& file);

  std::optional<std::string> lookup(std::string_view key) override;
  std::string spec() const override { return "cidr:" + file_; }

 private:
  struct Network {
    IpAddress address;
    int prefix = 0;
    bool contains(const IpAddress& a) const;
  };
  void parse(std::string_view text);
  Network parseNetwork(std::string_view word, const util::LogicalLine& l) const;

  std::string file_;
  RuleList rules_;
  std::vector<Network> networks_;  // one per rule
};

}  // namespace posthorn::map
