// mailbox_name - IMAP mailbox names: modified UTF-7 (RFC 3501 5.1.3) and
// the check that keeps a name inside the user's Maildir++ tree, and the hierarchy
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace posthorn::imapd {

// The hierarchy separator, as lib/mailbox/maildir_store.h lays folders out.
inline constexpr char kHierarchySeparator = '.';

// Modified UTF-7 to UTF-8, strictly: printable ASCII stands for itself,
// "&-" is '&', "&...-" is modified BASE64 of UTF-16BE. nullopt (and why)
// for 8-bit or control bytes, an unclosed '&', bad BASE64, non-zero pad
// bits, an odd byte count, unpaired surrogates, printable ASCII or
// adjacent runs encoded in BASE64 (non-canonical forms).
std::optional<std::string> decodeModifiedUtf7(std::string_view in, std::string* why = nullptr);

// UTF-8 to modified UTF-7 (canonical); nullopt for invalid UTF-8 (overlong
// forms, surrogates, truncated sequences, above U+10FFFF).
std::optional<std::string> encodeModifiedUtf7(std::string_view utf8);

// Empty when name (as the client sent it, modified UTF-7) may name a
// folder; else why not: empty, too long, '/', a leading '~', an empty
// level ("a..b", leading or trailing '.'), control or 8-bit bytes,
// wildcards '*' '%', or invalid modified UTF-7.
std::string checkMailboxName(std::string_view name);

// Whether name is a folder below parent ("a.b" and "a.b.c" are below "a").
bool isBelowFolder(std::string_view name, std::string_view parent);
// Whether any of folders is below name.
bool hasChildFolder(const std::vector<std::string>& folders, std::string_view name);

}  // namespace posthorn::imapd
