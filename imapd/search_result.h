// search_result - the untagged answers to SEARCH: "* SEARCH 2 5" (with
// CONDSTORE's "(MODSEQ n)") and ESEARCH (RFC 4731) for SEARCH RETURN (...),
// and what SEARCHRES (RFC 5182) saves.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imapd/search_parser.h"

namespace posthorn::imapd {

// Ascending numbers as a compact sequence set: {1,2,3,5} -> "1:3,5"; "" for none.
std::string compactSequenceSet(const std::vector<std::uint32_t>& ascending);

// "* SEARCH 2 5\r\n"; with a modseq (a MODSEQ key was used and something
// matched: the highest modseq of the matches) "* SEARCH 2 5 (MODSEQ 9)\r\n".
std::string searchResponse(const std::vector<std::uint32_t>& ascending, std::optional<std::uint64_t> modseq = {});

// "* ESEARCH (TAG "A1") UID MIN 2 MAX 5 COUNT 2 ALL 2,5 MODSEQ 9\r\n":
// MIN, MAX and ALL left out when nothing matched, COUNT always when asked.
// Empty when the only option is SAVE (RFC 5182: no ESEARCH then).
std::string esearchResponse(std::string_view tag, bool uid, const SearchReturn& options,
                            const std::vector<std::uint32_t>& ascending, std::optional<std::uint64_t> modseq = {});

// What RETURN (SAVE ...) keeps (the caller stores them as UIDs): MIN and/or
// MAX alone when given with SAVE, else every match.
std::vector<std::uint32_t> savedResult(const SearchReturn& options, const std::vector<std::uint32_t>& ascending);

}  // namespace posthorn::imapd
