// smtpd_access - access(5) tables: what a value means, which keys are tried
//
// An access table's value, and a policy service's action=, is one of
// access(5)'s actions: OK (or all digits), DUNNO, REJECT [text],
// DEFER [text], DEFER_IF_PERMIT text, DEFER_IF_REJECT text, 4NN text,
// 5NN text, HOLD text, DISCARD text, PREPEND header, REDIRECT address,
// WARN text, INFO text, FILTER transport:dest, BCC address, or a list of
// restrictions (permit_mynetworks, reject_unauth_destination, ...).
// Text may begin with an enhanced status code ("5.7.1 go away").
//
// Keys, in access(5)'s order (parent_domain_matches_subdomains holds
// smtpd_access_maps in Postfix's default, so a bare domain matches its
// subdomains):
//   address   user@sub.example.com, sub.example.com, example.com, com,
//             user@  (the null sender: smtpd_null_access_lookup_key)
//   client    host.example.com, example.com, com, then 192.0.2.7,
//             192.0.2, 192.0, 192 (IPv6: 2001:db8::7 then 2001:db8:0:0:0:0:0,
//             ... down to 2001)
//   helo      the name, then its parent domains
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace posthorn::smtpd {

struct AccessAction {
  enum class Kind {
    Ok, Dunno, Reject, Defer, DeferIfPermit, DeferIfReject, Hold, Discard, Prepend, Redirect,
    Warn, Info, Filter, Bcc, Restrictions,
    Invalid  // not an action: the table is misconfigured (a temporary failure)
  };
  Kind kind = Kind::Invalid;
  int code = 0;          // Reject/Defer(If*): the numeric code when one was given ("450 text")
  std::string enhanced;  // "4.7.1" when the text began with one
  std::string text;      // the rest: reply text, header, address, restrictions
};

// Parses one value (leading and trailing white space ignored).
AccessAction parseAccessAction(std::string_view value);

// The keys of an envelope address ("" = the null sender, looked up as nullKey).
std::vector<std::string> addressAccessKeys(std::string_view address, std::string_view nullKey);
// The keys of a domain name: itself, then each parent domain.
std::vector<std::string> domainAccessKeys(std::string_view domain);
// The keys of a client: its verified name's domain keys (not "unknown"),
// then its address and the address's shorter network prefixes.
std::vector<std::string> clientAccessKeys(std::string_view name, std::string_view address);

}  // namespace posthorn::smtpd
