// sender_checks - SPF, DKIM and DMARC in order, and the field that reports them
#include "lib/mailauth/sender_checks.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "lib/mailauth/from_domain.h"
#include "lib/mime/header_fields.h"

namespace posthorn::mailauth {

CheckOptions CheckOptions::fromConfig(const config::Config& cfg) {
  CheckOptions o{cfg.get("authserv_id"), cfg.get("dmarc_public_suffix_list"), cfg.get("myhostname"), {}};
  for (std::string sealer : cfg.getList("arc_trusted_sealers")) {
    for (char& c : sealer) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    o.arcTrustedSealers.push_back(sealer);
  }
  if (!o.publicSuffixList.empty() && ::access(o.publicSuffixList.c_str(), R_OK) != 0)
    throw config::ConfigError(cfg.origin("dmarc_public_suffix_list").describe() +
                              ": dmarc_public_suffix_list = " + o.publicSuffixList + ": " + std::strerror(errno));
  return o;
}

SenderChecks::SenderChecks(dns::Resolver& resolver, CheckOptions options)
    : options_(std::move(options)),
      spf_(resolver, options_.receiver),
      dkim_(resolver),
      dmarc_(resolver, options_.publicSuffixList),
      arc_(resolver) {}

SenderChecks::~SenderChecks() = default;

namespace {

// The results' copy of what the envelope said.
CheckResults envelopeOf(const CheckInput& in) {
  CheckResults r;
  r.helo = in.helo;
  r.sender = in.sender;
  r.clientAddress = in.clientAddress;
  r.iprev = in.iprev;
  r.clientName = in.clientName;
  return r;
}

}  // namespace

CheckResults SenderChecks::run(const CheckInput& input) {
  if (!input.message) {  // SPF alone
    CheckResults r = envelopeOf(input);
    r.spf = spf_.checkMailFrom(input.clientAddress, input.helo, input.sender);
    return r;
  }
  const std::unique_ptr<MessageCheck> check = start(input);
  check->feed(*input.message);
  return check->finish();
}

std::unique_ptr<SenderChecks::MessageCheck> SenderChecks::start(CheckInput envelope) {
  envelope.message.reset();
  return std::unique_ptr<MessageCheck>(new MessageCheck(*this, std::move(envelope)));
}

SenderChecks::MessageCheck::MessageCheck(SenderChecks& owner, CheckInput envelope)
    : owner_(owner), envelope_(std::move(envelope)), dkim_(owner.dkim_.start()) {}

void SenderChecks::MessageCheck::feed(std::string_view piece) {
  dkim_->feed(piece);
  if (headerDone_) {
    if (arcBody_) arcBody_->feed(piece);
    return;
  }
  const std::size_t room = kHeaderLimit - header_.size();
  header_.append(piece.substr(0, room));
  const std::size_t end = mime::headerEnd(header_);
  if (end < header_.size() || header_.size() == kHeaderLimit) {
    headerDone_ = true;
    if (hasArcFields(std::string_view(header_).substr(0, end))) {
      arcBody_ = std::make_unique<RelaxedBodyHash>();
      arcBody_->feed(std::string_view(header_).substr(end));
      if (room < piece.size()) arcBody_->feed(piece.substr(room));
    }
    header_.resize(end);
  }
}

CheckResults SenderChecks::MessageCheck::finish() {
  CheckResults r = envelopeOf(envelope_);
  r.spf = owner_.spf_.checkMailFrom(envelope_.clientAddress, envelope_.helo, envelope_.sender);
  r.messageChecked = true;
  r.dkim = dkim_->finish();
  std::string why;
  const std::optional<std::string> from = fromDomain(header_, &why);
  r.dmarc = owner_.dmarc_.evaluate(envelope_.clientAddress, from.value_or(""), r.spf, r.dkim.signatures);
  if (!from) r.dmarc.comment = why;
  if (arcBody_) r.arc = owner_.arc_.verify(header_, arcBody_->finish());
  owner_.judgeArcOverride(r);
  return r;
}

void SenderChecks::judgeArcOverride(CheckResults& r) const {
  // RFC 8617 7.2: a receiver may let a sealer it trusts vouch for what
  // the message was before that sealer forwarded it.
  if (r.dmarc.result != "fail" || r.arc.result != "pass") return;
  const auto& trusted = options_.arcTrustedSealers;
  if (std::find(trusted.begin(), trusted.end(), r.arc.sealer) == trusted.end()) return;
  if (methodResult(r.arc.sealerResults, "dmarc") != "pass") return;
  r.dmarcOverride = "trusted_forwarder";
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
  if (r.arc.result != "none" || r.arc.instances > 0)
    ar.add("arc", r.arc.result, r.arc.comment, {{"smtp.remote-ip", r.clientAddress}});
  std::string comment;
  if (r.dmarc.result == "pass" || r.dmarc.result == "fail")
    comment = "p=" + r.dmarc.policy + " dis=" + (r.dmarcOverride.empty() ? r.dmarc.disposition : "none");
  if (!r.dmarc.comment.empty()) comment += (comment.empty() ? "" : "; ") + r.dmarc.comment;
  if (!r.dmarcOverride.empty()) comment += "; ARC sealed by trusted forwarder " + r.arc.sealer;
  AuthResults::Properties props;
  if (!r.dmarc.fromDomain.empty()) props.push_back({"header.from", r.dmarc.fromDomain});
  ar.add("dmarc", r.dmarc.result, comment, props);
  return ar;
}

}  // namespace posthorn::mailauth
