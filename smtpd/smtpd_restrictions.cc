// smtpd_restrictions - Postfix's SMTP access restrictions, evaluated
#include "smtpd/smtpd_restrictions.h"

#include <arpa/inet.h>

#include "lib/dns/dns_record.h"
#include "lib/dns/dns_resolver.h"
#include "lib/log/log.h"
#include "lib/util/ascii.h"
#include "smtpd/smtpd_policy.h"
#include "smtpd/smtpd_policy_service.h"

namespace posthorn::smtpd {

namespace {

constexpr int kMaxDepth = 4;  // restrictions named by table values, nested

bool validHostname(std::string_view name) {
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
    std::string inner(name.substr(1, name.size() - 2));
    if (inner.rfind("IPv6:", 0) == 0 || inner.rfind("ipv6:", 0) == 0) inner.erase(0, 5);
    in6_addr v6{};
    in_addr v4{};
    return inet_pton(AF_INET, inner.c_str(), &v4) == 1 || inet_pton(AF_INET6, inner.c_str(), &v6) == 1;
  }
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 255) return false;
  std::size_t label = 0;
  char prev = '.';
  for (char c : name) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') {
      if (label == 0 && c == '-') return false;
      if (++label > 63) return false;
    } else {
      return false;
    }
    prev = c;
  }
  return prev != '-';
}

bool isFqdn(std::string_view name) {
  if (name.size() > 2 && name.front() == '[') return true;  // an address literal
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name.find('.') != std::string_view::npos;
}

}  // namespace

std::string_view stageName(CheckStage stage) {
  switch (stage) {
    case CheckStage::Connect: return "CONNECT";
    case CheckStage::Helo: return "HELO";
    case CheckStage::Mail: return "MAIL";
    case CheckStage::Rcpt: return "RCPT";
    case CheckStage::Data: return "DATA";
    case CheckStage::EndOfData: return "END-OF-MESSAGE";
  }
  return "RCPT";
}


Restrictions::Restrictions(const Settings& settings, Policy& policy, Lookups& lookups)
    : settings_(settings), policy_(policy), lookups_(lookups) {}

Restrictions::~Restrictions() = default;

bool Restrictions::anyAt(CheckStage stage) const {
  switch (stage) {
    case CheckStage::Connect: return !settings_.delayReject && !settings_.clientRestrictions.empty();
    case CheckStage::Helo: return !settings_.delayReject && !settings_.heloRestrictions.empty();
    case CheckStage::Mail: return !settings_.delayReject && !settings_.senderRestrictions.empty();
    case CheckStage::Rcpt: return true;
    case CheckStage::Data: return !settings_.dataRestrictions.empty();
    case CheckStage::EndOfData: return !settings_.endOfDataRestrictions.empty();
  }
  return false;
}

CheckVerdict Restrictions::check(const CheckRequest& request) {
  Eval ev{request, {}, {}, {}, request.clientName + "[" + request.clientAddress + "]"};
  std::vector<const access::RestrictionList*> lists;
  switch (request.stage) {
    case CheckStage::Connect: lists = {&settings_.clientRestrictions}; break;
    case CheckStage::Helo: lists = {&settings_.heloRestrictions}; break;
    case CheckStage::Mail: lists = {&settings_.senderRestrictions}; break;
    case CheckStage::Rcpt:
      if (settings_.delayReject)
        lists = {&settings_.clientRestrictions, &settings_.heloRestrictions, &settings_.senderRestrictions};
      lists.push_back(&settings_.relayRestrictions);
      lists.push_back(&settings_.recipientRestrictions);
      break;
    case CheckStage::Data: lists = {&settings_.dataRestrictions}; break;
    case CheckStage::EndOfData: lists = {&settings_.endOfDataRestrictions}; break;
  }
  for (const access::RestrictionList* list : lists) {
    if (runList(*list, ev, 0) == Result::Reject) {
      ev.verdict.prepend.clear();
      ev.verdict.discard = false;
      ev.verdict.redirect.clear();
      return std::move(ev.verdict);
    }
  }
  if (ev.deferIfPermit) ev.verdict.refusal = ev.deferIfPermit;
  return std::move(ev.verdict);
}

Restrictions::Result Restrictions::runList(const access::RestrictionList& list, Eval& ev, int depth) {
  for (const access::Restriction& r : list) {
    const Result result = apply(r, ev, depth);
    if (result != Result::Dunno) return result;
  }
  return Result::Dunno;
}

Restrictions::Result Restrictions::reject(Eval& ev, Reply reply) {
  if (reply.permanent() && ev.deferIfReject) reply = *ev.deferIfReject;
  ev.verdict.refusal = std::move(reply);
  return Result::Reject;
}

Restrictions::Result Restrictions::apply(const access::Restriction& r, Eval& ev, int depth) {
  const CheckRequest& q = ev.req;
  const std::string& n = r.name;
  // The reply names what the current command is about, as Postfix's do.
  std::string what;
  std::string_view replyClass;
  switch (q.stage) {
    case CheckStage::Connect: what = ev.clientWhat; replyClass = "Client host"; break;
    case CheckStage::Helo: what = q.helo; replyClass = "Helo command"; break;
    case CheckStage::Mail: what = q.sender.toString(); replyClass = "Sender address"; break;
    case CheckStage::Rcpt: what = q.recipient.toString(); replyClass = "Recipient address"; break;
    case CheckStage::Data: what = "DATA"; replyClass = "Data command"; break;
    case CheckStage::EndOfData: what = "END-OF-MESSAGE"; replyClass = "End-of-data"; break;
  }
  auto generic = [&](int code, std::string_view enhanced, std::string_view text) {
    return Reply(code, withClass(code, enhanced), quoted(what) + ": " + std::string(replyClass) + " rejected: " + std::string(text));
  };
  if (n == "permit") return Result::Permit;
  if (n == "reject") return reject(ev, generic(settings_.rejectCode, "5.7.1", "Access denied"));
  if (n == "defer") return reject(ev, generic(settings_.deferCode, "4.3.2", "Try again later"));
  if (n == "defer_if_permit") {
    if (!ev.deferIfPermit) ev.deferIfPermit = generic(450, "4.7.1", "defer_if_permit requested");
    return Result::Dunno;
  }
  if (n == "defer_if_reject") {
    if (!ev.deferIfReject) ev.deferIfReject = generic(450, "4.7.1", "defer_if_reject requested");
    return Result::Dunno;
  }
  if (n == "permit_mynetworks") return q.trustedClient ? Result::Permit : Result::Dunno;
  if (n == "permit_sasl_authenticated") return q.saslUser.empty() ? Result::Dunno : Result::Permit;
  if (n == "reject_unauth_pipelining") return Result::Dunno;  // nothing reads ahead here
  if (n == "reject_unknown_client_hostname" || n == "reject_unknown_reverse_client_hostname") {
    const bool reverse = n == "reject_unknown_reverse_client_hostname";
    if (reverse ? !q.reverseName.empty() : q.clientName != "unknown") return Result::Dunno;
    const int code = settings_.unknownClientRejectCode;
    return reject(ev, Reply(code, withClass(code, "5.7.25"),
                            std::string("Client host rejected: cannot find your ") +
                                (reverse ? "reverse hostname" : "hostname") + ", [" + q.clientAddress + "]"));
  }
  const bool heloCheck = n == "reject_invalid_helo_hostname" || n == "reject_non_fqdn_helo_hostname" ||
                         n == "reject_unknown_helo_hostname";
  if (heloCheck) {
    if (q.helo.empty()) return Result::Dunno;
    auto heloReply = [&](int code, std::string_view enhanced, std::string_view text) {
      return Reply(code, withClass(code, enhanced), quoted(q.helo) + ": Helo command rejected: " + std::string(text));
    };
    if (n == "reject_invalid_helo_hostname")
      return validHostname(q.helo) ? Result::Dunno
                                   : reject(ev, heloReply(settings_.invalidHostnameRejectCode, "5.5.2", "Invalid name"));
    if (n == "reject_non_fqdn_helo_hostname")
      return isFqdn(q.helo) ? Result::Dunno
                            : reject(ev, heloReply(settings_.nonFqdnRejectCode, "5.5.2", "need fully-qualified hostname"));
    if (q.helo.front() == '[') return Result::Dunno;
    if (!dns_) return reject(ev, heloReply(450, "4.3.0", "Temporary lookup failure"));
    const dns::HostResult h = dns_->lookupHost(q.helo);
    if (h.status == dns::Status::Ok) return Result::Dunno;
    if (h.status == dns::Status::TempFail) {
      if (!ev.deferIfPermit) ev.deferIfPermit = heloReply(450, "4.7.1", "Host not found");
      return Result::Dunno;
    }
    return reject(ev, heloReply(settings_.unknownHostnameRejectCode, "5.7.1", "Host not found"));
  }
  if (n == "reject_non_fqdn_sender" || n == "reject_non_fqdn_recipient") {
    const bool sender = n == "reject_non_fqdn_sender";
    const address::Address& a = sender ? q.sender : q.recipient;
    if (sender ? (!q.haveSender || a.isNull()) : !q.haveRecipient) return Result::Dunno;
    if (isFqdn(a.domain)) return Result::Dunno;
    const int code = settings_.nonFqdnRejectCode;
    return reject(ev, Reply(code, withClass(code, "5.5.2"),
                            quoted(a.toString()) + (sender ? ": Sender" : ": Recipient") +
                                " address rejected: need fully-qualified address"));
  }
  if (n == "reject_unknown_sender_domain") return unknownDomain(ev, true);
  if (n == "reject_unknown_recipient_domain") return unknownDomain(ev, false);
  if (n == "reject_unauth_destination") return unauthDestination(ev, false);
  if (n == "defer_unauth_destination") return unauthDestination(ev, true);
  if (n == "permit_auth_destination") {
    if (!q.haveRecipient) return Result::Dunno;
    const address::Resolution res = lookups_.resolve(q.recipient);
    switch (res.addressClass) {
      case address::AddressClass::Local:
      case address::AddressClass::Virtual:
      case address::AddressClass::Alias:
      case address::AddressClass::Relay:
        return Result::Permit;
      default:
        return Result::Dunno;
    }
  }
  if (n == "reject_unlisted_recipient") {
    if (!q.haveRecipient) return Result::Dunno;
    if (auto refusal = policy_.checkRecipient(q.recipient, true)) return reject(ev, *refusal);
    return Result::Dunno;
  }
  if (n == "reject_rbl_client") return rbl(r, ev);
  if (n.starts_with("reject_rhsbl_")) return rhsbl(r, ev);
  if (n == "check_client_access")
    return accessTable(r.arg, clientAccessKeys(q.clientName, q.clientAddress), ev.clientWhat, "Client host", ev, depth);
  if (n == "check_helo_access") {
    if (q.helo.empty()) return Result::Dunno;
    return accessTable(r.arg, domainAccessKeys(q.helo), q.helo, "Helo command", ev, depth);
  }
  if (n == "check_sender_access") {
    if (!q.haveSender) return Result::Dunno;
    const std::string s = q.sender.isNull() ? std::string() : q.sender.toString();
    return accessTable(r.arg, addressAccessKeys(s, settings_.nullAccessKey), s, "Sender address", ev, depth);
  }
  if (n == "check_recipient_access") {
    if (!q.haveRecipient) return Result::Dunno;
    const std::string s = q.recipient.toString();
    return accessTable(r.arg, addressAccessKeys(s, settings_.nullAccessKey), s, "Recipient address", ev, depth);
  }
  if (n == "check_policy_service") return policyService(r.arg, ev, depth);
  log::warning("restriction %s is not implemented here: ignored", n.c_str());
  return Result::Dunno;
}

Restrictions::Result Restrictions::unauthDestination(Eval& ev, bool defer) {
  const CheckRequest& q = ev.req;
  if (!q.haveRecipient) return Result::Dunno;
  const std::string addr = q.recipient.toString();
  const address::Resolution res = lookups_.resolve(q.recipient);
  if (res.addressClass == address::AddressClass::TempFail) {
    log::warning("%s: address resolution failed: %s", addr.c_str(), res.reason.c_str());
    return reject(ev, Reply(451, "4.3.0", quoted(addr) + ": Temporary lookup failure"));
  }
  if (res.addressClass != address::AddressClass::Remote) return Result::Dunno;
  const int code = defer ? 454 : settings_.relayRejectCode;
  return reject(ev, Reply(code, withClass(code, "5.7.1"), quoted(addr) + ": Relay access denied"));
}

Restrictions::Result Restrictions::unknownDomain(Eval& ev, bool sender) {
  const CheckRequest& q = ev.req;
  const address::Address& a = sender ? q.sender : q.recipient;
  if (sender ? (!q.haveSender || a.isNull()) : !q.haveRecipient) return Result::Dunno;
  if (a.domain.empty() || a.domain.front() == '[') return Result::Dunno;
  const std::string prefix = quoted(a.toString()) + (sender ? ": Sender" : ": Recipient") + " address rejected: ";
  const std::string_view enhanced = sender ? "5.1.8" : "5.1.2";
  if (!dns_) return reject(ev, Reply(450, withClass(450, enhanced), prefix + "Domain not found"));
  const dns::MxResult mx = dns_->lookupMx(a.domain);
  switch (mx.status) {
    case dns::Status::Ok: return Result::Dunno;
    case dns::Status::NullMx:
      return reject(ev, Reply(556, sender ? "5.7.27" : "5.1.10",
                              prefix + "Domain " + a.domain + " does not accept mail (nullMX)"));
    case dns::Status::NotFound: {
      const int code = settings_.unknownAddressRejectCode;
      return reject(ev, Reply(code, withClass(code, enhanced), prefix + "Domain not found"));
    }
    case dns::Status::TempFail:
      log::info("%s: domain lookup failed: %s", a.domain.c_str(), mx.error.c_str());
      if (!ev.deferIfPermit) ev.deferIfPermit = Reply(450, withClass(450, enhanced), prefix + "Domain not found");
      return Result::Dunno;
  }
  return Result::Dunno;
}

}  // namespace posthorn::smtpd
