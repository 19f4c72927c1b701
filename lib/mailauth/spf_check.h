// spf_check - Sender Policy Framework (RFC 7208) through libspf2, asking
// posthorn's resolver
//
// libspf2 evaluates the records; its DNS layer is ours (spf_dns.cc), so
// every lookup goes through libunbound with posthorn's servers, cache,
// timeouts and DNSSEC, never through the system resolver. RFC 7208's
// limits: 10 terms that query the DNS (libspf2's max_dns_mech), 10 names
// from one MX or PTR lookup, and 2 void lookups (section 4.6.4: counted by
// our DNS layer, as libspf2 1.2.10 does not).
//
//   mailauth::SpfChecker spf(resolver, "mx.example.net");
//   mailauth::SpfOutcome r = spf.checkMailFrom("192.0.2.7", "mail.example.org", "alice@example.org");
//   r.result == SpfResult::Pass;  spfResultName(r.result) == "pass";
//
// Blocking: each lookup waits at most the resolver's deadline (dns_timeout
// x dns_attempts), and one evaluation's lookups 20 seconds in all (RFC
// 7208 4.6.4); a lookup that times out makes the result temperror.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "lib/dns/dns_resolver.h"

namespace posthorn::mailauth {

enum class SpfResult { None, Neutral, Pass, Fail, SoftFail, TempError, PermError };
// RFC 7208 section 2.6's words: "none", "neutral", "pass", "fail",
// "softfail", "temperror", "permerror".
std::string_view spfResultName(SpfResult r);

struct SpfOutcome {
  SpfResult result = SpfResult::None;
  std::string identity;  // "mailfrom" or "helo"
  std::string sender;    // what was checked: the MAIL FROM address, or postmaster@HELO
  std::string domain;    // its domain
  std::string comment;   // libspf2's explanation of the result, for headers and logs
};

class SpfChecker {
 public:
  // receiver: our host name, for the %{r} macro.
  SpfChecker(dns::Resolver& resolver, std::string receiver);
  ~SpfChecker();
  SpfChecker(const SpfChecker&) = delete;
  SpfChecker& operator=(const SpfChecker&) = delete;

  // The MAIL FROM identity; for the null sender (sender empty), the HELO
  // identity as RFC 7208 section 2.4 says.
  SpfOutcome checkMailFrom(const std::string& clientAddress, const std::string& helo,
                           const std::string& sender);
  // The HELO identity (section 2.3): postmaster@HELO.
  SpfOutcome checkHelo(const std::string& clientAddress, const std::string& helo);

 private:
  struct Impl;
  SpfOutcome check(const std::string& clientAddress, const std::string& helo,
                   const std::string& sender, const char* identity);
  std::unique_ptr<Impl> impl_;
};

}  // namespace posthorn::mailauth
