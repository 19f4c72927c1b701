// cleanup_rewrite - address rewriting of the envelope: canonical mapping,
// masquerading and virtual alias expansion (lib/address/address_rewriter.h)
//
// Postfix's order: the sender through sender_canonical_maps,
// canonical_maps and masquerade_domains; each recipient through
// recipient_canonical_maps and canonical_maps (masquerade_domains only when
// masquerade_classes has envelope_recipient), then virtual_alias_maps,
// which may turn it into several. Every address a recipient becomes keeps
// its original address, ORCPT and NOTIFY (DSNs, Delivered-To, orig_to=).
// A table that cannot be read, or an expansion past its limits, throws:
// the message is refused with a temporary error, never queued half
// rewritten.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <string>

#include "lib/address/address_rewriter.h"
#include "lib/config/config.h"
#include "lib/map/table_lookup.h"
#include "lib/queue/queue_envelope.h"

namespace posthorn::cleanup {

// The rewriter and the tables it reads, kept together.
class Rewriting {
 public:
  // Tables through mapd at mapdSocket. Throws config::ConfigError.
  Rewriting(const config::Config& cfg, const std::string& mapdSocket);
  // Tables through `tables` (tests: DirectTableLookup).
  Rewriting(const config::Config& cfg, std::unique_ptr<address::TableLookup> tables);
  ~Rewriting();

  // Whether any rewriting parameter is set (otherwise cleanup needs none).
  static bool wanted(const config::Config& cfg);

  address::AddressRewriter& rewriter() { return *rewriter_; }

  // Rewrites envelope in place; returns how many recipients virtual
  // aliasing added (0 when none). Throws address::TableLookupError,
  // address::RewriteLimitError.
  std::size_t rewriteEnvelope(queue::Envelope& envelope);

  // Whether header fields need rewriting (canonical tables for a header
  // class, or masquerade_domains with one).
  bool rewritesHeaders() const;
  // A From:/To:/Cc:... field ("To: Joe <joe@x>,\n ann@y\n") with its
  // addresses rewritten (canonical mapping, masquerading; sender or
  // recipient class by the name), or nullopt when nothing changed. Only
  // plain addresses are rewritten: "<local@domain>" and bare
  // "local@domain" outside quoted strings and comments; quoted local parts
  // and unqualified addresses are left as they are. Throws
  // address::TableLookupError.
  std::optional<std::string> rewriteField(std::string_view name, std::string_view field);

 private:
  std::unique_ptr<address::TableLookup> tables_;
  std::unique_ptr<address::AddressRewriter> rewriter_;
};

}  // namespace posthorn::cleanup
