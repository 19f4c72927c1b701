// dns_resolver - the one resolver every lookup in posthorn goes through
//
// A stub resolver speaking plain DNS to the configured servers (UDP, TCP
// when an answer is truncated): sockets only, so it works chrooted once
// its ResolverConfig has been read. Not thread-safe; one per thread.
//
//   dns::Resolver resolver(dns::ResolverConfig::fromConfig(cfg));
//   dns::MxResult mx = resolver.lookupMx("example.com");
//   switch (mx.status) {
//     case dns::Status::Ok: for (auto& h : mx.hosts) ... // preference order
//     case dns::Status::NotFound:  bounce  (NXDOMAIN, or no MX and no address)
//     case dns::Status::TempFail:  defer   (SERVFAIL, timeout, refused)
//     case dns::Status::NullMx:    bounce 5.1.10 (RFC 7505)
//   }
//
// Also lookupTxt (SPF, DKIM, DMARC) and lookupPtr (reverse DNS).
//
// MX hosts come in preference order; hosts of equal preference are
// shuffled (seeded by ResolverConfig::seed when it is not 0). A domain
// without MX records but with an address is its own implicit MX (RFC 5321
// 5.1; MxHost::implicit). CNAME chains are followed (at most 8 links),
// whether the server put the target's records into the answer or not.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "lib/dns/dns_config.h"
#include "lib/dns/dns_message.h"

namespace posthorn::dns {

enum class Status {
  Ok,
  NotFound,  // NXDOMAIN, or the name has no record of the type
  TempFail,  // SERVFAIL, REFUSED, timeout, a malformed answer
  NullMx,    // lookupMx only: "MX 0 ."
};
std::string_view statusName(Status s);  // "ok", "not found", ...

struct QueryResult {
  Status status = Status::TempFail;
  bool nxdomain = false;             // NotFound because the name does not exist
  std::string canonicalName;         // after CNAMEs
  std::vector<Record> records;       // of the type asked for, owned by canonicalName
  std::string error;                 // for TempFail and NotFound: why, for logs
};

struct MxHost {
  std::string name;  // the exchange (lower case)
  std::uint16_t preference = 0;
  bool implicit = false;  // no MX: the domain itself
};

struct MxResult {
  Status status = Status::TempFail;
  std::vector<MxHost> hosts;
  std::string error;
};

struct HostResult {
  Status status = Status::TempFail;
  std::vector<std::string> addresses;  // IPv6 first, then IPv4
  std::string error;
};

struct TextResult {
  Status status = Status::TempFail;
  std::vector<std::string> values;  // TXT: joined strings; PTR: names
  std::string error;
};

// "7.2.0.192.in-addr.arpa", "1.0...8.b.d.0.1.0.0.2.ip6.arpa"; "" when
// `address` is not an IP address.
std::string reverseName(std::string_view address);

class Resolver {
 public:
  explicit Resolver(ResolverConfig config);

  // One question, CNAMEs followed.
  QueryResult query(std::string_view name, RrType type);
  MxResult lookupMx(std::string_view domain);
  // A and AAAA together: Ok when either has an address; TempFail when one
  // failed and the other had none; NotFound otherwise.
  HostResult lookupHost(std::string_view name);
  // TXT records, each one's strings joined (SPF, DKIM, DMARC read them so).
  TextResult lookupTxt(std::string_view name);
  // PTR names of an IPv4 or IPv6 address (in-addr.arpa, ip6.arpa);
  // NotFound for something that is not an address.
  TextResult lookupPtr(std::string_view address);

  const ResolverConfig& config() const { return config_; }

  // Sorts by preference and shuffles equal preferences with `rng` (for
  // tests; lookupMx uses the resolver's generator).
  static void orderMx(std::vector<MxHost>& hosts, std::mt19937_64& rng);

 private:
  // One exchange with the servers: the first usable answer. Throws nothing.
  bool exchange(std::string_view name, RrType type, Message* answer, std::string* error);
  bool exchangeWith(const ServerAddress& server, const std::string& query, std::uint16_t id,
                    std::string_view name, RrType type, Message* answer, std::string* error);

  ResolverConfig config_;
  std::mt19937_64 rng_;
  std::uint16_t nextId_;
};

}  // namespace posthorn::dns
