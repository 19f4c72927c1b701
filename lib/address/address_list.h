// address_list - the addresses of an RFC 5322 address-list header value
// (cleanup's To:/Cc:/Bcc: for sendmail -t, DMARC's From)
//
//   parseAddressList("Jane <jane@example.com>, bob (Bob), list: a@x, b@y;")
//     == {"jane@example.com", "bob", "a@x", "b@y"}
//
// RFC 5322 address lists, leniently: display names, comments (nested),
// quoted strings, groups (an empty group such as "undisclosed-recipients:;"
// yields nothing), obsolete source routes ("<@relay:user@host>" gives
// "user@host"). A quoted local part comes back in internal form, without
// its quotes ("\"john doe\"@x" gives "john doe@x"), as envelope addresses
// are kept. Malformed input never throws: what can be made out is
// returned, the rest is skipped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace posthorn::address {

std::vector<std::string> parseAddressList(std::string_view value);

// "user" -> "user@origin"; anything with an '@' is returned as it is.
std::string qualifyAddress(std::string_view address, std::string_view origin);

}  // namespace posthorn::address
