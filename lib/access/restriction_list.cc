// restriction_list - smtpd's restriction lists, parsed; the open-relay check
#include "lib/access/restriction_list.h"

#include <algorithm>

#include "lib/util/ascii.h"

namespace posthorn::access {

namespace {

struct Known {
  std::string_view name;
  bool arg;
};

// Every restriction smtpd implements (smtpd/smtpd_restrictions.cc).
constexpr Known kKnown[] = {
    {"permit", false},
    {"reject", false},
    {"defer", false},
    {"defer_if_permit", false},
    {"defer_if_reject", false},
    {"permit_mynetworks", false},
    {"permit_sasl_authenticated", false},
    {"permit_auth_destination", false},
    {"reject_unauth_destination", false},
    {"defer_unauth_destination", false},
    {"reject_unlisted_recipient", false},
    {"reject_unauth_pipelining", false},
    {"reject_unknown_sender_domain", false},
    {"reject_unknown_recipient_domain", false},
    {"reject_non_fqdn_sender", false},
    {"reject_non_fqdn_recipient", false},
    {"reject_non_fqdn_helo_hostname", false},
    {"reject_invalid_helo_hostname", false},
    {"reject_unknown_helo_hostname", false},
    {"reject_unknown_client_hostname", false},
    {"reject_unknown_reverse_client_hostname", false},
    {"reject_rbl_client", true},
    {"reject_rhsbl_client", true},
    {"reject_rhsbl_sender", true},
    {"reject_rhsbl_helo", true},
    {"reject_rhsbl_reverse_client", true},
    {"reject_rhsbl_recipient", true},
    {"check_client_access", true},
    {"check_helo_access", true},
    {"check_sender_access", true},
    {"check_recipient_access", true},
    {"check_policy_service", true},
};

// Postfix's smtpd_check.c: the entries that keep a list from relaying for anyone.
constexpr std::string_view kRelayRequired[] = {"reject_unauth_destination", "defer_unauth_destination",
                                               "reject", "defer", "defer_if_permit",
                                               "check_relay_domains"};

bool hasRequired(const RestrictionList& list) {
  for (const Restriction& r : list) {
    if (r.name == "permit") return false;
    if (std::find(std::begin(kRelayRequired), std::end(kRelayRequired), r.name) != std::end(kRelayRequired))
      return true;
  }
  return false;
}

std::string describeParam(const config::Config& cfg, std::string_view param) {
  return cfg.origin(param).describe() + ": " + std::string(param) + " = \"" + cfg.get(param) + "\"";
}

}  // namespace

bool knownRestriction(std::string_view name, bool* takesArg) {
  for (const Known& k : kKnown) {
    if (k.name == name) {
      if (takesArg) *takesArg = k.arg;
      return true;
    }
  }
  return false;
}

RestrictionList parseRestrictions(const std::vector<std::string>& words, std::string_view where) {
  RestrictionList out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    Restriction r;
    r.name = util::lower(words[i]);
    bool takesArg = false;
    if (!knownRestriction(r.name, &takesArg)) {
      throw config::ConfigError(std::string(where) + ": unknown restriction \"" + words[i] + "\"");
    }
    if (takesArg) {
      if (i + 1 >= words.size() || knownRestriction(util::lower(words[i + 1]))) {
        throw config::ConfigError(std::string(where) + ": restriction " + r.name +
                                  " needs an argument");
      }
      r.arg = words[++i];
    }
    out.push_back(std::move(r));
  }
  return out;
}

RestrictionList parseRestrictions(const config::Config& cfg, std::string_view param) {
  const std::string where = cfg.origin(param).describe() + ": " + std::string(param);
  return parseRestrictions(cfg.getList(param), where);
}

std::optional<std::string> openRelayProblem(const config::Config& cfg) {
  if (hasRequired(parseRestrictions(cfg, "smtpd_relay_restrictions")) ||
      hasRequired(parseRestrictions(cfg, "smtpd_recipient_restrictions")))
    return std::nullopt;
  return describeParam(cfg, "smtpd_relay_restrictions") + "; " +
         describeParam(cfg, "smtpd_recipient_restrictions") +
         ": in parameter smtpd_relay_restrictions or smtpd_recipient_restrictions, specify at "
         "least one working instance of: reject_unauth_destination, defer_unauth_destination, "
         "reject, defer, defer_if_permit or check_relay_domains (else this server is an open relay)";
}

}  // namespace posthorn::access
