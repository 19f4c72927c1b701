// auth_results - writing RFC 8601's method results
#include "lib/mailauth/auth_results.h"

namespace posthorn::mailauth {

namespace {

std::string escapeComment(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '(' || c == ')' || c == '\\') out += '\\';
    out += (c == '\r' || c == '\n') ? ' ' : c;
  }
  return out;
}

// RFC 8601 pvalue: a token (RFC 2045), an address or domain, else quoted.
std::string propertyValue(std::string_view v) {
  static constexpr std::string_view kSpecials = "()<>,;:\\\"[]?= \t";
  bool plain = !v.empty();
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || kSpecials.find(c) != std::string_view::npos) plain = false;
  }
  if (plain) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += (c == '\r' || c == '\n') ? ' ' : c;
  }
  return out + "\"";
}

}  // namespace

void AuthResults::add(std::string_view method, std::string_view result, std::string_view comment,
                      const Properties& properties) {
  std::string r = std::string(method) + "=" + std::string(result);
  if (!comment.empty()) r += " (" + escapeComment(comment) + ")";
  for (const auto& [name, value] : properties) r += " " + name + "=" + propertyValue(value);
  results_.push_back(std::move(r));
}

std::string AuthResults::value() const {
  std::string v = authservId_ + ";";
  if (results_.empty()) return v + " none";
  for (std::size_t i = 0; i < results_.size(); ++i) v += (i == 0 ? " " : "; ") + results_[i];
  return v;
}

std::string AuthResults::header() const {
  std::string h = "Authentication-Results: " + authservId_ + ";";
  if (results_.empty()) return h + " none\r\n";
  for (std::size_t i = 0; i < results_.size(); ++i) h += "\r\n\t" + results_[i] + (i + 1 < results_.size() ? ";" : "");
  return h + "\r\n";
}

namespace {

bool isFolding(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Skips white space and (nested, escaped) comments: RFC 5322 CFWS.
std::size_t skipCfws(std::string_view v, std::size_t i) {
  int depth = 0;
  while (i < v.size()) {
    const char c = v[i];
    if (depth > 0) {
      if (c == '\\') ++i;
      else if (c == '(') ++depth;
      else if (c == ')') --depth;
    } else if (c == '(') {
      depth = 1;
    } else if (!isFolding(c)) {
      break;
    }
    ++i;
  }
  return i;
}

}  // namespace

std::string authservIdOf(std::string_view value) {
  std::size_t i = skipCfws(value, 0);
  std::string id;
  if (i < value.size() && value[i] == '"') {
    for (++i; i < value.size() && value[i] != '"'; ++i) {
      if (value[i] == '\\' && i + 1 < value.size()) ++i;
      if (value[i] != '\r' && value[i] != '\n') id += value[i];
    }
    return id;
  }
  for (; i < value.size(); ++i) {
    const char c = value[i];
    if (isFolding(c) || c == ';' || c == '(') break;
    id += c;
  }
  return id;
}

}  // namespace posthorn::mailauth

namespace posthorn::mailauth {

std::string methodResult(std::string_view value, std::string_view method) {
  // Walk the value: a ';' outside comments and quotes starts a resinfo.
  bool quoted = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
      continue;
    }
    if (c == '"') {
      quoted = true;
      continue;
    }
    if (c == '(') {
      i = skipCfws(value, i) - 1;
      continue;
    }
    if (c != ';') continue;
    std::size_t p = skipCfws(value, i + 1);
    std::string name;
    for (; p < value.size() && value[p] != '=' && value[p] != '/' && !isFolding(value[p]) && value[p] != '('; ++p)
      name += static_cast<char>(value[p] >= 'A' && value[p] <= 'Z' ? value[p] + 32 : value[p]);
    if (name != method) continue;
    while (p < value.size() && value[p] != '=') ++p;  // a "/version"
    p = skipCfws(value, p + 1);
    std::string result;
    for (; p < value.size() && !isFolding(value[p]) && value[p] != ';' && value[p] != '('; ++p)
      result += static_cast<char>(value[p] >= 'A' && value[p] <= 'Z' ? value[p] + 32 : value[p]);
    return result;
  }
  return "";
}

}  // namespace posthorn::mailauth
