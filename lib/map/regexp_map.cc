// regexp_map - regexp: and pcre: tables (see regexp_map.h)
#include "lib/map/regexp_map.h"

#include "lib/map/map_source.h"

namespace posthorn::map {

namespace {

bool isBlank(char c) { return c == ' ' || c == '\t'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

struct ParsedPattern {
  bool negate = false;
  std::string pattern;
  std::string_view flags;
  std::string_view rest;  // after the flags, leading white space dropped
};

// "!/pattern/flags rest" -> its parts; throws FILE:LINE for a bad one.
ParsedPattern splitPattern(std::string_view text, const std::string& file,
                           const util::LogicalLine& l) {
  ParsedPattern p;
  std::size_t i = 0;
  if (i < text.size() && text[i] == '!') {
    p.negate = true;
    ++i;
  }
  if (i >= text.size() || isBlank(text[i])) {
    syntaxError(file, l.line, "expected /pattern/ at the start of the rule", l.text);
  }
  const char delimiter = text[i++];
  const std::size_t start = i;
  for (; i < text.size() && text[i] != delimiter; ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) ++i;
  }
  if (i >= text.size()) {
    syntaxError(file, l.line, std::string("no closing '") + delimiter + "' after the pattern",
                l.text);
  }
  p.pattern = std::string(text.substr(start, i - start));
  const std::size_t flagsStart = ++i;
  while (i < text.size() && !isBlank(text[i])) ++i;
  p.flags = text.substr(flagsStart, i - flagsStart);
  while (i < text.size() && isBlank(text[i])) ++i;
  p.rest = text.substr(i);
  return p;
}

// Calls use(n) for each $n / ${n} in result and returns the text with each
// replaced by group(n); $$ is a '$'. Returns nullopt and *error on bad syntax.
template <class Group>
std::optional<std::string> substitute(std::string_view result, Group&& group, std::string* error) {
  std::string out;
  for (std::size_t i = 0; i < result.size(); ++i) {
    if (result[i] != '$') {
      out += result[i];
      continue;
    }
    if (i + 1 < result.size() && result[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    const bool braced = j < result.size() && (result[j] == '{' || result[j] == '(');
    if (braced) ++j;
    const std::size_t digits = j;
    while (j < result.size() && isDigit(result[j])) ++j;
    if (j == digits) {
      *error = "'$' not followed by a number (write $$ for a '$')";
      return std::nullopt;
    }
    const int n = std::stoi(std::string(result.substr(digits, std::min<std::size_t>(j - digits, 3))));
    if (braced) {
      if (j >= result.size() || (result[j] != '}' && result[j] != ')')) {
        *error = "unterminated ${number}";
        return std::nullopt;
      }
      ++j;
    }
    if (!group(n, out, error)) return std::nullopt;
    i = j - 1;
  }
  return out;
}

}  // namespace

RegexpMap::RegexpMap(RegexDialect dialect, const std::string& path)
    : dialect_(dialect), file_(path), rules_(path) {
  parse(readSourceText(path));
}

RegexpMap::RegexpMap(RegexDialect dialect, std::string_view text, const std::string& file)
    : dialect_(dialect), file_(file), rules_(file) {
  parse(text);
}

RegexpMap::~RegexpMap() = default;

std::string RegexpMap::spec() const {
  return (dialect_ == RegexDialect::Pcre ? "pcre:" : "regexp:") + file_;
}

void RegexpMap::parse(std::string_view text) {
  for (const util::LogicalLine& l : sourceLines(text, file_)) {
    RuleLine rl = classifyRuleLine(l.text);
    if (rl.kind == RuleLine::Kind::Endif) {
      rules_.endIf(l);
      continue;
    }
    ParsedPattern p = splitPattern(rl.text, file_, l);
    std::string error;
    std::unique_ptr<CompiledRegex> re = compileRegex(dialect_, p.pattern, p.flags, &error);
    if (!re) syntaxError(file_, l.line, "bad pattern: " + error, l.text);
    if (rl.kind == RuleLine::Kind::If) {
      if (!p.rest.empty()) syntaxError(file_, l.line, "text after the if pattern", l.text);
      rules_.addIf(p.negate, l.line);
    } else {
      if (p.rest.empty()) syntaxError(file_, l.line, "no result after the pattern", l.text);
      // Check the result's $n now, so that a lookup cannot fail on it.
      const int groups = re->subexpressions();
      auto check = [&](int n, std::string&, std::string* why) {
        if (p.negate) {
          *why = "$" + std::to_string(n) + " in the result of a negated pattern";
          return false;
        }
        if (n > groups) {
          *why = "$" + std::to_string(n) + " but the pattern has " + std::to_string(groups) +
                 " subexpression(s)";
          return false;
        }
        return true;
      };
      if (!substitute(p.rest, check, &error)) syntaxError(file_, l.line, error, l.text);
      rules_.addRule(p.negate, std::string(p.rest), l.line);
    }
    patterns_.push_back(std::move(re));
  }
  rules_.finish();
}

std::optional<std::string> RegexpMap::lookup(std::string_view key) {
  std::vector<std::string> groups;
  auto match = rules_.firstMatch([&](std::size_t i) { return patterns_[i]->match(key, &groups); });
  if (!match) return std::nullopt;
  std::string error;
  auto fill = [&](int n, std::string& out, std::string*) {
    if (static_cast<std::size_t>(n) < groups.size()) out += groups[n];
    return true;
  };
  return substitute(rules_.rules()[*match].result, fill, &error);
}

}  // namespace posthorn::map
