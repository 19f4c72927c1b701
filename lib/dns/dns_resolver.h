// dns_resolver - the one resolver every lookup in posthorn goes through
//
// libunbound (Debian libunbound-dev) does the work: forwarding to the
// configured servers, caching, CNAME chains, TCP when an answer is
// truncated, and DNSSEC validation against the configured trust anchors,
// so that every answer says whether it is secure, insecure or bogus. A
// bogus answer is a temporary failure (someone is tampering, or a zone is
// broken: retry later, never use the data).
//
//   dns::Resolver resolver(dns::ResolverConfig::fromConfig(cfg));  // before the jail
//   dns::MxResult mx = resolver.lookupMx("example.com");
//   switch (mx.status) {
//     case dns::Status::Ok: for (auto& h : mx.hosts) ... // preference order
//     case dns::Status::NotFound:  bounce  (NXDOMAIN, or no MX and no address)
//     case dns::Status::TempFail:  defer   (SERVFAIL, timeout, bogus)
//     case dns::Status::NullMx:    bounce 5.1.10 (RFC 7505)
//   }
//
// Each lookup waits at most timeout x attempts (ResolverConfig); then it
// is cancelled and reports TempFail. Lookups answer synchronously here,
// but underneath they are libunbound's asynchronous queries, answered by
// its resolving thread through a file descriptor: start() and process()
// expose that for an event loop (dns_async.h).
//
// MX hosts come in preference order; hosts of equal preference are
// shuffled (seeded by ResolverConfig::seed when it is not 0). A domain
// without MX records but with an address is its own implicit MX (RFC 5321
// 5.1; MxHost::implicit). Not thread-safe; one per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "lib/dns/dns_config.h"
#include "lib/dns/dns_record.h"

struct ub_ctx;
struct ub_result;

namespace posthorn::dns {

enum class Status {
  Ok,
  NotFound,  // NXDOMAIN, or the name has no record of the type
  TempFail,  // SERVFAIL, REFUSED, timeout, bogus
  NullMx,    // lookupMx only: "MX 0 ."
};
std::string_view statusName(Status s);  // "ok", "not found", ...

// What DNSSEC says of an answer (RFC 4033 section 5).
enum class Security {
  Insecure,  // no trust anchor covers it, or the zone is unsigned
  Secure,    // validated from a trust anchor down
  Bogus,     // should have validated and did not
};
std::string_view securityName(Security s);  // "insecure", "secure", "bogus"

struct QueryResult {
  Status status = Status::TempFail;
  Security security = Security::Insecure;
  bool nxdomain = false;        // NotFound because the name does not exist
  std::string canonicalName;    // after CNAMEs
  std::vector<Record> records;  // of the type asked for
  std::string error;            // for TempFail and NotFound: why, for logs
  std::string packet;           // the whole answer in wire format, when asked for (libopendkim reads it)
};

struct MxHost {
  std::string name;  // the exchange (lower case)
  std::uint16_t preference = 0;
  bool implicit = false;  // no MX: the domain itself
};

struct MxResult {
  Status status = Status::TempFail;
  Security security = Security::Insecure;  // of the MX answer
  std::vector<MxHost> hosts;
  std::string error;
};

struct HostResult {
  Status status = Status::TempFail;
  Security security = Security::Insecure;  // secure only when both answers are
  std::vector<std::string> addresses;      // IPv6 first, then IPv4
  std::string error;
};

struct TextResult {
  Status status = Status::TempFail;
  Security security = Security::Insecure;
  std::vector<std::string> values;  // TXT: joined strings; PTR: names
  std::string error;
};

class Resolver {
 public:
  // Sets libunbound up (forwarders, trust anchors, its thread mode); reads
  // no file later, so the caller may chroot afterwards. Throws
  // std::runtime_error when libunbound refuses the configuration.
  explicit Resolver(ResolverConfig config);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // One question, CNAMEs followed; waits at most timeout x attempts.
  // keepPacket: QueryResult::packet holds the whole answer too.
  QueryResult query(std::string_view name, RrType type, bool keepPacket = false);
  MxResult lookupMx(std::string_view domain);
  // A and AAAA together: Ok when either has an address; TempFail when one
  // failed and the other had none; NotFound otherwise.
  HostResult lookupHost(std::string_view name);
  // TXT records, each one's strings joined (SPF, DKIM, DMARC read them so).
  TextResult lookupTxt(std::string_view name);
  // PTR names of an IPv4 or IPv6 address (in-addr.arpa, ip6.arpa);
  // NotFound for something that is not an address.
  TextResult lookupPtr(std::string_view address);

  // The asynchronous layer under the lookups. start() sends a question and
  // returns its id; fd() becomes readable when answers wait; process()
  // runs their callbacks; cancel() forgets a question, whose callback then
  // never runs. For a name that is not a name, or a question libunbound
  // refuses, the callback runs at once, from start(), which returns -1.
  // An exception from a callback run by process() is rethrown by process()
  // once libunbound has returned (never through its C code).
  using Callback = std::function<void(QueryResult)>;
  int start(std::string_view name, RrType type, Callback callback, bool keepPacket = false);
  int fd() const;
  void process();
  void cancel(int id);

  const ResolverConfig& config() const { return config_; }

  // Sorts by preference and shuffles equal preferences with `rng` (for
  // tests; lookupMx uses the resolver's generator).
  static void orderMx(std::vector<MxHost>& hosts, std::mt19937_64& rng);

 private:
  struct Pending;
  static void onAnswer(void* pending, int err, ub_result* result);

  ResolverConfig config_;
  ub_ctx* ctx_ = nullptr;
  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<Pending>> pending_;  // asked, not yet answered
  std::string callbackError_;  // what a callback threw inside ub_process, rethrown by process()
};

}  // namespace posthorn::dns
