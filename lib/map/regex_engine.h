// regex_engine - the two regular expression libraries behind regexp: and
// pcre: tables
//
// regexp: uses POSIX regular expressions (<regex.h>, regcomp(3)); pcre:
// uses PCRE2 (libpcre2-8). Both take Postfix's flags after the closing
// delimiter, each of which toggles an option:
//   regexp:  i case-insensitive (on by default), x extended syntax (on by
//            default; off means basic regular expressions), m multi-line
//            (REG_NEWLINE: ^ and $ match at newlines, . does not match one)
//   pcre:    i case-insensitive (on by default), m multi-line, s dot matches
//            newline, x extended (white space and # comments in the pattern),
//            A anchored, E dollar matches only at the end, U ungreedy,
//            X ignored (PCRE1's "extra", always on in PCRE2)
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace posthorn::map {

enum class RegexDialect { Posix, Pcre };

class CompiledRegex {
 public:
  virtual ~CompiledRegex() = default;
  // Whether text matches; on a match, *groups (when given) holds the whole
  // match and each subexpression's text ("" for one that took no part).
  // A matching failure other than "no match" (PCRE2's match limit, for
  // example) throws MapError.
  virtual bool match(std::string_view text, std::vector<std::string>* groups) const = 0;
  // The number of parenthesised subexpressions ($1 .. $n may be used).
  virtual int subexpressions() const = 0;
};

// Compiles pattern with flags; on failure returns nullptr and sets *error
// to the library's explanation, or to "unknown flag 'q'".
std::unique_ptr<CompiledRegex> compileRegex(RegexDialect dialect, const std::string& pattern,
                                            std::string_view flags, std::string* error);

}  // namespace posthorn::map
