// address - parsing RFC 5321 mailboxes and MAIL FROM / RCPT TO paths
//
// A small cursor parser: each part (local part, domain, source route) is
// first delimited by scanning, then checked, so that every error can say
// which part was wrong. UTF-8 is always recognised while parsing; whether
// it was allowed (SMTPUTF8) is decided once the address is known to be
// well-formed, so "needs SMTPUTF8" is only reported for addresses that
// would otherwise be valid.
#include "lib/address/address.h"
#include "lib/util/ascii.h"

#include <arpa/inet.h>

#include <cstdio>

namespace posthorn::address {

namespace {

bool isAlpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool isSpace(char c) { return c == ' ' || c == '\t'; }

// RFC 5322 atext (ASCII part).
bool isAtext(unsigned char c) {
  if (isAlpha(c) || isDigit(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*':
    case '+': case '-': case '/': case '=': case '?': case '^': case '_':
    case '`': case '{': case '|': case '}': case '~':
      return true;
    default:
      return false;
  }
}

// The length of the well-formed UTF-8 sequence of a non-ASCII character at
// text[pos] (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF),
// or 0 when the bytes there are not one.
std::size_t utf8Length(std::string_view text, std::size_t pos) {
  const auto byte = [&](std::size_t i) -> unsigned {
    return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u;
  };
  const auto cont = [](unsigned b) { return b >= 0x80 && b <= 0xBF; };
  const unsigned b0 = byte(pos);
  const unsigned b1 = byte(pos + 1);
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(b1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    const unsigned lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned hi = b0 == 0xED ? 0x9F : 0xBF;
    return b1 >= lo && b1 <= hi && cont(byte(pos + 2)) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    const unsigned lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return b1 >= lo && b1 <= hi && cont(byte(pos + 2)) && cont(byte(pos + 3)) ? 4 : 0;
  }
  return 0;
}

bool hasNonAscii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

// A character as an error message shows it: "x", or \xNN for bytes that
// would not print.
std::string describeChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u > 32 && u < 127) return std::string("\"") + c + "\"";
  if (u == ' ') return "space";
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02X", u);
  return buf;
}

struct Failure {
  AddressProblem problem = AddressProblem::None;
  std::string reason;
  explicit operator bool() const { return problem != AddressProblem::None; }
};

Failure syntax(std::string reason) { return {AddressProblem::Syntax, std::move(reason)}; }

// Scans a local part at text[pos]: a quoted string, or a run of atext, dots
// and non-ASCII bytes. Sets *internal to the unquoted form and advances pos
// past it. Checks dot-string structure and the characters inside quotes.
Failure scanLocalPart(std::string_view text, std::size_t& pos, std::string* internal) {
  internal->clear();
  if (pos < text.size() && text[pos] == '"') {
    std::size_t i = pos + 1;
    while (true) {
      if (i >= text.size()) return syntax("unterminated quoted string in local part");
      const char c = text[i];
      const auto u = static_cast<unsigned char>(c);
      if (c == '"') break;
      if (c == '\\') {
        if (i + 1 >= text.size()) return syntax("unterminated quoted string in local part");
        const auto next = static_cast<unsigned char>(text[i + 1]);
        if (next < 32 || next > 126) {
          return syntax("bad quoted character " + describeChar(text[i + 1]) + " in local part");
        }
        internal->push_back(text[i + 1]);
        i += 2;
      } else if (u >= 32 && u <= 126) {
        internal->push_back(c);
        ++i;
      } else if (u >= 0x80) {
        const std::size_t n = utf8Length(text, i);
        if (n == 0) return syntax("invalid UTF-8 in local part");
        internal->append(text.substr(i, n));
        i += n;
      } else {
        return syntax("bad character " + describeChar(c) + " in quoted local part");
      }
    }
    pos = i + 1;
    return {};
  }
  const std::size_t start = pos;
  std::size_t i = pos;
  bool atomStart = true;  // at the start of the string or just after a dot
  while (i < text.size()) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u == '.') {
      if (i == start) return syntax("local part starts with a dot");
      if (atomStart) return syntax("two dots in a row in local part");
      atomStart = true;
      ++i;
    } else if (isAtext(u)) {
      atomStart = false;
      ++i;
    } else if (u >= 0x80) {
      const std::size_t n = utf8Length(text, i);
      if (n == 0) return syntax("invalid UTF-8 in local part");
      atomStart = false;
      i += n;
    } else {
      break;
    }
  }
  if (i == start) {
    if (i >= text.size()) return syntax("empty local part");
    return syntax("bad character " + describeChar(text[i]) + " in local part");
  }
  if (atomStart) return syntax("local part ends with a dot");
  internal->assign(text.substr(start, i - start));
  pos = i;
  return {};
}

// Scans a domain at text[pos]: an address literal up to its ']', or a run
// of letters, digits, '-', '.' and non-ASCII bytes. Advances pos; the
// domain text is checked by canonicalDomain().
std::string_view scanDomain(std::string_view text, std::size_t& pos) {
  const std::size_t start = pos;
  if (pos < text.size() && text[pos] == '[') {
    const std::size_t close = text.find(']', pos);
    pos = close == std::string_view::npos ? text.size() : close + 1;
    return text.substr(start, pos - start);
  }
  while (pos < text.size()) {
    const auto u = static_cast<unsigned char>(text[pos]);
    if (isAlpha(u) || isDigit(u) || u == '-' || u == '.' || u >= 0x80) {
      ++pos;
    } else {
      break;
    }
  }
  return text.substr(start, pos - start);
}

std::optional<std::string> addressLiteral(std::string_view literal, std::string* reason) {
  const auto fail = [&](const std::string& why) -> std::optional<std::string> {
    if (reason != nullptr) *reason = why;
    return std::nullopt;
  };
  if (literal.size() < 2 || literal.back() != ']') {
    return fail("address literal " + std::string(literal) + " lacks its closing \"]\"");
  }
  const std::string inner(literal.substr(1, literal.size() - 2));
  if (inner.size() > 5 && util::startsWithIgnoreCase(inner, "IPv6:")) {
    in6_addr a6{};
    if (inet_pton(AF_INET6, inner.c_str() + 5, &a6) != 1) {
      return fail("bad IPv6 address literal " + std::string(literal));
    }
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &a6, buf, sizeof buf);
    return "[IPv6:" + std::string(buf) + "]";
  }
  if (inner.find(':') != std::string::npos) {
    return fail("unsupported address literal " + std::string(literal) +
                " (only IPv4 and IPv6: literals are supported)");
  }
  in_addr a4{};
  if (inet_pton(AF_INET, inner.c_str(), &a4) != 1) {
    return fail("bad IPv4 address literal " + std::string(literal));
  }
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a4, buf, sizeof buf);
  return "[" + std::string(buf) + "]";
}

// Scans and checks one mailbox at text[pos]. Length limits and SMTPUTF8 are
// checked by the caller, who knows the whole path.
Failure scanMailbox(std::string_view text, std::size_t& pos, Address* out,
                    std::string_view* rawLocal, std::string_view* rawDomain) {
  const std::size_t localStart = pos;
  if (Failure f = scanLocalPart(text, pos, &out->localPart)) return f;
  *rawLocal = text.substr(localStart, pos - localStart);
  out->domain.clear();
  *rawDomain = {};
  if (pos < text.size() && text[pos] == '@') {
    ++pos;
    *rawDomain = scanDomain(text, pos);
    if (rawDomain->empty()) {
      if (pos >= text.size()) return syntax("empty domain");
      return syntax("bad character " + describeChar(text[pos]) + " in domain");
    }
    std::string why;
    auto canonical = canonicalDomain(*rawDomain, true, &why);
    if (!canonical) return syntax(why);
    out->domain = std::move(*canonical);
  }
  return {};
}

// Limits and SMTPUTF8 for a mailbox that parsed; domainless acceptance.
Failure checkMailbox(const Address& a, std::string_view rawLocal, std::string_view rawDomain,
                     bool domainlessAllowed, const ParseOptions& options) {
  if (!a.hasDomain()) {
    if (a.localPart.empty()) return syntax("empty address");
    if (!domainlessAllowed) return syntax("address has no domain (expected user@domain)");
  }
  if (rawLocal.size() > kMaxLocalPartLength) {
    return {AddressProblem::TooLong, "local part longer than " +
                                         std::to_string(kMaxLocalPartLength) + " octets"};
  }
  if (rawDomain.size() > kMaxDomainLength) {
    return {AddressProblem::TooLong,
            "domain longer than " + std::to_string(kMaxDomainLength) + " octets"};
  }
  if (!options.smtpUtf8 && a.needsSmtpUtf8()) {
    return {AddressProblem::NeedsSmtpUtf8,
            "address contains non-ASCII characters but SMTPUTF8 was not requested"};
  }
  return {};
}

}  // namespace

bool Address::isPostmaster() const { return util::equalsIgnoreCase(localPart, "postmaster"); }

bool Address::needsSmtpUtf8() const { return hasNonAscii(localPart) || hasNonAscii(domain); }

std::string Address::toString() const {
  if (isNull()) return "";
  std::string out = quoteLocalPart(localPart);
  if (hasDomain()) out += "@" + domain;
  return out;
}

std::string Address::toPath() const { return "<" + toString() + ">"; }

bool sameLocalUser(std::string_view a, std::string_view b) { return util::equalsIgnoreCase(a, b); }

std::string foldCase(std::string_view text) { return util::lower(text); }

std::string_view problemName(AddressProblem problem) {
  switch (problem) {
    case AddressProblem::None: return "none";
    case AddressProblem::Syntax: return "syntax";
    case AddressProblem::TooLong: return "too long";
    case AddressProblem::NeedsSmtpUtf8: return "needs SMTPUTF8";
  }
  return "unknown";
}

bool isDotString(std::string_view localPart) {
  if (localPart.empty()) return false;
  std::size_t pos = 0;
  std::string internal;
  if (localPart.front() == '"') return false;
  if (scanLocalPart(localPart, pos, &internal)) return false;
  return pos == localPart.size();
}

std::string quoteLocalPart(std::string_view localPart) {
  if (isDotString(localPart)) return std::string(localPart);
  std::string out = "\"";
  for (char c : localPart) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::optional<std::string> canonicalDomain(std::string_view domain, bool allowUtf8,
                                           std::string* reason) {
  const auto fail = [&](const std::string& why) -> std::optional<std::string> {
    if (reason != nullptr) *reason = why;
    return std::nullopt;
  };
  if (domain.empty()) return fail("empty domain");
  if (domain.front() == '[') return addressLiteral(domain, reason);
  std::size_t labelStart = 0;
  for (std::size_t i = 0; i <= domain.size(); ++i) {
    if (i < domain.size() && domain[i] != '.') {
      const auto u = static_cast<unsigned char>(domain[i]);
      if (u >= 0x80) {
        const std::size_t n = utf8Length(domain, i);
        if (n == 0) return fail("invalid UTF-8 in domain");
        if (!allowUtf8) return fail("non-ASCII domain " + std::string(domain));
        i += n - 1;
      } else if (!isAlpha(u) && !isDigit(u) && u != '-') {
        return fail("bad character " + describeChar(domain[i]) + " in domain");
      }
      continue;
    }
    const std::string_view label = domain.substr(labelStart, i - labelStart);
    if (label.empty()) {
      if (i == 0) return fail("domain starts with a dot");
      if (i == domain.size()) return fail("domain ends with a dot");
      return fail("two dots in a row in domain");
    }
    if (label.size() > 63) {
      return fail("domain label longer than 63 octets: " + std::string(label.substr(0, 20)) +
                  "...");
    }
    if (label.front() == '-' || label.back() == '-') {
      return fail("domain label " + std::string(label) + " starts or ends with a hyphen");
    }
    labelStart = i + 1;
  }
  return foldCase(domain);
}

MailboxResult parseMailbox(std::string_view text, const ParseOptions& options) {
  MailboxResult result;
  std::size_t pos = 0;
  std::string_view rawLocal, rawDomain;
  Failure f = scanMailbox(text, pos, &result.address, &rawLocal, &rawDomain);
  if (!f && pos != text.size()) {
    f = syntax("bad character " + describeChar(text[pos]) +
               (result.address.hasDomain() ? " in domain" : " in local part"));
  }
  if (!f) {
    const bool domainless = options.allowDomainless ||
                            (options.allowPostmaster && result.address.isPostmaster());
    f = checkMailbox(result.address, rawLocal, rawDomain, domainless, options);
  }
  if (!f && text.size() > kMaxMailboxLength) {
    f = {AddressProblem::TooLong,
         "address longer than " + std::to_string(kMaxMailboxLength) + " octets"};
  }
  if (f) {
    result.address = {};
    result.problem = f.problem;
    result.reason = std::move(f.reason);
  }
  return result;
}

namespace {

// "@a,@b:" at text[pos] (pos at the first '@'); advances past the ':'.
Failure scanSourceRoute(std::string_view text, std::size_t& pos, std::string* route) {
  const std::size_t start = pos;
  while (true) {
    if (pos >= text.size() || text[pos] != '@') {
      return syntax("bad source route (expected @domain)");
    }
    ++pos;
    const std::string_view domain = scanDomain(text, pos);
    std::string why;
    if (domain.empty() || !canonicalDomain(domain, false, &why)) {
      return syntax("bad source route: " + (domain.empty() ? std::string("empty domain") : why));
    }
    if (pos < text.size() && text[pos] == ',') {
      ++pos;
      continue;
    }
    if (pos < text.size() && text[pos] == ':') {
      *route = std::string(text.substr(start, pos - start));
      ++pos;
      return {};
    }
    return syntax("bad source route (expected \",\" or \":\" after @" + std::string(domain) + ")");
  }
}

}  // namespace

PathResult parsePath(std::string_view text, PathKind kind, const ParseOptions& options) {
  PathResult result;
  std::size_t pos = 0;
  while (pos < text.size() && isSpace(text[pos])) ++pos;
  const std::size_t pathStart = pos;
  const auto finish = [&](Failure f) {
    if (f) {
      result.address = {};
      result.params.clear();
      result.sourceRoute.clear();
      result.problem = f.problem;
      result.reason = std::move(f.reason);
    }
    return result;
  };

  if (pos >= text.size()) return finish(syntax("missing address"));
  const bool bracketed = text[pos] == '<';
  if (!bracketed && !options.allowBareAddress) {
    return finish(syntax("address must be enclosed in <>"));
  }
  std::string_view rawLocal, rawDomain;
  if (bracketed) {
    ++pos;
    if (pos < text.size() && text[pos] == '>') {  // the null path
      ++pos;
      if (kind == PathKind::Forward) return finish(syntax("empty recipient address <>"));
    } else {
      if (pos < text.size() && text[pos] == '@') {
        if (Failure f = scanSourceRoute(text, pos, &result.sourceRoute)) return finish(f);
      }
      if (Failure f = scanMailbox(text, pos, &result.address, &rawLocal, &rawDomain)) {
        return finish(f);
      }
      if (pos >= text.size()) return finish(syntax("missing \">\" after the address"));
      if (text[pos] != '>') {
        return finish(syntax("bad character " + describeChar(text[pos]) +
                             (result.address.hasDomain() ? " in domain" : " in local part")));
      }
      ++pos;
    }
  } else {
    if (Failure f = scanMailbox(text, pos, &result.address, &rawLocal, &rawDomain)) {
      return finish(f);
    }
  }
  const std::size_t pathEnd = pos;
  if (pos < text.size() && !isSpace(text[pos])) {
    return finish(syntax("bad character " + describeChar(text[pos]) + " after the address"));
  }
  while (pos < text.size() && isSpace(text[pos])) ++pos;
  result.params = std::string(text.substr(pos));

  if (!result.address.isNull() || !bracketed) {
    const bool domainless =
        options.allowDomainless || (kind == PathKind::Forward && result.address.isPostmaster());
    if (Failure f = checkMailbox(result.address, rawLocal, rawDomain, domainless, options)) {
      return finish(f);
    }
  }
  const std::size_t pathLength = (pathEnd - pathStart) + (bracketed ? 0 : 2);
  if (pathLength > kMaxPathLength) {
    return finish({AddressProblem::TooLong,
                   "path longer than " + std::to_string(kMaxPathLength) + " octets"});
  }
  return result;
}

LocalPartSplit splitExtension(std::string_view localPart, std::string_view delimiters) {
  LocalPartSplit split;
  split.user = std::string(localPart);
  if (delimiters.empty()) return split;
  const std::size_t at = localPart.find_first_of(delimiters);
  if (at == std::string_view::npos || at == 0) return split;
  split.user = std::string(localPart.substr(0, at));
  split.extension = std::string(localPart.substr(at + 1));
  split.delimiter = localPart[at];
  return split;
}

}  // namespace posthorn::address
