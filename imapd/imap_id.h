// imap_id - the ID command (RFC 2971), which both of imapd's stages answer
#pragma once

#include <optional>
#include <string>

#include "imapd/imap_command.h"
#include "lib/login/client_output.h"

namespace posthorn::imapd {

// The BAD text for an ID whose argument is not one list or NIL.
inline constexpr char kIdSyntax[] = "Syntax: ID (\"name\" \"value\" ...) or ID NIL";

// Answers ID (the server's ID, then the tagged OK) and returns what the
// client said, "name=x version=y" for the log ("" for NIL or an empty
// list); nullopt, with nothing written, when the argument is wrong.
std::optional<std::string> answerId(net::ClientOutput& out, const ImapCommand& c);

}  // namespace posthorn::imapd
