// arc_verify - validating a message's ARC chain (RFC 8617 5.2)
//
//   ArcVerifier arc(resolver);
//   ArcOutcome r = arc.verify(header, bodyHash);   // bodyHash: RelaxedBodyHash of the body
//   r.result;   // "none", "pass", "fail"
//
// The chain passes when its sets are complete and numbered 1..N, the
// newest seal does not say cv=fail (and each older one says none for i=1,
// pass above), the newest ARC-Message-Signature verifies against the
// message as it arrived, and every ARC-Seal verifies. Only c=relaxed/relaxed
// message signatures are checked (what every sealer we know of uses); a
// key that cannot be looked up now fails the chain with "temporary" in
// the comment. r.sealer and r.sealerResults say who sealed last and what
// its checks found: a receiver that trusts that sealer may believe them
// (arc_trusted_sealers, smtpd(8)).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "lib/dns/dns_resolver.h"
#include "lib/mailauth/dkim_public_key.h"

namespace posthorn::mailauth {

struct ArcOutcome {
  std::string result = "none";
  int instances = 0;
  std::string sealer;         // d= of the newest ARC-Seal
  std::string sealerResults;  // the value of its ARC-Authentication-Results
  std::string comment;        // why it failed, or who sealed
};

class ArcVerifier {
 public:
  using KeyLookup = std::function<DkimPublicKey(const std::string& domain, const std::string& selector)>;
  explicit ArcVerifier(dns::Resolver& resolver);
  explicit ArcVerifier(KeyLookup lookup) : lookup_(std::move(lookup)) {}  // tests
  ArcOutcome verify(std::string_view header, const std::string& bodyHash);

 private:
  // "" when the signature verifies, else why not.
  std::string checkSignature(std::string_view fieldName, std::string_view rawValue, const std::string& data);
  KeyLookup lookup_;
};

// Whether an ARC field of the header (any of the three) is there: only
// then does a receiver need the body hash.
bool hasArcFields(std::string_view header);

}  // namespace posthorn::mailauth
