// ascii - case of protocol words: SMTP verbs and ESMTP keywords, IMAP atoms,
// POP3 commands, SASL mechanisms, header names, domains, parameter words
//
// ASCII only, on purpose: the protocols define their keywords as ASCII and
// compare them without case, while bytes above 0x7f (UTF-8 local parts,
// folder names) must pass through untouched whatever the locale says.
#pragma once

#include <string>
#include <string_view>

namespace posthorn::util {

constexpr char asciiUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
constexpr char asciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string upper(std::string_view s);
std::string lower(std::string_view s);
void upperInPlace(std::string& s);
void lowerInPlace(std::string& s);

bool equalsIgnoreCase(std::string_view a, std::string_view b);
bool startsWithIgnoreCase(std::string_view s, std::string_view prefix);

}  // namespace posthorn::util
