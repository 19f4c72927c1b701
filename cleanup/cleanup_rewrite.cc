// cleanup_rewrite - canonical, masquerade and virtual alias rewriting of the envelope
#include "cleanup/cleanup_rewrite.h"

#include <utility>
#include <vector>

#include "lib/proto/map_client.h"

namespace posthorn::cleanup {
namespace {

// MapdTableLookup borrows its client; this one owns it.
class OwnedMapdLookup : public address::TableLookup {
 public:
  explicit OwnedMapdLookup(const std::string& socket) : client_(socket), lookup_(client_) {}
  std::optional<std::string> lookup(std::string_view table, std::string_view key) override {
    return lookup_.lookup(table, key);
  }

 private:
  mapd::MapClient client_;
  address::MapdTableLookup lookup_;
};

}  // namespace

Rewriting::Rewriting(const config::Config& cfg, const std::string& mapdSocket)
    : Rewriting(cfg, std::make_unique<OwnedMapdLookup>(mapdSocket)) {}

Rewriting::Rewriting(const config::Config& cfg, std::unique_ptr<address::TableLookup> tables)
    : tables_(std::move(tables)),
      rewriter_(std::make_unique<address::AddressRewriter>(cfg, *tables_)) {}

Rewriting::~Rewriting() = default;

bool Rewriting::wanted(const config::Config& cfg) {
  return address::RewriteSettings::fromConfig(cfg).active();
}

std::size_t Rewriting::rewriteEnvelope(queue::Envelope& envelope) {
  namespace rc = address::rewrite_class;
  envelope.sender = rewriter_->rewriteSender(envelope.sender, rc::kEnvelopeSender);
  std::vector<queue::Recipient> out;
  out.reserve(envelope.recipients.size());
  std::size_t added = 0;
  for (queue::Recipient& r : envelope.recipients) {
    if (r.originalAddress.empty()) r.originalAddress = r.address;
    const std::string canonical = rewriter_->rewriteRecipient(r.address, rc::kEnvelopeRecipient);
    const std::vector<std::string> addresses = rewriter_->expandVirtual(canonical);
    added += addresses.size() - 1;
    for (const std::string& a : addresses) {
      queue::Recipient copy = r;
      copy.address = a;
      out.push_back(std::move(copy));
    }
  }
  envelope.recipients = std::move(out);
  return added;
}

}  // namespace posthorn::cleanup
