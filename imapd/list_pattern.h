// list_pattern - LIST/LSUB's reference and mailbox pattern (RFC 3501 6.3.8)
#pragma once

#include <string>
#include <string_view>

namespace posthorn::imapd {

// The pattern LIST matches against full names: reference and pattern
// joined (the reference is a prefix; a trailing separator is kept).
std::string listPattern(std::string_view reference, std::string_view pattern);
// '*' matches anything, '%' anything but the hierarchy separator; INBOX
// (alone or as the first level) matches case-insensitively.
bool listMatches(std::string_view name, std::string_view pattern);

}  // namespace posthorn::imapd
