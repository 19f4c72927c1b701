// quota_rule - parses Dovecot quota rules (see quota_rule.h)
#include "lib/auth/quota_rule.h"

#include <limits>
#include <string>

namespace posthorn::auth {

namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

// Digits only, no sign; throws on overflow.
std::uint64_t parseNumber(std::string_view digits, std::string_view whole) {
  if (digits.empty()) throw QuotaRuleError("expected a number in " + quoted(whole));
  std::uint64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') throw QuotaRuleError("expected a number in " + quoted(whole));
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (n > (kMax - d) / 10) throw QuotaRuleError("number too large in " + quoted(whole));
    n = n * 10 + d;
  }
  return n;
}

std::uint64_t multiply(std::uint64_t a, std::uint64_t b, std::string_view whole) {
  if (a != 0 && b > kMax / a) throw QuotaRuleError("size too large: " + quoted(whole));
  return a * b;
}

// The multiplier of a unit suffix ("", "k", "MB", ...); 0 when unknown.
std::uint64_t unitFactor(std::string_view unit, std::uint64_t bareUnit) {
  if (unit.empty()) return bareUnit;
  if (unit.size() == 2) {
    if (unit[1] != 'b' && unit[1] != 'B') return 0;
    unit.remove_suffix(1);
  }
  if (unit.size() != 1) return 0;
  switch (unit[0]) {
    case 'b': case 'B': return 1;
    case 'k': case 'K': return 1ull << 10;
    case 'm': case 'M': return 1ull << 20;
    case 'g': case 'G': return 1ull << 30;
    case 't': case 'T': return 1ull << 40;
  }
  return 0;
}

}  // namespace

std::uint64_t parseQuotaSize(std::string_view text, std::uint64_t bareUnit,
                             std::uint64_t defaultBytes) {
  std::string_view rest = text;
  char sign = 0;
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
    sign = rest[0];
    rest.remove_prefix(1);
  }
  std::size_t ndigits = 0;
  while (ndigits < rest.size() && rest[ndigits] >= '0' && rest[ndigits] <= '9') ++ndigits;
  const std::uint64_t n = parseNumber(rest.substr(0, ndigits), text);
  const std::string_view unit = rest.substr(ndigits);

  std::uint64_t amount;
  if (unit == "%") {
    // Percentages of the default; the product is taken in two steps so
    // that a large default does not overflow.
    if (n > 100000 || (n != 0 && defaultBytes / 100 + 1 > kMax / n)) {
      throw QuotaRuleError("percentage too large: " + quoted(text));
    }
    amount = defaultBytes / 100 * n + (defaultBytes % 100) * n / 100;
  } else {
    const std::uint64_t factor = unitFactor(unit, bareUnit);
    if (factor == 0) {
      throw QuotaRuleError("unknown size unit " + quoted(unit) + " in " + quoted(text) +
                           " (use b, k, M, G, T or %)");
    }
    amount = multiply(n, factor, text);
  }
  if (sign == '+') {
    if (amount > kMax - defaultBytes) throw QuotaRuleError("size too large: " + quoted(text));
    return defaultBytes + amount;
  }
  if (sign == '-') return amount >= defaultBytes ? 0 : defaultBytes - amount;
  return amount;
}

std::optional<QuotaLimits> parseQuotaRule(std::string_view rule, std::uint64_t defaultBytes) {
  const auto colon = rule.find(':');
  if (colon == std::string_view::npos) {
    throw QuotaRuleError("quota rule " + quoted(rule) +
                         " has no mailbox part (write it as *:storage=SIZE)");
  }
  const std::string_view mailbox = rule.substr(0, colon);
  if (mailbox.empty()) throw QuotaRuleError("quota rule " + quoted(rule) + " names no mailbox");

  QuotaLimits limits;
  std::string_view rest = rule.substr(colon + 1);
  if (rest.empty()) throw QuotaRuleError("quota rule " + quoted(rule) + " sets no limit");
  while (true) {
    const auto next = rest.find(':');
    const std::string_view limit = rest.substr(0, next);
    const auto eq = limit.find('=');
    const std::string_view name = limit.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : limit.substr(eq + 1);
    if (name == "storage" || name == "bytes") {
      if (eq == std::string_view::npos || value.empty()) {
        throw QuotaRuleError(std::string(name) + " needs a size in " + quoted(rule));
      }
      limits.bytes = parseQuotaSize(value, name == "storage" ? 1024 : 1, defaultBytes);
    } else if (name == "messages") {
      if (eq == std::string_view::npos || value.empty()) {
        throw QuotaRuleError("messages needs a number in " + quoted(rule));
      }
      limits.messages = parseNumber(value, rule);
    } else if (name == "ignore" || name == "backend" || name == "noenforcing") {
      // Dovecot options that do not change the account's limits.
    } else {
      throw QuotaRuleError("unknown quota limit " + quoted(limit) + " in " + quoted(rule) +
                           " (storage=, bytes=, messages=)");
    }
    if (next == std::string_view::npos) break;
    rest.remove_prefix(next + 1);
  }
  if (mailbox != "*") return std::nullopt;
  return limits;
}

}  // namespace posthorn::auth
