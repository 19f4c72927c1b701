// rule_list - if/endif nesting of pattern tables (see rule_list.h)
#include "lib/map/rule_list.h"

#include "lib/map/map_source.h"
#include "lib/util/ascii.h"

namespace posthorn::map {

namespace {

bool isBlank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

RuleLine classifyRuleLine(std::string_view text) {
  if (text.size() > 2 && util::lower(text.substr(0, 2)) == "if" && isBlank(text[2])) {
    std::size_t i = 2;
    while (i < text.size() && isBlank(text[i])) ++i;
    return {RuleLine::Kind::If, text.substr(i)};
  }
  if (util::lower(text) == "endif") return {RuleLine::Kind::Endif, text};
  return {RuleLine::Kind::Rule, text};
}

void RuleList::addRule(bool negate, std::string result, int line) {
  rules_.push_back(Rule{false, negate, std::move(result), line, 0});
}

void RuleList::addIf(bool negate, int line) {
  open_.push_back(rules_.size());
  rules_.push_back(Rule{true, negate, {}, line, 0});
}

void RuleList::endIf(const util::LogicalLine& l) {
  if (open_.empty()) syntaxError(file_, l.line, "endif without a matching if", l.text);
  rules_[open_.back()].skipTo = rules_.size();
  open_.pop_back();
}

void RuleList::finish() {
  if (open_.empty()) return;
  const Rule& r = rules_[open_.back()];
  syntaxError(file_, r.line, "if without a matching endif", "if");
}

}  // namespace posthorn::map
