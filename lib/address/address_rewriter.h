// address_rewriter - canonical mapping, masquerading and virtual alias
// expansion, as Postfix's cleanup does them (see doc/address-rewriting.md)
//
//   address::DirectTableLookup tables;              // or MapdTableLookup
//   address::AddressRewriter rw(cfg, tables);       // config::ConfigError
//   std::string from = rw.rewriteSender(sender, address::rewrite_class::kEnvelopeSender);
//   std::string to = rw.rewriteRecipient(rcpt, address::rewrite_class::kEnvelopeRecipient);
//   std::vector<std::string> all = rw.expandVirtual(to);  // TableLookupError, RewriteLimitError
//
// Addresses are in internal form, "local@domain" (local part unquoted);
// the null sender "" is never rewritten.
//
// Table search order (canonical(5), virtual(5)), with recipient_delimiter
// "+" and the address user+ext@domain:
//   user+ext@domain, user@domain,
//   user+ext, user        (only when domain is $myorigin or a local domain),
//   @domain               (the catch-all).
// A result is one address (canonical: the first one of the value) or a
// list (virtual: commas or white space between them). A result
// "@otherdomain" keeps the original local part; a result without a domain
// gets @$myorigin. When the key that matched had no extension and
// propagate_unmatched_extensions names the table's class ("canonical",
// "virtual"), the extension is added to the result's local part
// (user+ext@domain -> joe+ext@example.net).
//
// Canonical mapping: sender_canonical_maps (or recipient_canonical_maps)
// first, then canonical_maps, each repeated while it changes the address
// (at most 10 times), for the classes canonical_classes names.
// Masquerading (masquerade_domains): the first entry that is the domain or
// a parent of it decides; a parent replaces the domain, the domain itself
// or a "!" entry leaves it; local parts in masquerade_exceptions are never
// masqueraded; only for the classes masquerade_classes names.
// Virtual alias expansion is recursive: each address of a result is looked
// up again, except an address that expanded into itself (a mailbox that is
// also forwarded elsewhere). More than virtual_alias_recursion_limit
// nested lookups for one address, or more than
// virtual_alias_expansion_limit addresses, throw RewriteLimitError: the
// message must not be accepted (a temporary failure, as in Postfix).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "lib/address/address_resolver.h"
#include "lib/map/table_lookup.h"

namespace posthorn::config {
class Config;
}

namespace posthorn::address {

// Postfix's canonical_classes and masquerade_classes keywords.
namespace rewrite_class {
inline constexpr unsigned kEnvelopeSender = 1;
inline constexpr unsigned kEnvelopeRecipient = 2;
inline constexpr unsigned kHeaderSender = 4;
inline constexpr unsigned kHeaderRecipient = 8;
}  // namespace rewrite_class

// Virtual alias expansion went past one of its limits.
class RewriteLimitError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RewriteSettings {
  std::vector<std::string> canonicalMaps;           // canonical_maps
  std::vector<std::string> senderCanonicalMaps;     // sender_canonical_maps
  std::vector<std::string> recipientCanonicalMaps;  // recipient_canonical_maps
  std::vector<std::string> virtualAliasMaps;        // virtual_alias_maps
  unsigned canonicalClasses = 0;                    // canonical_classes
  std::vector<std::string> masqueradeDomains;       // masquerade_domains, "!" kept
  std::vector<std::string> masqueradeExceptions;    // masquerade_exceptions, lower case
  unsigned masqueradeClasses = 0;                   // masquerade_classes
  std::string recipientDelimiter;                   // recipient_delimiter
  bool propagateCanonical = false;  // propagate_unmatched_extensions has "canonical"
  bool propagateVirtual = false;    // ... "virtual"
  long long recursionLimit = 0;     // virtual_alias_recursion_limit
  std::size_t expansionLimit = 0;   // virtual_alias_expansion_limit
  std::string myorigin;             // lower case

  // Throws config::ConfigError naming the parameter.
  static RewriteSettings fromConfig(const config::Config& cfg);
  // Whether anything is configured to rewrite.
  bool active() const;
};

// The table value of virtual(5) / canonical(5): addresses separated by
// commas or white space, each perhaps in <>, quoted local parts unquoted.
std::vector<std::string> splitTableValue(std::string_view value);

// Postfix's masquerading of one address, without the class check.
std::string masqueradeAddress(std::string_view address, const std::vector<std::string>& domains,
                              const std::vector<std::string>& exceptions);

class AddressRewriter {
 public:
  // `tables` must outlive this. Throws config::ConfigError.
  AddressRewriter(const config::Config& cfg, TableLookup& tables);

  const RewriteSettings& settings() const { return settings_; }

  // Canonical mapping and masquerading of a sender address of class
  // `cls` (kEnvelopeSender or kHeaderSender). Throws TableLookupError.
  std::string rewriteSender(const std::string& address, unsigned cls);
  // The same for a recipient (kEnvelopeRecipient or kHeaderRecipient).
  std::string rewriteRecipient(const std::string& address, unsigned cls);

  // virtual_alias_maps: the addresses `address` stands for ({address}
  // when no table has it). Throws TableLookupError, RewriteLimitError.
  std::vector<std::string> expandVirtual(const std::string& address);
  // Whether virtual_alias_maps has an entry for the address (the same
  // search order, the catch-all included). Throws TableLookupError.
  bool hasVirtualEntry(const std::string& address);

 private:
  // The result of one table list for address, or nullopt.
  std::optional<std::vector<std::string>> lookup(const std::vector<std::string>& tables,
                                                 const std::string& address, bool propagate);
  std::string mapCanonical(const std::vector<std::string>& tables, std::string address);
  // ownMaps (sender_ or recipient_canonical_maps), canonical_maps, masquerading.
  std::string rewrite(const std::string& address, unsigned cls,
                      const std::vector<std::string>& ownMaps);
  bool isLocal(std::string_view domain);

  RewriteSettings settings_;
  TableLookup& tables_;
  AddressResolver resolver_;  // which domains are local (the "user" key)
};

}  // namespace posthorn::address
