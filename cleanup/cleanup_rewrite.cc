// cleanup_rewrite - canonical, masquerade and virtual alias rewriting of the envelope
#include "cleanup/cleanup_rewrite.h"

#include <utility>
#include <vector>

#include "cleanup/cleanup_headers.h"
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

bool Rewriting::rewritesHeaders() const {
  namespace rc = address::rewrite_class;
  const address::RewriteSettings& s = rewriter_->settings();
  const unsigned header = rc::kHeaderSender | rc::kHeaderRecipient;
  const bool canonical = !s.canonicalMaps.empty() || !s.senderCanonicalMaps.empty() ||
                         !s.recipientCanonicalMaps.empty();
  return (canonical && (s.canonicalClasses & header)) ||
         (!s.masqueradeDomains.empty() && (s.masqueradeClasses & header));
}

std::optional<std::string> Rewriting::rewriteField(std::string_view name, std::string_view field) {
  const bool sender = isSenderAddressHeader(name);
  auto rewrite = [&](std::string_view address) {
    const std::string a(address);
    if (a.find('@') == std::string::npos || a.front() == '@') return a;
    return sender ? rewriter_->rewriteSender(a, address::rewrite_class::kHeaderSender)
                  : rewriter_->rewriteRecipient(a, address::rewrite_class::kHeaderRecipient);
  };
  const auto colon = field.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string out(field.substr(0, colon + 1));
  bool changed = false;
  // One address (an element between top-level commas) at a time: the
  // text inside "<...>" when there is one, else its bare addr-spec.
  std::size_t i = colon + 1;
  const std::size_t n = field.size();
  while (i < n) {
    std::size_t end = i;  // the element's end: a top-level ',' or ';', or the field's end
    bool quoted = false, angle = false;
    int comment = 0;
    std::size_t angleStart = std::string_view::npos, angleEnd = std::string_view::npos;
    std::size_t tokenStart = std::string_view::npos, tokenEnd = std::string_view::npos;
    std::size_t start = std::string_view::npos;  // of the current bare token
    for (; end < n; ++end) {
      const char c = field[end];
      if (quoted) {
        if (c == '\\') ++end;
        else if (c == '"') quoted = false;
        continue;
      }
      if (comment > 0) {
        if (c == '\\') ++end;
        else if (c == '(') ++comment;
        else if (c == ')') --comment;
        continue;
      }
      if (angle) {
        if (c == '>') { angle = false; angleEnd = end; }
        continue;
      }
      const bool separator = c == ',' || c == ';';
      const bool breaks = separator || c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
                          c == '(' || c == '"' || c == '<' || c == ':';
      if (breaks && start != std::string_view::npos) {
        if (field.substr(start, end - start).find('@') != std::string_view::npos &&
            tokenStart == std::string_view::npos) {
          tokenStart = start;
          tokenEnd = end;
        }
        start = std::string_view::npos;
      }
      if (separator) break;
      if (c == '"') quoted = true;
      else if (c == '(') comment = 1;
      else if (c == '<') { angle = true; angleStart = end + 1; }
      else if (!breaks && start == std::string_view::npos) start = end;
    }
    if (start != std::string_view::npos && tokenStart == std::string_view::npos &&
        field.substr(start, end - start).find('@') != std::string_view::npos) {
      tokenStart = start;
      tokenEnd = end;
    }
    std::size_t from = std::string_view::npos, to = 0;
    if (angleEnd != std::string_view::npos) from = angleStart, to = angleEnd;
    else if (tokenStart != std::string_view::npos) from = tokenStart, to = tokenEnd;
    if (from != std::string_view::npos && from < to) {
      const std::string_view address = field.substr(from, to - from);
      const std::string rewritten = rewrite(address);
      out.append(field.substr(i, from - i));
      out.append(rewritten);
      out.append(field.substr(to, std::min(end + 1, n) - to));
      changed = changed || rewritten != address;
    } else {
      out.append(field.substr(i, std::min(end + 1, n) - i));
    }
    i = end + 1;
  }
  if (!changed) return std::nullopt;
  return out;
}

}  // namespace posthorn::cleanup
