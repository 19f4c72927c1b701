// imap_address - an RFC 5322 address-list header value as an IMAP address list
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace posthorn::imapd {

// One ENVELOPE address (RFC 3501 7.4.2): a mailbox has name/adl/mailbox/host;
// a group start has only mailbox (the group name); a group end has nothing.
struct ImapAddress {
  std::optional<std::string> name;
  std::optional<std::string> adl;      // source route "@a,@b"
  std::optional<std::string> mailbox;  // local part, or the group name
  std::optional<std::string> host;     // NIL marks group syntax
};

// Parses an address-list leniently: display names (quoted, with encoded
// words left as written), comments as names when there is no display name,
// source routes, groups (an unterminated group is closed at the end);
// a mailbox without '@' gets host "MISSING_DOMAIN" (so it is not mistaken for
// group syntax), an empty "<>" or a lone quoted phrase mailbox
// "MISSING_MAILBOX" (as Dovecot); empty list elements are skipped.
// Never fails; garbage gives what can be read out of it.
std::vector<ImapAddress> parseAddressList(std::string_view value);

// "((name adl mailbox host)(...))", or NIL when there are no addresses.
std::string imapAddressList(std::string_view value);

}  // namespace posthorn::imapd
