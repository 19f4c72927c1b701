// quota_rule - Dovecot quota rules ("*:storage=1G:messages=1000") as bytes
//
// A rule is MAILBOX:LIMIT[:LIMIT...]. posthorn enforces one quota per user,
// so only the rule for the mailbox "*" (the whole account) counts; rules for
// one folder ("Trash:storage=+100M") are accepted and ignored. Limits:
//   storage=SIZE   bytes; a bare number is in kilobytes, as in Dovecot
//   bytes=SIZE     bytes; a bare number is in bytes
//   messages=N     number of messages
//   ignore, backend=...   accepted and ignored
// SIZE is a number with an optional unit b, k, M, G or T (powers of 1024,
// either case, an optional trailing "B": 10MB), or a percentage ("50%"), or
// a change ("+100M", "-10%") of the default quota. 0 means unlimited.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string_view>

namespace posthorn::auth {

// A malformed rule or size; what() says what is wrong without a location.
class QuotaRuleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct QuotaLimits {
  std::optional<std::uint64_t> bytes;
  std::optional<std::uint64_t> messages;
};

// The limits of a "*" rule, or nullopt for a rule of another mailbox.
// defaultBytes is the base of percentages and +/- changes of storage.
// Throws QuotaRuleError.
std::optional<QuotaLimits> parseQuotaRule(std::string_view rule, std::uint64_t defaultBytes);

// One SIZE as above; a bare number counts in bareUnit bytes (1024 for
// storage=, 1 for bytes=). Throws QuotaRuleError.
std::uint64_t parseQuotaSize(std::string_view text, std::uint64_t bareUnit,
                             std::uint64_t defaultBytes);

}  // namespace posthorn::auth
