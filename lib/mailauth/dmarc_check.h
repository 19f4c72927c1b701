// dmarc_check - DMARC (RFC 7489) through libopendmarc: the author domain's
// policy, identifier alignment of the SPF and DKIM results, p/sp/pct
//
// The policy record is looked up here, through posthorn's resolver
// (_dmarc.<From domain>, else _dmarc.<organizational domain>), and handed
// to libopendmarc, which parses it and decides alignment (relaxed or
// strict, adkim/aspf) and which policy applies (p, or sp for a subdomain).
// The organizational domain comes from the Public Suffix List shipped by
// Debian's publicsuffix package (dmarc_public_suffix_list), read once,
// before the jail.
//
//   mailauth::DmarcChecker dmarc(resolver, "/usr/share/publicsuffix/public_suffix_list.dat");
//   mailauth::DmarcOutcome r = dmarc.evaluate(clientAddress, fromDomain, spf, dkimSignatures);
//   r.result;       // "pass", "fail", "none", "temperror", "permerror"
//   r.disposition;  // what to do: "none", "quarantine", "reject" (after pct)
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/dns/dns_resolver.h"
#include "lib/mailauth/dkim_verify.h"
#include "lib/mailauth/spf_check.h"

namespace posthorn::mailauth {

struct DmarcOutcome {
  std::string result = "none";     // RFC 8601: pass, fail, none, temperror, permerror
  std::string fromDomain;          // the author domain (header.from)
  std::string policyDomain;        // where the record was found ("" none)
  std::string record;              // the record as published there (for reports)
  std::string policy = "none";     // what the record asks for this domain: p, or sp for a subdomain
  std::string disposition = "none";  // what applies to this message, after pct
  int pct = 100;
  bool spfAligned = false;
  bool dkimAligned = false;
  std::string comment;  // why, for the header and the log
};

class DmarcChecker {
 public:
  // Reads the Public Suffix List (throws std::runtime_error when it
  // cannot). random100 returns 0..99 for pct sampling (tests fix it).
  DmarcChecker(dns::Resolver& resolver, const std::string& publicSuffixList,
               std::function<int()> random100 = {});
  ~DmarcChecker();
  DmarcChecker(const DmarcChecker&) = delete;
  DmarcChecker& operator=(const DmarcChecker&) = delete;

  // fromDomain "" means the message has no single author domain: permerror.
  DmarcOutcome evaluate(const std::string& clientAddress, const std::string& fromDomain, const SpfOutcome& spf,
                        const std::vector<DkimSignature>& dkim);

  // The organizational domain of a domain ("mail.example.co.uk" ->
  // "example.co.uk"), from the Public Suffix List.
  std::string organizationalDomain(const std::string& domain) const;

 private:
  // The one DMARC record of a name: found, none, or a DNS failure.
  enum class Lookup { Found, None, TempFail };
  Lookup findRecord(const std::string& domain, std::string* record, std::string* error);

  dns::Resolver& resolver_;
  std::function<int()> random100_;
};

}  // namespace posthorn::mailauth
