// sender_checks - SPF, DKIM and DMARC in order, and the field that reports them
#include "lib/mailauth/sender_checks.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lib/mailauth/from_domain.h"

namespace posthorn::mailauth {

CheckOptions CheckOptions::fromConfig(const config::Config& cfg) {
  CheckOptions o{cfg.get("authserv_id"), cfg.get("dmarc_public_suffix_list"), cfg.get("myhostname")};
  if (!o.publicSuffixList.empty() && ::access(o.publicSuffixList.c_str(), R_OK) != 0)
    throw config::ConfigError(cfg.origin("dmarc_public_suffix_list").describe() +
                              ": dmarc_public_suffix_list = " + o.publicSuffixList + ": " + std::strerror(errno));
  return o;
}

SenderChecks::SenderChecks(dns::Resolver& resolver, CheckOptions options)
    : options_(std::move(options)),
      spf_(resolver, options_.receiver),
      dkim_(resolver),
      dmarc_(resolver, options_.publicSuffixList) {}

SenderChecks::~SenderChecks() = default;

CheckResults SenderChecks::run(const CheckInput& input) {
  CheckResults r;
  r.helo = input.helo;
  r.sender = input.sender;
  r.clientAddress = input.clientAddress;
  r.iprev = input.iprev;
  r.clientName = input.clientName;
  r.spf = spf_.checkMailFrom(input.clientAddress, input.helo, input.sender);
  if (!input.message) return r;
  r.messageChecked = true;
  r.dkim = dkim_.verify(*input.message);
  std::string why;
  const std::optional<std::string> from = fromDomain(*input.message, &why);
  r.dmarc = dmarc_.evaluate(input.clientAddress, from.value_or(""), r.spf, r.dkim.signatures);
  if (!from) r.dmarc.comment = why;
  return r;
}

AuthResults SenderChecks::field(const CheckResults& r) const {
  AuthResults ar(options_.authservId);
  if (!r.iprev.empty())
    ar.add("iprev", r.iprev, r.iprev == "pass" ? r.clientName : "", {{"policy.iprev", r.clientAddress}});
  const bool helo = r.spf.identity == "helo";
  ar.add("spf", spfResultName(r.spf.result), r.spf.comment,
         {{helo ? "smtp.helo" : "smtp.mailfrom", helo ? r.helo : r.spf.sender}});
  if (!r.messageChecked) return ar;
  if (!r.dkim.error.empty()) {
    ar.add("dkim", "permerror", r.dkim.error, {});
  } else if (r.dkim.signatures.empty()) {
    ar.add("dkim", "none", "", {});
  }
  for (const auto& sig : r.dkim.signatures)
    ar.add("dkim", sig.result, sig.comment,
           {{"header.d", sig.domain}, {"header.s", sig.selector}, {"header.a", sig.algorithm}});
  std::string comment;
  if (r.dmarc.result == "pass" || r.dmarc.result == "fail")
    comment = "p=" + r.dmarc.policy + " dis=" + r.dmarc.disposition;
  if (!r.dmarc.comment.empty()) comment += (comment.empty() ? "" : "; ") + r.dmarc.comment;
  AuthResults::Properties props;
  if (!r.dmarc.fromDomain.empty()) props.push_back({"header.from", r.dmarc.fromDomain});
  ar.add("dmarc", r.dmarc.result, comment, props);
  return ar;
}

}  // namespace posthorn::mailauth
