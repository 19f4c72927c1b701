// restriction_list - smtpd's restriction lists, parsed; the open-relay check
#include "lib/access/restriction_list.h"

#include <algorithm>
#include <array>

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

// A decimal octet, 0..255.
bool octetNumber(std::string_view t, int* out) {
  if (t.empty() || t.size() > 3) return false;
  int n = 0;
  for (char c : t) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  if (n > 255) return false;
  *out = n;
  return true;
}

// Whether one octet's pattern ("2", "[2..11]", "[2;4;9]", "[2;4..6]")
// holds `value`; nullopt when the pattern is malformed.
std::optional<bool> octetMatches(std::string_view pat, int value) {
  int n = 0;
  if (octetNumber(pat, &n)) return n == value;
  if (pat.size() < 3 || pat.front() != '[' || pat.back() != ']') return std::nullopt;
  std::string_view inner = pat.substr(1, pat.size() - 2);
  bool match = false;
  while (true) {
    const std::size_t semi = inner.find(';');
    const std::string_view elem = inner.substr(0, semi);
    const std::size_t dots = elem.find("..");
    int lo = 0, hi = 0;
    if (dots == std::string_view::npos) {
      if (!octetNumber(elem, &lo)) return std::nullopt;
      hi = lo;
    } else if (!octetNumber(elem.substr(0, dots), &lo) || !octetNumber(elem.substr(dots + 2), &hi) || lo > hi) {
      return std::nullopt;
    }
    if (value >= lo && value <= hi) match = true;
    if (semi == std::string_view::npos) break;
    inner.remove_prefix(semi + 1);
  }
  return match;
}

// The four octet patterns of a filter (a range's ".." stays inside its
// brackets); false for fewer than four.
bool splitOctets(std::string_view s, std::array<std::string_view, 4>& out) {
  for (std::size_t i = 0; i < 4; ++i) {
    std::size_t from = 0;
    if (!s.empty() && s.front() == '[') {
      from = s.find(']');
      if (from == std::string_view::npos) return false;
    }
    const std::size_t end = i < 3 ? s.find('.', from) : s.size();
    if (end == std::string_view::npos) return false;
    out[i] = s.substr(0, end);
    if (i < 3) s.remove_prefix(end + 1);
  }
  return true;  // a fifth octet stays in out[3] and fails to parse there
}

std::string describeParam(const config::Config& cfg, std::string_view param) {
  return cfg.origin(param).describe() + ": " + std::string(param) + " = \"" + cfg.get(param) + "\"";
}

}  // namespace

std::vector<std::string> withoutPolicyServers(const std::vector<std::string>& words) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    out.push_back(words[i]);
    if (util::lower(words[i]) == "check_policy_service") ++i;
  }
  return out;
}

bool rblFilterValid(std::string_view filter) {
  std::array<std::string_view, 4> pats;
  if (!splitOctets(filter, pats)) return false;
  return std::all_of(pats.begin(), pats.end(), [](std::string_view p) { return octetMatches(p, 0).has_value(); });
}

bool rblFilterMatches(std::string_view filter, std::string_view address) {
  std::array<std::string_view, 4> pats, octets;
  if (!splitOctets(filter, pats) || !splitOctets(address, octets)) return false;
  for (std::size_t i = 0; i < 4; ++i) {
    int value = 0;
    if (!octetNumber(octets[i], &value)) return false;
    if (octetMatches(pats[i], value) != std::optional<bool>(true)) return false;
  }
  return true;
}

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
      const std::size_t eq = r.arg.find('=');
      if ((r.name == "reject_rbl_client" || r.name.starts_with("reject_rhsbl_")) && eq != std::string::npos &&
          !rblFilterValid(std::string_view(r.arg).substr(eq + 1))) {
        throw config::ConfigError(std::string(where) + ": " + r.name + " " + r.arg +
                                  ": bad reply filter (want d.d.d.d, each d a number, [n..m] or [n;m;...])");
      }
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
