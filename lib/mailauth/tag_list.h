// tag_list - the "tag=value; tag=value" lists of the mail authentication
// records in the DNS: DKIM keys (RFC 6376 3.2), DMARC (RFC 7489 6.4),
// MTA-STS (RFC 8461 3.1), TLS-RPT (RFC 8460 3)
//
//   tagValue("v=DMARC1; p = reject; rua=mailto:d@example.org", "p") == "reject"
//
// Tag names compare without case; white space around a tag and its value
// is dropped (inside a value it stays: a caller that reads folded base64,
// such as a DKIM key, removes it). The first occurrence wins; "" when the
// tag is absent.
#pragma once

#include <string>
#include <string_view>

namespace posthorn::mailauth {

std::string tagValue(std::string_view list, std::string_view tag);

}  // namespace posthorn::mailauth
