// restriction_list - smtpd's restriction lists (smtpd_client_restrictions
// ... smtpd_end_of_data_restrictions), parsed, and the open-relay check
//
// A list is Postfix's: names separated by commas or white space, evaluated
// in order; some names take the next word as their argument
// ("check_client_access hash:/etc/mail/access", "reject_rbl_client
// zen.example=127.0.0.2", "check_policy_service inet:127.0.0.1:10023").
// Parsing knows every name smtpd implements (restrictionNames()); an
// unknown name or a missing argument is a config::ConfigError naming the
// parameter, its file and line, as Postfix refuses to start on them.
//
// openRelayProblem() is Postfix's own check: smtpd_relay_restrictions or
// smtpd_recipient_restrictions must hold reject_unauth_destination,
// defer_unauth_destination, reject, defer or defer_if_permit before any
// `permit`, or any client could relay anywhere.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/config/config.h"

namespace posthorn::access {

struct Restriction {
  std::string name;  // lower case: "permit_mynetworks"
  std::string arg;   // the table, DNS list or policy service; "" for none
  bool operator==(const Restriction&) const = default;
};
using RestrictionList = std::vector<Restriction>;

// The restriction lists of smtpd, in the order Postfix evaluates them.
inline constexpr std::string_view kRestrictionParams[] = {
    "smtpd_client_restrictions",    "smtpd_helo_restrictions",     "smtpd_sender_restrictions",
    "smtpd_relay_restrictions",     "smtpd_recipient_restrictions", "smtpd_data_restrictions",
    "smtpd_end_of_data_restrictions"};

// Whether `name` is a restriction smtpd knows, and whether it takes an argument.
bool knownRestriction(std::string_view name, bool* takesArg = nullptr);

// The words of a list (config::Config::getList), `where` naming it in
// errors ("posthorn.conf:7: smtpd_client_restrictions"). Throws
// config::ConfigError.
RestrictionList parseRestrictions(const std::vector<std::string>& words, std::string_view where);
// The parameter `param` of cfg. Throws config::ConfigError.
RestrictionList parseRestrictions(const config::Config& cfg, std::string_view param);

// The words of a list of tables that may take in restriction lists
// (proxy_read_maps = ... $smtpd_client_restrictions ...), without the
// server named after each check_policy_service ("inet:127.0.0.1:10023" is
// no table). The other words are kept: callers take the "type:name" ones.
std::vector<std::string> withoutPolicyServers(const std::vector<std::string>& words);

// A DNS list's reply filter, Postfix's "zen.example=127.0.0.[2..11]":
// four octets, each a number, a range [n..m] or a list [n;m;k] whose
// elements may be ranges ([2;4..6]). rblFilterValid() says whether
// `filter` (the part after '=') is one; rblFilterMatches() whether an A
// record `address` matches it (an invalid filter matches nothing).
bool rblFilterValid(std::string_view filter);
bool rblFilterMatches(std::string_view filter, std::string_view address);

// nullopt when the relay and recipient restrictions refuse unauthorised
// destinations; otherwise the complaint, naming both parameters' origins
// and values. Throws config::ConfigError for a list that does not parse.
std::optional<std::string> openRelayProblem(const config::Config& cfg);

}  // namespace posthorn::access
