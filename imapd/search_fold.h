// search_fold - case folding for SEARCH's case-insensitive substring match:
// ASCII plus simple Unicode folding of Latin-1 Supplement, Latin Extended-A,
// Greek and Cyrillic letters in UTF-8 (bytes that are not valid UTF-8 pass
// through unchanged).
#pragma once

#include <string>
#include <string_view>

namespace posthorn::imapd {

// The folded (lower-case) form of one code point; others map to themselves.
char32_t foldCodePoint(char32_t c);
// The folded form of a UTF-8 string.
std::string foldCase(std::string_view utf8);
// Whether folded needle occurs in folded haystack (both already folded).
bool containsFolded(std::string_view haystack, std::string_view needle);

}  // namespace posthorn::imapd
