// rule_list - the ordered rules of cidr:, regexp: and pcre: tables
//
// These tables are lists of "pattern result" rules, searched in order; the
// first rule whose pattern matches the key gives the result (first match
// wins). As in Postfix, a pattern may be negated with `!`, and rules may
// be grouped:
//
//   if PATTERN          (or: if !PATTERN)
//   ...rules tried only when the key matches (does not match) PATTERN...
//   endif
//
// `if`/`endif` nest. RuleList is the structure; each table type parses its
// own patterns and passes one test per rule to firstMatch().
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/util/logical_lines.h"

namespace posthorn::map {

struct Rule {
  bool isIf = false;
  bool negate = false;
  std::string result;   // empty for an `if`
  int line = 0;
  std::size_t skipTo = 0;  // an `if` that fails continues here (after its endif)
};

// A logical line of a rule file, split: "if PATTERN", "endif" or "PATTERN result".
struct RuleLine {
  enum class Kind { Rule, If, Endif } kind = Kind::Rule;
  std::string_view text;  // the pattern and result ("if " removed)
};
RuleLine classifyRuleLine(std::string_view text);

class RuleList {
 public:
  explicit RuleList(std::string file) : file_(std::move(file)) {}

  // Each pattern the table type parsed is added with the line it came from.
  void addRule(bool negate, std::string result, int line);
  void addIf(bool negate, int line);
  // MapError FILE:LINE when there is no open `if`.
  void endIf(const util::LogicalLine& l);
  // MapError FILE:LINE for an `if` without its endif.
  void finish();

  const std::vector<Rule>& rules() const { return rules_; }
  std::size_t size() const { return rules_.size(); }

  // The index of the first rule that matches, where test(i) says whether
  // rule i's pattern (before `!`) matches the key; nullopt when none does.
  // After a match, the last test(i) call was for the returned rule.
  template <class Test>
  std::optional<std::size_t> firstMatch(Test&& test) const {
    std::size_t i = 0;
    while (i < rules_.size()) {
      const Rule& r = rules_[i];
      const bool matched = test(i) != r.negate;
      if (r.isIf) {
        i = matched ? i + 1 : r.skipTo;
        continue;
      }
      if (matched) return i;
      ++i;
    }
    return std::nullopt;
  }

 private:
  std::string file_;
  std::vector<Rule> rules_;
  std::vector<std::size_t> open_;  // indexes of the open ifs
};

}  // namespace posthorn::map
