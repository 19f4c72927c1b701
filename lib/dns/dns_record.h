// dns_record - the DNS records posthorn reads, decoded from their wire data
//
// libunbound resolves and validates; it hands back each answer record's
// data as bytes (RFC 1035 wire format, names uncompressed). This is the
// decoding of the few types posthorn reads (A, AAAA, MX, PTR, CNAME, TXT,
// SRV);
// other types keep their bytes only. Why our own small decoder rather than
// a library: doc/decisions.md ("DNS").
//
// Names are kept in lower case without the final dot ("" is the root).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace posthorn::dns {

enum class RrType : std::uint16_t {
  A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, MX = 15, TXT = 16, AAAA = 28, SRV = 33, TLSA = 52
};
std::string rrTypeName(RrType type);  // "MX", "AAAA", "TYPE99"

struct Record {
  RrType type = RrType::A;
  std::string address;             // A, AAAA: "192.0.2.1", "2001:db8::1"
  std::uint16_t preference = 0;    // MX; SRV's priority
  std::uint16_t weight = 0;        // SRV
  std::uint16_t port = 0;          // SRV
  std::string target;              // MX exchange, SRV, CNAME and PTR target ("" = the root: null MX)
  std::vector<std::string> texts;  // TXT: its character-strings, in order
  std::string data;                // the undecoded bytes (every type)
};

// One record's data; nullopt when it is malformed for its type (a name
// running past the end, an A record that is not 4 bytes...).
std::optional<Record> decodeRecord(RrType type, std::string_view data);

// Lower case, without a final dot. nullopt, with *why set, for an empty
// label, a label over 63 bytes, a name over 253 bytes, or a byte a
// resolver would read as an escape or a separator (backslash, space,
// control characters).
std::optional<std::string> normalizeName(std::string_view name, std::string* why);

// "7.2.0.192.in-addr.arpa", "1.0...8.b.d.0.1.0.0.2.ip6.arpa"; "" when
// `address` is not an IP address.
std::string reverseName(std::string_view address);

}  // namespace posthorn::dns
