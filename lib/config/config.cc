// config - reading posthorn.conf, $name expansion and the typed accessors
//
// The file is kept as raw text per parameter; every read expands it against
// the current settings (lazy, as Postfix does), so the last assignment of a
// name wins everywhere it is referenced. See config.h and posthorn.conf(5).
#include "lib/config/config.h"
#include "lib/util/ascii.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <set>
#include <sstream>

namespace posthorn::config {

namespace {

constexpr std::size_t kMaxExpansionDepth = 100;

bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_';
}

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::string where(const std::string& file, int line) {
  return file + ":" + std::to_string(line);
}

// Position of the bracket that closes the one at text[open] ('{' or '('),
// counting nested pairs of the same kind; npos when unmatched.
std::size_t matchingClose(std::string_view text, std::size_t open) {
  const char o = text[open];
  const char c = o == '{' ? '}' : ')';
  int depth = 0;
  for (std::size_t i = open; i < text.size(); ++i) {
    if (text[i] == o) {
      ++depth;
    } else if (text[i] == c && --depth == 0) {
      return i;
    }
  }
  return std::string_view::npos;
}

// Every parameter name referenced by $name, ${name...} or $(name...) in text.
void collectReferences(std::string_view text, std::set<std::string>& out) {
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] != '$') continue;
    std::size_t j = i + 1;
    if (text[j] == '$') {
      i = j;
      continue;
    }
    if (text[j] == '{' || text[j] == '(') ++j;
    std::size_t k = j;
    while (k < text.size() && isNameChar(text[k])) ++k;
    if (k > j) out.emplace(text.substr(j, k - j));
  }
}

// Parses an unsigned decimal number that fills `digits`; false on overflow
// or any other character.
bool parseUnsigned(std::string_view digits, unsigned long long& out) {
  if (digits.empty()) return false;
  unsigned long long v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    const unsigned d = static_cast<unsigned>(c - '0');
    if (v > (std::numeric_limits<unsigned long long>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

struct Unit {
  char suffix;  // lower case; either case is accepted
  unsigned long long factor;
};

struct NumberWithUnit {
  unsigned long long number;
  unsigned long long factor;  // 1 without a suffix
};

// "30m" with units {{'m', 60}, ...} is {30, 60}: a decimal number and an
// optional suffix from units; nullopt for anything else.
std::optional<NumberWithUnit> numberWithUnit(std::string_view v, std::initializer_list<Unit> units) {
  unsigned long long factor = 1;
  if (!v.empty() && !(v.back() >= '0' && v.back() <= '9')) {
    const char suffix = util::lower(v.substr(v.size() - 1)).front();
    const auto unit = std::find_if(units.begin(), units.end(),
                                   [&](const Unit& u) { return u.suffix == suffix; });
    if (unit == units.end()) return std::nullopt;
    factor = unit->factor;
    v.remove_suffix(1);
  }
  unsigned long long n = 0;
  if (!parseUnsigned(v, n)) return std::nullopt;
  return NumberWithUnit{n, factor};
}

}  // namespace

std::string_view typeName(ParamType type) {
  switch (type) {
    case ParamType::String: return "string";
    case ParamType::Int: return "integer";
    case ParamType::Bool: return "boolean";
    case ParamType::Time: return "time";
    case ParamType::Size: return "size";
    case ParamType::List: return "list";
  }
  return "string";
}

std::string Origin::describe() const {
  if (file.empty()) return "default";
  if (line <= 0) return file;
  return where(file, line);
}

std::string defaultConfigDir() {
  const char* env = std::getenv("MAIL_CONFIG");
  if (env != nullptr && *env != '\0') return env;
#ifdef POSTHORN_CONFIG_DIR
  return POSTHORN_CONFIG_DIR;
#else
  return "/etc/mail";
#endif
}

// ---------------------------------------------------------------- reading

std::vector<util::LogicalLine> configLines(std::string_view text, const std::string& filename,
                                           std::string_view preceding) {
  try {
    return util::logicalLines(text);
  } catch (const util::LineError& e) {
    throw ConfigError(where(filename, e.line()) +
                      ": continuation line (starts with white space) without a preceding " +
                      std::string(preceding));
  }
}

Config Config::load(const std::string& configDir, std::vector<std::string>* warnings) {
  const std::string path =
      configDir + (!configDir.empty() && configDir.back() == '/' ? "" : "/") + "posthorn.conf";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(path + ": cannot open: " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw ConfigError(path + ": read error: " + std::strerror(errno));
  }
  Config cfg = parse(text.str(), path, warnings);
  cfg.configDir_ = configDir;
  return cfg;
}

Config Config::defaults(const std::string& configDir) {
  Config cfg;
  cfg.configDir_ = configDir;
  return cfg;
}

Config Config::parse(std::string_view text, const std::string& filename,
                     std::vector<std::string>* warnings) {
  Config cfg;
  for (const util::LogicalLine& logical : configLines(text, filename, "\"name = value\" line")) {
    const std::string_view l = trim(logical.text);
    const std::size_t eq = l.find('=');
    if (eq == std::string_view::npos) {
      throw ConfigError(where(filename, logical.line) + ": missing '=' after parameter name: \"" +
                        std::string(l) + "\"");
    }
    const std::string_view name = trim(l.substr(0, eq));
    if (name.empty()) {
      throw ConfigError(where(filename, logical.line) + ": missing parameter name before '='");
    }
    for (char c : name) {
      if (!isNameChar(c)) {
        throw ConfigError(where(filename, logical.line) + ": bad parameter name \"" +
                          std::string(name) + "\" (letters, digits and '_' only)");
      }
    }
    cfg.entries_[std::string(name)] =
        Entry{std::string(trim(l.substr(eq + 1))), Origin{filename, logical.line}};
  }

  // Unknown names draw a warning, unless another value refers to them: a
  // site-defined parameter used as $name is legitimate (as in Postfix).
  std::set<std::string> referenced;
  for (const auto& [name, entry] : cfg.entries_) collectReferences(entry.value, referenced);
  if (warnings != nullptr) {
    std::vector<std::pair<int, std::string>> unknown;
    for (const auto& [name, entry] : cfg.entries_) {
      if (findParameter(name) == nullptr && referenced.count(name) == 0) {
        unknown.emplace_back(entry.origin.line, name);
      }
    }
    std::sort(unknown.begin(), unknown.end());
    for (const auto& [line, name] : unknown) {
      warnings->push_back(where(filename, line) + ": warning: unknown parameter " + name);
    }
  }
  return cfg;
}

void Config::set(const std::string& name, const std::string& value, Origin origin) {
  entries_[name] = Entry{value, std::move(origin)};
}

Config Config::without(std::string_view name) const {
  Config copy = *this;
  if (auto it = copy.entries_.find(name); it != copy.entries_.end()) copy.entries_.erase(it);
  return copy;
}

bool Config::isSet(std::string_view name) const {
  return entries_.find(name) != entries_.end();
}

std::optional<std::string> Config::rawValue(std::string_view name) const {
  auto it = entries_.find(name);
  if (it != entries_.end()) return it->second.value;
  return defaultValue(name);
}

Origin Config::origin(std::string_view name) const {
  auto it = entries_.find(name);
  if (it != entries_.end()) return it->second.origin;
  return Origin{};
}

std::optional<std::string> Config::defaultValue(std::string_view name) const {
  const ParamInfo* info = findParameter(name);
  if (info == nullptr) return std::nullopt;
  if (info->computeDefault != nullptr) return info->computeDefault(*this);
  return std::string(info->defaultValue);
}

std::vector<std::string> Config::names() const {
  std::set<std::string> all;
  for (const ParamInfo& p : knownParameters()) all.emplace(p.name);
  for (const auto& [name, entry] : entries_) all.insert(name);
  return {all.begin(), all.end()};
}

std::vector<std::string> Config::setNames() const {
  std::vector<std::string> out;
  for (const auto& [name, entry] : entries_) out.push_back(name);
  return out;  // std::map keeps them sorted
}

// ---------------------------------------------------------------- expansion

std::string Config::get(std::string_view name) const {
  std::vector<std::string> stack;
  return expandNamed(name, origin(name), stack);
}

std::string Config::expand(std::string_view text) const {
  std::vector<std::string> stack;
  return expandText(text, Origin{}, stack);
}

std::string Config::expandNamed(std::string_view name, const Origin& where,
                                std::vector<std::string>& stack) const {
  if (std::find(stack.begin(), stack.end(), name) != stack.end()) {
    std::string chain;
    for (const std::string& s : stack) chain += s + " -> ";
    chain += name;
    throw ConfigError(where.describe() + ": parameter expansion loop: " + chain);
  }
  if (stack.size() >= kMaxExpansionDepth) {
    throw ConfigError(where.describe() + ": parameter expansion nested too deeply at " +
                      std::string(name));
  }
  std::string value;
  Origin from;
  auto it = entries_.find(name);
  if (it != entries_.end()) {
    value = it->second.value;
    from = it->second.origin;
  } else if (auto def = defaultValue(name)) {
    value = *def;
  } else {
    return "";  // an undefined name expands to nothing, as in Postfix
  }
  stack.emplace_back(name);
  std::string out = expandText(value, from, stack);
  stack.pop_back();
  return out;
}

std::string Config::expandText(std::string_view text, const Origin& where,
                               std::vector<std::string>& stack) const {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c != '$' || i + 1 >= text.size()) {
      out += c;
      ++i;
      continue;
    }
    const char n = text[i + 1];
    if (n == '$') {  // $$ is a literal $
      out += '$';
      i += 2;
      continue;
    }
    if (isNameChar(n)) {  // $name
      std::size_t j = i + 1;
      while (j < text.size() && isNameChar(text[j])) ++j;
      out += expandNamed(text.substr(i + 1, j - i - 1), where, stack);
      i = j;
      continue;
    }
    if (n != '{' && n != '(') {  // a lone $ stays as it is
      out += c;
      ++i;
      continue;
    }
    // ${name}, ${name?text}, ${name:text}, ${name?{text}:{text}}; $(...) alike
    const std::size_t close = matchingClose(text, i + 1);
    if (close == std::string_view::npos) {
      throw ConfigError(where.describe() + ": unmatched '" + std::string(1, n) + "' in \"" +
                        std::string(text) + "\"");
    }
    const std::string_view inner = text.substr(i + 2, close - i - 2);
    std::size_t k = 0;
    while (k < inner.size() && isNameChar(inner[k])) ++k;
    if (k == 0) {
      throw ConfigError(where.describe() + ": missing parameter name after \"$" +
                        std::string(1, n) + "\" in \"" + std::string(text) + "\"");
    }
    const std::string_view name = inner.substr(0, k);
    const std::string_view rest = inner.substr(k);
    if (rest.empty()) {
      out += expandNamed(name, where, stack);
    } else if (rest[0] == '?' || rest[0] == ':') {
      const bool nonEmpty = !expandNamed(name, where, stack).empty();
      std::string_view body = rest.substr(1);
      std::string_view whenSet, whenUnset;
      const std::string_view tb = trim(body);
      std::size_t tclose = std::string_view::npos;
      if (rest[0] == '?' && !tb.empty() && tb.front() == '{' &&
          (tclose = matchingClose(tb, 0)) != std::string_view::npos) {
        // ${name?{text1}:{text2}}
        whenSet = tb.substr(1, tclose - 1);
        std::string_view after = trim(tb.substr(tclose + 1));
        if (!after.empty()) {
          if (after.front() != ':') {
            throw ConfigError(where.describe() + ": expected ':' after \"{...}\" in \"" +
                              std::string(text) + "\"");
          }
          after = trim(after.substr(1));
          if (!after.empty() && after.front() == '{' && matchingClose(after, 0) == after.size() - 1) {
            after = after.substr(1, after.size() - 2);
          }
          whenUnset = after;
        }
      } else {
        if (!tb.empty() && tb.front() == '{' && matchingClose(tb, 0) == tb.size() - 1) {
          body = tb.substr(1, tb.size() - 2);  // ${name:{text}}
        }
        (rest[0] == '?' ? whenSet : whenUnset) = body;
      }
      out += expandText(nonEmpty ? whenSet : whenUnset, where, stack);
    } else {
      throw ConfigError(where.describe() + ": bad expansion \"$" + std::string(1, n) +
                        std::string(inner) + std::string(1, text[close]) + "\": expected " +
                        "${name}, ${name?text} or ${name:text}");
    }
    i = close + 1;
  }
  return out;
}

// ---------------------------------------------------------------- typed reads

void Config::badValue(std::string_view name, const std::string& value,
                      const std::string& why) const {
  std::string msg = origin(name).describe() + ": " + std::string(name) + " = \"" + value + "\"";
  const std::optional<std::string> raw = rawValue(name);
  if (raw && *raw != value) msg += " (from \"" + *raw + "\")";
  throw ConfigError(msg + ": " + why);
}

long long Config::getInt(std::string_view name) const {
  const std::string value = get(name);
  const std::string_view v = trim(value);
  bool negative = false;
  std::string_view digits = v;
  if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  unsigned long long u = 0;
  if (!parseUnsigned(digits, u)) {
    const bool allDigits = !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
    badValue(name, value, allDigits ? "integer out of range" : "not an integer");
  }
  const auto max = static_cast<unsigned long long>(std::numeric_limits<long long>::max());
  if (u > max + (negative ? 1 : 0)) badValue(name, value, "integer out of range");
  if (negative) return u == max + 1 ? std::numeric_limits<long long>::min() : -static_cast<long long>(u);
  return static_cast<long long>(u);
}

bool Config::getBool(std::string_view name) const {
  const std::string value = get(name);
  const std::string v = util::lower(trim(value));
  if (v == "yes" || v == "true" || v == "1") return true;
  if (v == "no" || v == "false" || v == "0") return false;
  badValue(name, value, "not a boolean (yes or no)");
}

std::chrono::seconds Config::getTime(std::string_view name) const {
  const std::string value = get(name);
  const auto n = numberWithUnit(
      trim(value), {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}});
  if (!n) badValue(name, value, "not a time (a number with an optional unit s, m, h, d or w)");
  const auto max = static_cast<unsigned long long>(std::numeric_limits<std::int64_t>::max());
  if (n->number > max / n->factor) badValue(name, value, "time out of range");
  return std::chrono::seconds(static_cast<std::int64_t>(n->number * n->factor));
}

std::uint64_t Config::getSize(std::string_view name) const {
  const std::string value = get(name);
  const auto n = numberWithUnit(trim(value), {{'k', 1024}, {'m', 1024 * 1024}, {'g', 1024ULL * 1024 * 1024}});
  if (!n) badValue(name, value, "not a size (bytes, optionally with a k, m or g suffix)");
  if (n->number > std::numeric_limits<std::uint64_t>::max() / n->factor) {
    badValue(name, value, "size out of range");
  }
  return n->number * n->factor;
}

std::vector<std::string> Config::getList(std::string_view name) const {
  const std::string value = get(name);
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < value.size()) {
    const char c = value[i];
    if (isSpace(c) || c == ',') {
      ++i;
      continue;
    }
    if (c == '{') {  // { element with spaces, or commas }
      const std::size_t close = matchingClose(value, i);
      if (close == std::string::npos) badValue(name, value, "unmatched '{' in list");
      const std::string_view inner = trim(std::string_view(value).substr(i + 1, close - i - 1));
      if (!inner.empty()) out.emplace_back(inner);
      i = close + 1;
      continue;
    }
    std::size_t j = i;
    while (j < value.size() && !isSpace(value[j]) && value[j] != ',') {
      // A brace inside a word (inline:{ a=b, c=d }) holds the rest of its
      // element together, braces kept, as Postfix's list splitting does.
      if (value[j] == '{') {
        const std::size_t close = matchingClose(value, j);
        if (close == std::string::npos) badValue(name, value, "unmatched '{' in list");
        j = close;
      }
      ++j;
    }
    out.emplace_back(value.substr(i, j - i));
    i = j;
  }
  return out;
}

std::vector<std::string> Config::getKeywordList(std::string_view name) const {
  std::vector<std::string> out = getList(name);
  for (std::string& item : out) util::upperInPlace(item);
  return out;
}

// ---------------------------------------------------------------- validation

std::vector<std::string> Config::validate() const {
  std::vector<std::string> problems;
  std::set<std::string> loops;  // each cycle once, whichever name led into it
  auto note = [&](const std::string& msg) {
    static constexpr std::string_view kLoop = "parameter expansion loop: ";
    if (const std::size_t at = msg.find(kLoop); at != std::string::npos) {
      std::vector<std::string> chain;
      std::string_view rest = std::string_view(msg).substr(at + kLoop.size());
      for (std::size_t arrow; (arrow = rest.find(" -> ")) != std::string_view::npos;) {
        chain.emplace_back(rest.substr(0, arrow));
        rest.remove_prefix(arrow + 4);
      }
      auto first = std::find(chain.begin(), chain.end(), rest);
      std::vector<std::string> cycle(first, chain.end());
      std::sort(cycle.begin(), cycle.end());
      std::string key;
      for (const std::string& n : cycle) key += n + " ";
      if (!loops.insert(key).second) return;
    }
    if (std::find(problems.begin(), problems.end(), msg) == problems.end()) {
      problems.push_back(msg);
    }
  };
  for (const auto& [name, entry] : entries_) {
    try {
      (void)get(name);
    } catch (const ConfigError& e) {
      note(e.what());
    }
  }
  for (const ParamInfo& p : knownParameters()) {
    try {
      switch (p.type) {
        case ParamType::String: (void)get(p.name); break;
        case ParamType::Int: (void)getInt(p.name); break;
        case ParamType::Bool: (void)getBool(p.name); break;
        case ParamType::Time: (void)getTime(p.name); break;
        case ParamType::Size: (void)getSize(p.name); break;
        case ParamType::List: (void)getList(p.name); break;
      }
    } catch (const ConfigError& e) {
      note(e.what());
    }
  }
  return problems;
}

}  // namespace posthorn::config
