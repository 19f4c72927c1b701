// cidr - network lists such as mynetworks, and matching a client address
//
// The syntax is Postfix's for mynetworks: entries separated by commas and/or
// white space, each one of
//   127.0.0.0/8        an IPv4 network (host bits must be zero)
//   192.0.2.7          one IPv4 host (same as /32)
//   [::1]/128          an IPv6 network, in brackets as Postfix writes it
//   [2001:db8::1]      one IPv6 host; "[::1/128]" and a bare "::1/128" are
//                      accepted too
//   !192.0.2.0/28      an exception: a list is searched in order and the
//                      first matching entry decides, so an exception must
//                      come before the wider network it carves out of
//   /path/to/file      more entries read from a file (white space or comma
//                      separated, # comments), at parse time
// Host names and type:table entries are not supported and are reported as
// errors. An IPv4-mapped IPv6 address (::ffff:192.0.2.7) matches IPv4
// entries, and an IPv4-mapped IPv6 entry ([::ffff:192.0.2.0]/120) is stored
// as the IPv4 network it denotes.
//
//   auto nets = address::CidrList::parse(cfg.get("mynetworks"));   // CidrError
//   if (nets.matches(clientAddress)) permitRelay();
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace posthorn::address {

// A bad entry; the message names it ("bad network \"10.0.0.0/33\" in
// mynetworks: prefix length must be 0..32").
class CidrError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Cidr {
  int family = 0;  // AF_INET or AF_INET6
  std::array<std::uint8_t, 16> bytes{};  // network, in network byte order
  int prefix = 0;                        // bits
  bool negated = false;                  // "!" exception
  std::string text;                      // the entry as written, for logs

  bool contains(int addressFamily, const std::uint8_t* address) const;
};

class CidrList {
 public:
  CidrList() = default;
  // Parses a whole list. `what` names the setting in error messages
  // ("mynetworks"). Throws CidrError naming the first bad entry.
  static CidrList parse(std::string_view text, std::string_view what = "network list");
  static CidrList parse(const std::vector<std::string>& entries,
                        std::string_view what = "network list");
  // One entry (no list separators, no /file).
  static Cidr parseEntry(std::string_view entry);

  // Whether address (textual IPv4 or IPv6, optionally in brackets, with an
  // optional %scope) is in the list. An address that does not parse never
  // matches.
  bool matches(std::string_view address) const;
  // The entry that decides for address (it may be a "!" exception), or
  // nullptr when none matches.
  const Cidr* find(std::string_view address) const;

  const std::vector<Cidr>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

 private:
  void addText(std::string_view text, std::string_view what, int depth);

  std::vector<Cidr> entries_;
};

// Parses a textual address as the list matches it: v4-mapped IPv6 becomes
// IPv4. Returns the family (AF_INET/AF_INET6) and fills bytes, or nullopt.
std::optional<int> parseIpAddress(std::string_view text, std::array<std::uint8_t, 16>* bytes);

}  // namespace posthorn::address
