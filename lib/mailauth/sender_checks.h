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

#include "lib/config/config.h"
#include "lib/dns/dns_resolver.h"
#include "lib/mailauth/auth_results.h"
#include "lib/mailauth/dkim_verify.h"
#include "lib/mailauth/dmarc_check.h"
#include "lib/mailauth/spf_check.h"

namespace posthorn::mailauth {

struct CheckOptions {
  std::string authservId;        // authserv_id
  std::string publicSuffixList;  // dmarc_public_suffix_list
  std::string receiver;          // our host name, for SPF's %{r}

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
};

class SenderChecks {
 public:
  SenderChecks(dns::Resolver& resolver, CheckOptions options);
  ~SenderChecks();

  CheckResults run(const CheckInput& input);

  // The same for a message that streams by (smtpd's DATA): feed() each
  // piece as it arrives, finish() at its end. Only the header section is
  // kept (up to kHeaderLimit, for the From field); DKIM hashes the rest as
  // it goes. The lookups happen in finish().
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
    std::string header_;
    bool headerDone_ = false;
  };
  static constexpr std::size_t kHeaderLimit = 1 << 20;
  std::unique_ptr<MessageCheck> start(CheckInput envelope);
  // RFC 8601: iprev, spf, dkim (one per signature), dmarc.
  AuthResults field(const CheckResults& r) const;
  const std::string& authservId() const { return options_.authservId; }

 private:
  CheckOptions options_;
  SpfChecker spf_;
  DkimVerifier dkim_;
  DmarcChecker dmarc_;
};

}  // namespace posthorn::mailauth
