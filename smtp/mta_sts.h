// mta_sts - SMTP MTA Strict Transport Security (RFC 8461): a domain's
// published promise that its MX hosts have valid certificates
//
//   MtaSts sts(resolver, verifyingContext, "mta-sts", 443, 10s);
//   std::optional<StsPolicy> p = sts.policyFor("example.org");
//   if (p && p->mode == StsMode::Enforce && !p->allows("mx1.example.org")) ...
//
// The TXT record _mta-sts.DOMAIN ("v=STSv1; id=...") says a policy exists
// and which version; the policy itself is fetched over HTTPS from
// https://mta-sts.DOMAIN/.well-known/mta-sts.txt, its certificate checked
// against the trusted CAs and the name mta-sts.DOMAIN, and kept in
// cacheDir (the queue directory's mta-sts/) for its max_age. A cached
// policy is fetched again only when the TXT id changes; when the TXT
// record or the fetch fails, a cached policy still in force is used (so an
// attacker who blocks DNS or HTTPS cannot turn it off). The fetch takes at
// most `timeout`, follows no redirects and reads at most 64 KiB.
#pragma once

#include <chrono>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/dns/dns_resolver.h"

namespace posthorn::tls {
class Context;
}

namespace posthorn::smtp {

enum class StsMode { None, Testing, Enforce };

struct StsPolicy {
  StsMode mode = StsMode::None;
  std::vector<std::string> mx;  // "mail.example.org", "*.example.net"
  long maxAge = 0;              // seconds
  std::string id;               // the TXT record's id= it was fetched for
  std::time_t fetched = 0;
  std::vector<std::string> lines;  // the policy's lines (TLS-RPT's policy-string)

  // An MX host name the policy lists (a "*." pattern covers one label).
  bool allows(std::string_view host) const;
  bool inForce(std::time_t now) const { return now < fetched + maxAge; }
  std::string modeName() const;
};

// RFC 8461 3.2: "version: STSv1", "mode:", "mx:" (one or more, not for
// mode none), "max_age:" (0 to 31557600); CRLF or LF; unknown keys are
// ignored. nullopt with *why when it is not a valid policy.
std::optional<StsPolicy> parseStsPolicy(std::string_view text, std::string* why);

class MtaSts {
 public:
  MtaSts(dns::Resolver& resolver, const tls::Context* verifying, std::string cacheDir, int port,
         std::chrono::seconds timeout);

  // The policy in force for the domain (after the lookups and the fetch
  // described above), or nullopt when there is none. When a policy was
  // announced (TXT) but none could be had, *failure (if given) says why,
  // as TLS-RPT's result type (RFC 8460 4.3.2.2): sts-policy-fetch-error,
  // sts-policy-invalid or sts-webpki-invalid.
  struct Failure {
    std::string type, why;
  };
  std::optional<StsPolicy> policyFor(const std::string& domain, Failure* failure = nullptr);

 private:
  std::optional<StsPolicy> fetch(const std::string& domain, const std::string& id, Failure* failure);
  std::optional<StsPolicy> loadCached(const std::string& domain);
  void store(const std::string& domain, const std::string& policyText, const StsPolicy& policy);

  dns::Resolver& resolver_;
  const tls::Context* verifying_;
  std::string cacheDir_;
  int port_;
  std::chrono::seconds timeout_;
};

}  // namespace posthorn::smtp
