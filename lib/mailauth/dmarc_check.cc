// dmarc_check - our lookups, libopendmarc's parsing, alignment and policy
#include "lib/mailauth/dmarc_check.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>

#include "lib/util/ascii.h"

extern "C" {
#include <opendmarc/dmarc.h>
// Exported by libopendmarc but not declared in dmarc.h: the organizational
// domain of a domain, from the Public Suffix List read at library init.
int opendmarc_get_tld(unsigned char* domain, unsigned char* tld, size_t tld_len);
}

namespace posthorn::mailauth {

namespace {

unsigned char* bytes(const std::string& s) {
  return reinterpret_cast<unsigned char*>(const_cast<char*>(s.c_str()));
}

int spfOutcome(SpfResult r) {
  switch (r) {
    case SpfResult::Pass: return DMARC_POLICY_SPF_OUTCOME_PASS;
    case SpfResult::TempError: return DMARC_POLICY_SPF_OUTCOME_TMPFAIL;
    case SpfResult::None: return DMARC_POLICY_SPF_OUTCOME_NONE;
    default: return DMARC_POLICY_SPF_OUTCOME_FAIL;
  }
}

int dkimOutcome(const std::string& r) {
  if (r == "pass") return DMARC_POLICY_DKIM_OUTCOME_PASS;
  if (r == "temperror") return DMARC_POLICY_DKIM_OUTCOME_TMPFAIL;
  return DMARC_POLICY_DKIM_OUTCOME_FAIL;
}

std::string policyName(int p) {
  switch (p) {
    case DMARC_RECORD_P_QUARANTINE: return "quarantine";
    case DMARC_RECORD_P_REJECT: return "reject";
    default: return "none";
  }
}

// RFC 7489 section 6.6.4: a message outside pct gets the next less strict policy.
std::string lessStrict(const std::string& policy) {
  return policy == "reject" ? "quarantine" : "none";
}

// libopendmarc keeps the PSL in global state: read it once per process.
void initLibrary(const std::string& publicSuffixList) {
  static bool done = false;
  if (done) return;
  OPENDMARC_LIB_T lib{};
  // libopendmarc says nothing when it cannot read the list; check first.
  if (!publicSuffixList.empty() && ::access(publicSuffixList.c_str(), R_OK) != 0)
    throw std::runtime_error("cannot read the public suffix list " + publicSuffixList + ": " + std::strerror(errno));
  // Without a list every domain is its own organizational domain.
  lib.tld_type = publicSuffixList.empty() ? OPENDMARC_TLD_TYPE_NONE : OPENDMARC_TLD_TYPE_MOZILLA;
  if (publicSuffixList.size() >= sizeof lib.tld_source_file)
    throw std::runtime_error("public suffix list path too long");
  std::copy(publicSuffixList.begin(), publicSuffixList.end(), lib.tld_source_file);
  if (opendmarc_policy_library_init(&lib) != DMARC_PARSE_OKAY)
    throw std::runtime_error("libopendmarc: cannot read the public suffix list " + publicSuffixList);
  done = true;
}

}  // namespace

DmarcChecker::DmarcChecker(dns::Resolver& resolver, const std::string& publicSuffixList,
                           std::function<int()> random100)
    : resolver_(resolver), random100_(std::move(random100)) {
  initLibrary(publicSuffixList);
  if (!random100_) {
    random100_ = [engine = std::mt19937(std::random_device{}())]() mutable {
      return static_cast<int>(std::uniform_int_distribution<int>(0, 99)(engine));
    };
  }
}

DmarcChecker::~DmarcChecker() = default;

std::string DmarcChecker::organizationalDomain(const std::string& domain) const {
  unsigned char org[256] = {};
  std::string copy = domain;
  if (opendmarc_get_tld(bytes(copy), org, sizeof org) == 0 && org[0] != '\0')
    return util::lower(reinterpret_cast<const char*>(org));
  // No rule of the list matches (a top-level domain it does not know):
  // the list's implicit rule "*" makes the last label the public suffix,
  // which libopendmarc does not apply.
  const auto last = domain.rfind('.');
  if (last == std::string::npos || last == 0) return util::lower(domain);
  const auto before = domain.rfind('.', last - 1);
  return util::lower(before == std::string::npos ? domain : domain.substr(before + 1));
}

DmarcChecker::Lookup DmarcChecker::findRecord(const std::string& domain, std::string* record, std::string* error) {
  const dns::TextResult txt = resolver_.lookupTxt("_dmarc." + domain);
  if (txt.status == dns::Status::TempFail) {
    *error = txt.error;
    return Lookup::TempFail;
  }
  std::vector<std::string> found;
  for (const std::string& v : txt.values)
    if (v.rfind("v=DMARC1", 0) == 0) found.push_back(v);
  // RFC 7489 6.6.3: none, or more than one, is no policy.
  if (found.size() != 1) return Lookup::None;
  *record = found.front();
  return Lookup::Found;
}

DmarcOutcome DmarcChecker::evaluate(const std::string& clientAddress, const std::string& fromDomain,
                                    const SpfOutcome& spf,
                                    const std::vector<DkimSignature>& dkim) {
  DmarcOutcome out;
  out.fromDomain = util::lower(fromDomain);
  if (out.fromDomain.empty()) {
    out.result = "permerror";
    out.comment = "no single author domain";
    return out;
  }
  std::string record, error;
  std::string policyDomain = out.fromDomain;
  Lookup found = findRecord(policyDomain, &record, &error);
  const std::string org = organizationalDomain(out.fromDomain);
  bool atOrganization = false;
  if (found == Lookup::None && org != out.fromDomain) {
    policyDomain = org;
    atOrganization = true;
    found = findRecord(policyDomain, &record, &error);
  }
  if (found == Lookup::TempFail) {
    out.result = "temperror";
    out.comment = error;
    return out;
  }
  if (found == Lookup::None) {
    out.comment = "no DMARC record";
    return out;
  }
  out.policyDomain = policyDomain;
  out.record = record;

  const bool v6 = clientAddress.find(':') != std::string::npos;
  std::string address = clientAddress.empty() ? "0.0.0.0" : clientAddress;
  struct Shutdown {
    void operator()(DMARC_POLICY_T* p) const { opendmarc_policy_connect_shutdown(p); }
  };
  const std::unique_ptr<DMARC_POLICY_T, Shutdown> context(
      opendmarc_policy_connect_init(bytes(address), v6 ? DMARC_POLICY_IP_TYPE_IPV6 : DMARC_POLICY_IP_TYPE_IPV4));
  DMARC_POLICY_T* pctx = context.get();
  if (pctx == nullptr) throw std::runtime_error("libopendmarc: out of memory");
  // The organizational domain is passed only when the record came from
  // it: then libopendmarc applies sp= (a subdomain's policy).
  const int stored = opendmarc_policy_store_dmarc(pctx, bytes(record), bytes(out.fromDomain),
                                                  atOrganization ? bytes(org) : nullptr);
  if (stored != DMARC_PARSE_OKAY) {
    out.result = "permerror";
    out.comment = "unusable DMARC record at _dmarc." + policyDomain;
    return out;
  }
  if (!spf.domain.empty()) {
    const std::string spfDomain = util::lower(spf.domain);
    opendmarc_policy_store_spf(pctx, bytes(spfDomain), spfOutcome(spf.result),
                               spf.identity == "helo" ? DMARC_POLICY_SPF_ORIGIN_HELO : DMARC_POLICY_SPF_ORIGIN_MAILFROM,
                               nullptr);
  }
  for (const DkimSignature& sig : dkim) {
    const std::string dkimDomain = util::lower(sig.domain);
    opendmarc_policy_store_dkim(pctx, bytes(dkimDomain), bytes(sig.selector), dkimOutcome(sig.result), nullptr);
  }
  const int decision = opendmarc_get_policy_to_enforce(pctx);
  int dkimAlignment = 0, spfAlignment = 0, pct = 100, p = 0, sp = 0;
  opendmarc_policy_fetch_alignment(pctx, &dkimAlignment, &spfAlignment);
  opendmarc_policy_fetch_pct(pctx, &pct);
  opendmarc_policy_fetch_p(pctx, &p);
  opendmarc_policy_fetch_sp(pctx, &sp);

  out.dkimAligned = dkimAlignment == DMARC_POLICY_DKIM_ALIGNMENT_PASS;
  out.spfAligned = spfAlignment == DMARC_POLICY_SPF_ALIGNMENT_PASS;
  out.pct = pct;
  out.policy = policyName(atOrganization && sp != 0 ? sp : p);
  switch (decision) {
    case DMARC_POLICY_PASS:
      out.result = "pass";
      out.comment = out.dkimAligned ? "aligned DKIM" : "aligned SPF";
      return out;
    case DMARC_POLICY_REJECT:
    case DMARC_POLICY_QUARANTINE:
    case DMARC_POLICY_NONE:
      break;
    default:
      out.result = "none";
      out.comment = "no DMARC policy";
      return out;
  }
  out.result = "fail";
  out.comment = "neither SPF nor DKIM aligned";
  out.disposition = out.policy;
  if (out.policy != "none" && random100_() >= out.pct) out.disposition = lessStrict(out.policy);
  return out;
}

}  // namespace posthorn::mailauth
