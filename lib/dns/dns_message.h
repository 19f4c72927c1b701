// dns_message - the DNS wire format (RFC 1035): queries out, answers in
//
// Only what the resolver needs: one-question queries with RD set, and
// answers whose A, AAAA, MX, CNAME, PTR and TXT records are decoded (others
// are kept with their type and no data). Names are compared case-insensitively and kept
// in lower case without the final dot ("" is the root).
//
//   std::string q = dns::buildQuery(0x1234, "example.com", dns::RrType::MX);
//   dns::Message m = dns::parseMessage(bytes);   // throws dns::FormatError
//   for (const dns::Record& r : m.answers) if (r.type == dns::RrType::MX) ...
//
// A malformed answer (a name pointer loop, a record running past the end,
// a label longer than 63) throws FormatError: network input never crashes
// the caller.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace posthorn::dns {

class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class RrType : std::uint16_t { A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, MX = 15, TXT = 16, AAAA = 28 };
std::string rrTypeName(RrType type);  // "MX", "AAAA", "TYPE99"

// RCODE values (RFC 1035 4.1.1).
enum class Rcode : std::uint8_t { NoError = 0, FormErr = 1, ServFail = 2, NxDomain = 3, NotImp = 4, Refused = 5 };

struct Record {
  std::string name;  // owner, lower case, no final dot
  RrType type = RrType::A;
  std::uint32_t ttl = 0;
  // Decoded data by type:
  std::string address;        // A, AAAA: "192.0.2.1", "2001:db8::1"
  std::uint16_t preference = 0;  // MX
  std::string target;         // MX exchange, CNAME and PTR target ("" = the root: null MX)
  std::vector<std::string> texts;  // TXT: its character-strings, in order
};

struct Message {
  std::uint16_t id = 0;
  bool response = false;
  bool truncated = false;
  bool authoritative = false;
  Rcode rcode = Rcode::NoError;
  std::string questionName;
  RrType questionType = RrType::A;
  std::vector<Record> answers;
};

// Lower case, without a final dot; throws FormatError for an empty label,
// a label over 63 bytes or a name over 253 bytes.
std::string normalizeName(std::string_view name);

// A query for `name` of `type` (class IN, RD set).
std::string buildQuery(std::uint16_t id, std::string_view name, RrType type);

// Decodes the header, the question and the answer section (authority and
// additional sections are not needed). Throws FormatError.
Message parseMessage(std::string_view wire);

// For tests and test tools: an answer message with the given records.
std::string buildAnswer(const Message& message);

}  // namespace posthorn::dns
