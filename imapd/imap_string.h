// imap_string - how imapd writes strings in responses (RFC 3501 section 4.3)
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace posthorn::imapd {

// A quoted string when every byte allows it (no CR, LF, NUL or 8-bit and
// not too long), else a literal "{N}\r\n<bytes>".
std::string imapString(std::string_view s);
// NIL for nullopt, else imapString.
std::string imapNString(const std::optional<std::string>& s);
// An astring (mailbox names in LIST): an atom when it is one, else as imapString.
std::string imapAString(std::string_view s);
// Appends a literal "{N}\r\n" header and the bytes.
void appendLiteral(std::string& out, std::string_view bytes);
// Appends " field" for each field (in IMAP form already): what follows the
// first field of a list.
void appendFields(std::string& out, std::initializer_list<std::string_view> fields);
// "(field field ...)".
std::string imapList(std::initializer_list<std::string_view> fields);

}  // namespace posthorn::imapd
