// sender_checks - every check of one inbound message, and the
// Authentication-Results field that reports them: what smtpd runs and
// what `posthorn auth check` prints
//
//   mailauth::SenderChecks checks(resolver, {.authservId = "mx.example.net",
//                                            .publicSuffixList = "/usr/share/publicsuffix/public_suffix_list.dat"});
//   mailauth::CheckResults r = checks.run({.clientAddress = "192.0.2.7", .helo = "mail.example.org",
//                                         .sender = "alice@example.org", .message = text});
//   std::string field = checks.field(r).header();
//
// SPF of the MAIL FROM (or HELO) identity; with a message, DKIM of each
// signature and DMARC of its From domain, fed with both.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/config/config.h"
#include "lib/dns/dns_resolver.h"
#include "lib/mailauth/arc_verify.h"
#include "lib/mailauth/auth_results.h"
#include "lib/mailauth/dkim_verify.h"
#include "lib/mailauth/dmarc_check.h"
#include "lib/mailauth/relaxed_canon.h"
#include "lib/mailauth/spf_check.h"

namespace posthorn::mailauth {

struct CheckOptions {
  std::string authservId;        // authserv_id
  std::string publicSuffixList;  // dmarc_public_suffix_list
  std::string receiver;          // our host name, for SPF's %{r}
  // arc_trusted_sealers: forwarders whose ARC results may stand in for a
  // DMARC failure their forwarding caused (lower case domains).
  std::vector<std::string> arcTrustedSealers;

  // From posthorn.conf; an unreadable public suffix list is a
  // config::ConfigError naming the parameter, its file:line and value.
  static CheckOptions fromConfig(const config::Config& cfg);
};

struct CheckInput {
  std::string clientAddress;
  std::string helo;
  std::string sender;  // "" for the null sender
  std::string iprev;   // the client's FCrDNS result (pass, fail, temperror); "" not looked up
  std::string clientName;  // its verified name, for policy.iprev's comment
  std::optional<std::string_view> message;  // header and body; none: SPF only
};

struct CheckResults {
  std::string helo, sender, clientAddress, iprev, clientName;
  SpfOutcome spf;
  bool messageChecked = false;
  DkimOutcome dkim;
  DmarcOutcome dmarc;
  ArcOutcome arc;
  // "trusted_forwarder" when a DMARC failure is not acted on because a
  // trusted sealer's ARC set says the message passed before it forwarded
  // it (RFC 7489's PolicyOverrideType, for the aggregate reports).
  std::string dmarcOverride;
};

class SenderChecks {
 public:
  SenderChecks(dns::Resolver& resolver, CheckOptions options);
  ~SenderChecks();

  CheckResults run(const CheckInput& input);

  // The same for a message that streams by (smtpd's DATA): feed() each
  // piece as it arrives, finish() at its end. Only the header section is
  // kept (up to kHeaderLimit, for the From field); DKIM hashes the rest as
  // it goes, and so does ARC's body hash when the header has ARC fields.
  // The lookups happen in finish().
  class MessageCheck {
   public:
    void feed(std::string_view piece);
    CheckResults finish();

   private:
    friend class SenderChecks;
    MessageCheck(SenderChecks& owner, CheckInput envelope);
    SenderChecks& owner_;
    CheckInput envelope_;  // without the message
    std::unique_ptr<DkimVerifier::Stream> dkim_;
    std::unique_ptr<RelaxedBodyHash> arcBody_;
    std::string header_;
    bool headerDone_ = false;
  };
  static constexpr std::size_t kHeaderLimit = 1 << 20;
  std::unique_ptr<MessageCheck> start(CheckInput envelope);
  // RFC 8601: iprev, spf, dkim (one per signature), arc (when the message
  // has ARC fields), dmarc.
  AuthResults field(const CheckResults& r) const;
  const std::string& authservId() const { return options_.authservId; }

 private:
  void judgeArcOverride(CheckResults& r) const;
  CheckOptions options_;
  SpfChecker spf_;
  DkimVerifier dkim_;
  DmarcChecker dmarc_;
  ArcVerifier arc_;
};

}  // namespace posthorn::mailauth
