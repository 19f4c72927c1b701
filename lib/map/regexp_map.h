// regexp_map - `regexp:` and `pcre:` tables, as in Postfix's regexp_table(5)
// and pcre_table(5)
//
//   # Disallow sender-specified routing.
//   /[%!@].*[%!@]/        550 Sender-specified routing rejected
//   /^postmaster@/        OK
//   if !/^owner-/
//   /^(.*)-outgoing@(.*)$/   550 Use ${1}@${2} instead
//   endif
//
// Each rule is "/pattern/flags result" (any character that is not white
// space may stand for the `/` delimiter; a backslash escapes it), "!/pattern/
// flags result" (the rule matches when the pattern does not), or an
// `if`/`endif` group (rule_list.h). The first matching rule wins; its
// result may use $1 .. $9 or ${1} .. ${9} for the text of subexpressions
// (an unset one is empty) and $$ for a `$`. A result on continuation lines
// is joined with single spaces.
//
// regexp: compiles patterns as POSIX regular expressions, pcre: with PCRE2;
// flags and their defaults are in regex_engine.h (both case-insensitive by
// default). Keys are matched as given, never folded to lower case.
//
// The file is read when the table is opened; a bad pattern, an unknown flag,
// a missing result, a $n beyond the pattern's subexpressions, $n in a
// negated rule, or an unbalanced if/endif throws MapError "FILE:LINE: ...".
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/map/lookup_table.h"
#include "lib/map/regex_engine.h"
#include "lib/map/rule_list.h"

namespace posthorn::map {

class RegexpMap : public LookupTable {
 public:
  // Reads and parses PATH; MapError when it cannot.
  RegexpMap(RegexDialect dialect, const std::string& path);
  // Parses text as if it were the file `file`.
  RegexpMap(RegexDialect dialect, std::string_view text, const std::string& file);
  ~RegexpMap() override;

  std::optional<std::string> lookup(std::string_view key) override;
  std::string spec() const override;

 private:
  void parse(std::string_view text);

  RegexDialect dialect_;
  std::string file_;
  RuleList rules_;
  std::vector<std::unique_ptr<CompiledRegex>> patterns_;  // one per rule
};

}  // namespace posthorn::map
