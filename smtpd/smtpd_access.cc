// smtpd_access - access(5) actions and lookup keys
#include "smtpd/smtpd_access.h"

#include <arpa/inet.h>

#include <cctype>

#include "lib/util/ascii.h"

namespace posthorn::smtpd {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool isDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// "5.7.1" at the start of text: moved into a->enhanced.
void takeEnhanced(std::string_view text, AccessAction* a) {
  text = trim(text);
  std::size_t end = text.find_first_of(" \t");
  std::string_view first = text.substr(0, end);
  int dots = 0;
  bool ok = first.size() >= 5 && (first[0] == '2' || first[0] == '4' || first[0] == '5') && first[1] == '.';
  for (char c : first) {
    if (c == '.') ++dots;
    else if (!std::isdigit(static_cast<unsigned char>(c))) ok = false;
  }
  if (ok && dots == 2) {
    a->enhanced = std::string(first);
    text = end == std::string_view::npos ? std::string_view() : trim(text.substr(end));
  }
  a->text = std::string(text);
}

}  // namespace

AccessAction parseAccessAction(std::string_view value) {
  using K = AccessAction::Kind;
  AccessAction a;
  value = trim(value);
  const std::size_t sp = value.find_first_of(" \t");
  const std::string word = util::upper(value.substr(0, sp));
  const std::string_view rest = sp == std::string_view::npos ? std::string_view() : trim(value.substr(sp));
  if (value.empty()) return a;
  if (word == "OK" || isDigits(value)) {
    a.kind = K::Ok;
    return a;
  }
  if (word.size() == 3 && isDigits(word) && (word[0] == '4' || word[0] == '5')) {
    a.kind = word[0] == '4' ? K::Defer : K::Reject;
    a.code = std::stoi(word);
    takeEnhanced(rest, &a);
    return a;
  }
  struct Name {
    const char* name;
    K kind;
  };
  static constexpr Name kNames[] = {
      {"DUNNO", K::Dunno},       {"REJECT", K::Reject},     {"DEFER", K::Defer},
      {"DEFER_IF_PERMIT", K::DeferIfPermit}, {"DEFER_IF_REJECT", K::DeferIfReject},
      {"HOLD", K::Hold},         {"DISCARD", K::Discard},   {"PREPEND", K::Prepend},
      {"REDIRECT", K::Redirect}, {"WARN", K::Warn},         {"INFO", K::Info},
      {"FILTER", K::Filter},     {"BCC", K::Bcc}};
  for (const Name& n : kNames) {
    if (word != n.name) continue;
    a.kind = n.kind;
    if (n.kind == K::Prepend || n.kind == K::Redirect || n.kind == K::Filter || n.kind == K::Bcc) {
      a.text = std::string(rest);
      if (a.text.empty()) a.kind = K::Invalid;  // these need their argument
      if (n.kind == K::Prepend && a.text.find(':') == std::string::npos) a.kind = K::Invalid;
    } else {
      takeEnhanced(rest, &a);
    }
    return a;
  }
  // Anything else must be restriction names (checked by the caller).
  if (std::islower(static_cast<unsigned char>(value[0]))) {
    a.kind = K::Restrictions;
    a.text = std::string(value);
  }
  return a;
}

std::vector<std::string> domainAccessKeys(std::string_view domain) {
  std::vector<std::string> keys;
  std::string d = util::lower(domain);
  while (!d.empty() && d.back() == '.') d.pop_back();
  std::string_view rest = d;
  while (!rest.empty()) {
    keys.emplace_back(rest);
    const std::size_t dot = rest.find('.');
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  return keys;
}

std::vector<std::string> addressAccessKeys(std::string_view address, std::string_view nullKey) {
  if (address.empty()) return {std::string(nullKey)};
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return {std::string(address)};
  const std::string local(address.substr(0, at));
  const std::string domain = util::lower(address.substr(at + 1));
  std::vector<std::string> keys{local + "@" + domain};
  for (std::string& k : domainAccessKeys(domain)) keys.push_back(std::move(k));
  keys.push_back(local + "@");
  return keys;
}

std::vector<std::string> clientAccessKeys(std::string_view name, std::string_view address) {
  std::vector<std::string> keys;
  if (!name.empty() && name != "unknown") keys = domainAccessKeys(name);
  const std::string addr(address);
  keys.push_back(addr);
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, addr.c_str(), &v4) == 1) {
    std::string s = addr;
    for (std::size_t dot; (dot = s.rfind('.')) != std::string::npos;) {
      s.erase(dot);
      keys.push_back(s);
    }
  } else if (inet_pton(AF_INET6, addr.c_str(), &v6) == 1) {
    // Postfix: the address in full (no ::), shortened 16 bits at a time.
    std::vector<std::string> groups;
    for (int i = 0; i < 8; ++i) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "%x", (v6.s6_addr[2 * i] << 8) | v6.s6_addr[2 * i + 1]);
      groups.emplace_back(buf);
    }
    for (int n = 7; n >= 1; --n) {
      std::string s = groups[0];
      for (int i = 1; i < n; ++i) s += ":" + groups[i];
      keys.push_back(s);
    }
  }
  return keys;
}

}  // namespace posthorn::smtpd
