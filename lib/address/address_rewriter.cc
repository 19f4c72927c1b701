// address_rewriter - canonical, masquerade and virtual alias rewriting
#include "lib/address/address_rewriter.h"

#include <algorithm>
#include <set>

#include "lib/address/address.h"
#include "lib/config/config.h"

namespace posthorn::address {
namespace {

// canonical(5): a 1:1 mapping that keeps changing an address stops here.
constexpr int kCanonicalRounds = 10;

[[noreturn]] void bad(std::string_view name, const std::string& why) {
  throw config::ConfigError(std::string(name) + ": " + why);
}

unsigned parseClasses(const config::Config& cfg, std::string_view param) {
  unsigned bits = 0;
  for (const std::string& word : cfg.getList(param)) {
    const std::string w = foldCase(word);
    if (w == "envelope_sender") bits |= rewrite_class::kEnvelopeSender;
    else if (w == "envelope_recipient") bits |= rewrite_class::kEnvelopeRecipient;
    else if (w == "header_sender") bits |= rewrite_class::kHeaderSender;
    else if (w == "header_recipient") bits |= rewrite_class::kHeaderRecipient;
    else bad(param, "unknown class \"" + word + "\"");
  }
  return bits;
}

struct Split {
  std::string local, domain;  // domain lower case; "" when there is no '@'
};

Split splitAddress(std::string_view address) {
  const auto at = address.rfind('@');
  if (at == std::string_view::npos) return {std::string(address), ""};
  return {std::string(address.substr(0, at)), foldCase(address.substr(at + 1))};
}

bool sameAddress(std::string_view a, std::string_view b) { return foldCase(a) == foldCase(b); }

}  // namespace

RewriteSettings RewriteSettings::fromConfig(const config::Config& cfg) {
  RewriteSettings s;
  s.canonicalMaps = cfg.getList("canonical_maps");
  s.senderCanonicalMaps = cfg.getList("sender_canonical_maps");
  s.recipientCanonicalMaps = cfg.getList("recipient_canonical_maps");
  s.virtualAliasMaps = cfg.getList("virtual_alias_maps");
  s.canonicalClasses = parseClasses(cfg, "canonical_classes");
  s.masqueradeClasses = parseClasses(cfg, "masquerade_classes");
  for (const std::string& d : cfg.getList("masquerade_domains")) {
    const bool negated = !d.empty() && d.front() == '!';
    std::string name = foldCase(std::string_view(d).substr(negated ? 1 : 0));
    if (!name.empty() && name.front() == '.') name.erase(0, 1);
    if (name.empty()) bad("masquerade_domains", "empty domain in \"" + d + "\"");
    s.masqueradeDomains.push_back((negated ? "!" : "") + name);
  }
  for (const std::string& e : cfg.getList("masquerade_exceptions"))
    s.masqueradeExceptions.push_back(foldCase(e));
  s.recipientDelimiter = cfg.get("recipient_delimiter");
  for (const std::string& word : cfg.getList("propagate_unmatched_extensions")) {
    const std::string w = foldCase(word);
    if (w == "canonical") s.propagateCanonical = true;
    else if (w == "virtual") s.propagateVirtual = true;
    // Postfix's other classes (alias, forward, include, generic) belong to
    // local(8) and smtp(8); they are accepted and not used here.
    else if (w != "alias" && w != "forward" && w != "include" && w != "generic")
      bad("propagate_unmatched_extensions", "unknown class \"" + word + "\"");
  }
  s.recursionLimit = cfg.getInt("virtual_alias_recursion_limit");
  if (s.recursionLimit < 1) bad("virtual_alias_recursion_limit", "must be at least 1");
  const long long expansion = cfg.getInt("virtual_alias_expansion_limit");
  if (expansion < 1) bad("virtual_alias_expansion_limit", "must be at least 1");
  s.expansionLimit = static_cast<std::size_t>(expansion);
  s.myorigin = foldCase(cfg.get("myorigin"));
  return s;
}

bool RewriteSettings::active() const {
  return !canonicalMaps.empty() || !senderCanonicalMaps.empty() ||
         !recipientCanonicalMaps.empty() || !virtualAliasMaps.empty() ||
         (!masqueradeDomains.empty() && masqueradeClasses != 0);
}

std::vector<std::string> splitTableValue(std::string_view value) {
  std::vector<std::string> out;
  std::string current;
  bool inQuotes = false;
  auto flush = [&] {
    std::string a = current;
    if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
    if (!a.empty()) out.push_back(a);
    current.clear();
  };
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (inQuotes) {
      if (c == '\\' && i + 1 < value.size()) current += value[++i];
      else if (c == '"') inQuotes = false;
      else current += c;
      continue;
    }
    if (c == '"') {
      inQuotes = true;
    } else if (c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      flush();
    } else {
      current += c;
    }
  }
  flush();
  return out;
}

std::string masqueradeAddress(std::string_view address, const std::vector<std::string>& domains,
                              const std::vector<std::string>& exceptions) {
  const Split a = splitAddress(address);
  if (a.domain.empty() || a.domain.front() == '[') return std::string(address);
  const std::string user = foldCase(a.local);
  if (std::find(exceptions.begin(), exceptions.end(), user) != exceptions.end())
    return std::string(address);
  for (const std::string& entry : domains) {
    const bool negated = entry.front() == '!';
    const std::string_view masq = std::string_view(entry).substr(negated ? 1 : 0);
    if (masq == a.domain) return std::string(address);
    if (masq.size() < a.domain.size() &&
        a.domain.compare(a.domain.size() - masq.size(), masq.size(), masq) == 0 &&
        a.domain[a.domain.size() - masq.size() - 1] == '.') {
      if (negated) return std::string(address);
      return a.local + "@" + std::string(masq);
    }
  }
  return std::string(address);
}

AddressRewriter::AddressRewriter(const config::Config& cfg, TableLookup& tables)
    : settings_(RewriteSettings::fromConfig(cfg)), tables_(tables), resolver_(cfg, tables) {}

bool AddressRewriter::isLocal(std::string_view domain) {
  return domain == settings_.myorigin || resolver_.isLocalDomain(domain);
}

std::optional<std::vector<std::string>> AddressRewriter::lookup(
    const std::vector<std::string>& tables, const std::string& address, bool propagate) {
  if (tables.empty()) return std::nullopt;
  const Split a = splitAddress(address);
  const LocalPartSplit ext = splitExtension(a.local, settings_.recipientDelimiter);
  struct Key {
    std::string text;
    bool extensionUnmatched;
  };
  std::vector<Key> keys;
  const std::string at = a.domain.empty() ? "" : "@" + a.domain;
  keys.push_back({a.local + at, false});
  if (ext.extension) keys.push_back({ext.user + at, true});
  if (a.domain.empty() || isLocal(a.domain)) {
    if (!a.domain.empty()) {
      keys.push_back({a.local, false});
      if (ext.extension) keys.push_back({ext.user, true});
    }
  }
  if (!a.domain.empty()) keys.push_back({at, ext.extension.has_value()});

  for (const Key& key : keys) {
    for (const std::string& table : tables) {
      const std::optional<std::string> value = tables_.lookup(table, key.text);
      if (!value) continue;
      std::vector<std::string> result;
      for (std::string r : splitTableValue(*value)) {
        if (r.front() == '@') {
          r = a.local + r;  // "@otherdomain": the same user there
        } else {
          if (r.find('@') == std::string::npos) r += "@" + settings_.myorigin;
          if (propagate && key.extensionUnmatched && ext.extension) {
            const auto rat = r.rfind('@');
            r.insert(rat, std::string(1, ext.delimiter) + *ext.extension);
          }
        }
        result.push_back(std::move(r));
      }
      if (!result.empty()) return result;
    }
  }
  return std::nullopt;
}

std::string AddressRewriter::mapCanonical(const std::vector<std::string>& tables,
                                          std::string address) {
  for (int round = 0; round < kCanonicalRounds; ++round) {
    const auto result = lookup(tables, address, settings_.propagateCanonical);
    if (!result) break;
    const bool same = sameAddress(result->front(), address);
    address = result->front();  // a change of case counts, once
    if (same) break;
  }
  return address;
}

std::string AddressRewriter::rewrite(const std::string& address, unsigned cls,
                                     const std::vector<std::string>& ownMaps) {
  if (address.empty()) return address;
  std::string out = address;
  if (settings_.canonicalClasses & cls) {
    out = mapCanonical(ownMaps, out);
    out = mapCanonical(settings_.canonicalMaps, out);
  }
  if (settings_.masqueradeClasses & cls)
    out = masqueradeAddress(out, settings_.masqueradeDomains, settings_.masqueradeExceptions);
  return out;
}

std::string AddressRewriter::rewriteSender(const std::string& address, unsigned cls) {
  return rewrite(address, cls, settings_.senderCanonicalMaps);
}

std::string AddressRewriter::rewriteRecipient(const std::string& address, unsigned cls) {
  return rewrite(address, cls, settings_.recipientCanonicalMaps);
}

bool AddressRewriter::hasVirtualEntry(const std::string& address) {
  return lookup(settings_.virtualAliasMaps, address, false).has_value();
}

// Postfix's cleanup_map1n: the list grows as results come in; each entry
// is looked up until it has no entry or has expanded into itself.
std::vector<std::string> AddressRewriter::expandVirtual(const std::string& address) {
  std::vector<std::string> list{address};
  if (settings_.virtualAliasMaps.empty()) return list;
  std::set<std::string> selfExpanded;  // folded
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (list.size() > settings_.expansionLimit)
      throw RewriteLimitError("unreasonable virtual_alias_maps map expansion size for " + address);
    for (long long depth = 0;; ++depth) {
      if (selfExpanded.count(foldCase(list[i]))) break;
      if (depth >= settings_.recursionLimit)
        throw RewriteLimitError("unreasonable virtual_alias_maps map nesting for " + address);
      auto result = lookup(settings_.virtualAliasMaps, list[i], settings_.propagateVirtual);
      if (!result) break;
      const std::string lhs = list[i];
      for (std::size_t j = 0; j < result->size(); ++j) {
        if (j == 0) list[i] = (*result)[j];
        else list.push_back((*result)[j]);
        if (sameAddress(lhs, (*result)[j])) selfExpanded.insert(foldCase(lhs));
      }
    }
  }
  if (list.size() > settings_.expansionLimit)
    throw RewriteLimitError("unreasonable virtual_alias_maps map expansion size for " + address);
  return list;
}

}  // namespace posthorn::address
