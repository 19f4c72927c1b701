// pop3_command - splitting a POP3 command line into a keyword and arguments
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace posthorn::popd {

struct Pop3Command {
  std::string keyword;            // upper case
  std::vector<std::string> args;  // split on single spaces
  std::string rest;               // everything after "KEYWORD " (PASS takes it whole)
};

// A line "KEYWORD [args]"; nullopt when the keyword is empty, longer than
// 4 characters or not alphabetic (RFC 2449: keywords are 3-4 characters).
std::optional<Pop3Command> parseCommand(std::string_view line);

// A message number: decimal digits only, 1..count; nullopt otherwise.
std::optional<std::size_t> parseMessageNumber(std::string_view text, std::size_t count);
// A non-negative line count for TOP (digits only, capped at 2^32).
std::optional<std::uint64_t> parseCount(std::string_view text);

}  // namespace posthorn::popd
