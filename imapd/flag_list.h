// flag_list - IMAP flag lists in STORE and APPEND, system flags by name
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imapd/imap_command.h"
#include "lib/mailbox/maildir_flags.h"

namespace posthorn::imapd {

// "(\Seen $Forwarded)" or the flags as separate atoms (STORE allows
// both). nullopt with *error for an unknown system flag (\Recent too: it
// cannot be stored, RFC 3501 flag grammar) or a bad keyword.
std::optional<mailbox::MessageFlags> parseFlagList(const std::vector<ImapValue>& values, std::string* error);

// The system flag a name stands for ("\\Seen", any case), nullopt for
// anything else, \\Recent too (STORE, APPEND, SEARCH KEYWORD).
std::optional<mailbox::SystemFlag> parseSystemFlag(std::string_view name);

}  // namespace posthorn::imapd
