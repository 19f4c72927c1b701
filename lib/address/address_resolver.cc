// address_resolver - classifying recipient addresses and choosing their next hop
#include "lib/address/address_resolver.h"

#include <sys/socket.h>
#include <arpa/inet.h>

#include <algorithm>
#include <array>

#include "lib/address/cidr.h"
#include "lib/config/config.h"

namespace posthorn::address {

namespace {

[[noreturn]] void badEntry(const config::Config& cfg, std::string_view param,
                           const std::string& why) {
  throw config::ConfigError(cfg.origin(param).describe() + ": " + std::string(param) + ": " +
                            why);
}

// "type:name" (type of [a-z0-9_]) as opposed to a domain name or literal.
bool looksLikeTable(std::string_view entry) {
  const std::size_t colon = entry.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == entry.size()) return false;
  return std::all_of(entry.begin(), entry.begin() + static_cast<std::ptrdiff_t>(colon),
                     [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                     });
}

// "local:$myhostname" -> {local, myhostname}; "smtp" -> {smtp, ""}.
std::pair<std::string, std::string> splitTransport(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return {std::string(text), ""};
  return {std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

// The parent domains of a host name, nearest first: a.b.c -> b.c, c.
std::vector<std::string_view> parents(std::string_view domain) {
  std::vector<std::string_view> out;
  if (domain.empty() || domain.front() == '[') return out;
  std::size_t dot = domain.find('.');
  while (dot != std::string_view::npos) {
    out.push_back(domain.substr(dot + 1));
    dot = domain.find('.', dot + 1);
  }
  return out;
}

// "[IPv6:2001:db8::1]" -> "[2001:db8::1]" (how a nexthop writes it).
std::string literalNexthop(const std::string& domain) {
  if (domain.rfind("[IPv6:", 0) == 0) return "[" + domain.substr(6);
  return domain;
}

}  // namespace

std::string_view className(AddressClass c) {
  switch (c) {
    case AddressClass::Local: return "local";
    case AddressClass::Alias: return "alias";
    case AddressClass::Virtual: return "virtual";
    case AddressClass::Relay: return "relay";
    case AddressClass::Remote: return "remote";
    case AddressClass::Refused: return "refused";
    case AddressClass::TempFail: return "tempfail";
  }
  return "unknown";
}

std::optional<NextHop> parseNextHop(std::string_view nexthop) {
  NextHop hop;
  std::string_view rest;
  if (nexthop.empty()) return std::nullopt;
  if (nexthop.front() == '[') {
    const std::size_t close = nexthop.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view host = nexthop.substr(1, close - 1);
    if (host.size() > 5 && (host.substr(0, 5) == "IPv6:" || host.substr(0, 5) == "ipv6:")) {
      host.remove_prefix(5);
    }
    hop.host = std::string(host);
    hop.mxLookup = false;
    rest = nexthop.substr(close + 1);
  } else {
    const std::size_t colon = nexthop.find(':');
    hop.host = std::string(nexthop.substr(0, colon));
    if (colon != std::string_view::npos) rest = nexthop.substr(colon);
  }
  if (hop.host.empty()) return std::nullopt;
  if (!rest.empty()) {
    if (rest.front() != ':' || rest.size() < 2) return std::nullopt;
    const std::string_view port = rest.substr(1);
    for (char c : port) {
      const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      c == '-' || c == '_';
      if (!ok) return std::nullopt;
    }
    hop.port = std::string(port);
  }
  return hop;
}

// --- DomainList ---

DomainList::DomainList(const std::vector<std::string>& entries, bool parentMatchesSubdomains,
                       std::string_view param)
    : parentMatches_(parentMatchesSubdomains) {
  for (const std::string& text : entries) {
    Entry e;
    e.text = text;
    std::string_view rest = text;
    if (!rest.empty() && rest.front() == '!') {
      e.negated = true;
      rest.remove_prefix(1);
    }
    if (rest.empty()) {
      throw config::ConfigError(std::string(param) + ": empty entry \"" + text + "\"");
    }
    if (rest.front() == '/') {
      throw config::ConfigError(std::string(param) + ": \"" + text +
                                "\": file names are not supported in domain lists; "
                                "use a table (hash:" + std::string(rest) + ")");
    }
    if (rest.front() == '[') {
      std::string why;
      auto literal = canonicalDomain(rest, false, &why);
      if (!literal) throw config::ConfigError(std::string(param) + ": " + why);
      e.name = *literal;
    } else if (looksLikeTable(rest)) {
      e.table = true;
      e.name = std::string(rest);
    } else {
      if (rest.front() == '.') {
        e.subdomainsOnly = true;
        rest.remove_prefix(1);
      }
      // Host names are compared as text; a malformed one simply never
      // matches a parsed address, so an odd $myhostname cannot stop a daemon.
      if (rest.empty() || rest.find_first_of("@:[]") != std::string_view::npos) {
        throw config::ConfigError(std::string(param) + ": \"" + text +
                                  "\" is not a domain name, address literal or type:table");
      }
      e.name = foldCase(rest);
      if (e.name.back() == '.') e.name.pop_back();  // "example.com." as written in DNS
    }
    entries_.push_back(std::move(e));
  }
}

bool DomainList::entryMatches(const Entry& e, std::string_view domain,
                              TableLookup& tables) const {
  if (e.table) {
    if (tables.lookup(e.name, domain)) return true;
    for (std::string_view parent : parents(domain)) {
      const std::string key = parentMatches_ ? std::string(parent) : "." + std::string(parent);
      if (tables.lookup(e.name, key)) return true;
    }
    return false;
  }
  const auto isSubdomain = [&] {
    return domain.size() > e.name.size() && domain.ends_with(e.name) &&
           domain[domain.size() - e.name.size() - 1] == '.' && e.name.front() != '[';
  };
  if (e.subdomainsOnly) return isSubdomain();
  if (domain == e.name) return true;
  return parentMatches_ && isSubdomain();
}

std::optional<std::string> DomainList::findMatch(std::string_view domain,
                                                 TableLookup& tables) const {
  for (const Entry& e : entries_) {
    if (entryMatches(e, domain, tables)) {
      if (e.negated) return std::nullopt;
      return e.text;
    }
  }
  return std::nullopt;
}

bool DomainList::matches(std::string_view domain, TableLookup& tables) const {
  return findMatch(domain, tables).has_value();
}

// --- AddressResolver ---

AddressResolver::AddressResolver(const config::Config& cfg, TableLookup& tables)
    : tables_(tables) {
  myhostname_ = foldCase(cfg.get("myhostname"));
  recipientDelimiter_ = cfg.get("recipient_delimiter");
  relayhost_ = cfg.get("relayhost");
  if (!relayhost_.empty() && !parseNextHop(relayhost_)) {
    badEntry(cfg, "relayhost",
             "bad value \"" + relayhost_ + "\" (expected host, host:port or [host]:port)");
  }

  const std::vector<std::string> parentList =
      cfg.getList("parent_domain_matches_subdomains");
  const auto parentMatches = [&](std::string_view param) {
    return std::find(parentList.begin(), parentList.end(), param) != parentList.end();
  };
  const auto domainList = [&](std::string_view param) {
    try {
      return DomainList(cfg.getList(param), parentMatches(param), param);
    } catch (const config::ConfigError& e) {
      throw config::ConfigError(cfg.origin(param).describe() + ": " + e.what());
    }
  };
  mydestination_ = domainList("mydestination");
  aliasDomains_ = domainList("virtual_alias_domains");
  virtualDomains_ = domainList("virtual_mailbox_domains");
  relayDomains_ = domainList("relay_domains");

  // Address literals of our own interfaces are local (Postfix: those
  // matching inet_interfaces or proxy_interfaces). "all" would need the
  // host's interface list; list such literals in mydestination instead.
  std::vector<std::string> interfaces = cfg.getList("inet_interfaces");
  for (const std::string& p : cfg.getList("proxy_interfaces")) interfaces.push_back(p);
  for (const std::string& name : interfaces) {
    if (foldCase(name) == "loopback-only") {
      interfaceLiterals_.insert("[127.0.0.1]");
      interfaceLiterals_.insert("[IPv6:::1]");
      continue;
    }
    std::array<std::uint8_t, 16> bytes{};
    if (const auto family = parseIpAddress(name, &bytes)) {
      char buf[INET6_ADDRSTRLEN];
      inet_ntop(*family, bytes.data(), buf, sizeof buf);
      interfaceLiterals_.insert(*family == AF_INET6 ? "[IPv6:" + std::string(buf) + "]"
                                                   : "[" + std::string(buf) + "]");
    }
  }

  transportMaps_ = cfg.getList("transport_maps");
  for (const std::string& t : transportMaps_) {
    if (!looksLikeTable(t)) {
      badEntry(cfg, "transport_maps", "\"" + t + "\" is not a type:name table");
    }
  }
  transportParentMatches_ = parentMatches("transport_maps");

  const auto transportParam = [&](std::string_view name) {
    auto [transport, nexthop] = splitTransport(cfg.get(name));
    if (transport.empty()) badEntry(cfg, name, "empty transport name");
    return Route{transport, nexthop};
  };
  // Our local agent delivers to virtual mailboxes as well, hence "local".
  localTransport_ = transportParam("local_transport");
  // "local:$myhostname" names this host: one spelling for qmgr's queues.
  if (foldCase(localTransport_.nexthop) == myhostname_) localTransport_.nexthop = myhostname_;
  virtualTransport_ = transportParam("virtual_transport");
  relayTransport_ = transportParam("relay_transport");
  defaultTransport_ = transportParam("default_transport");
}

bool AddressResolver::isLocalLiteral(const std::string& literal) const {
  return interfaceLiterals_.count(literal) != 0;
}

namespace {

// Canonical form of a domain given to the is*Domain() functions; nullopt
// when it is not a domain at all.
std::optional<std::string> normalDomain(std::string_view domain) {
  if (!domain.empty() && domain.front() == '[') return canonicalDomain(domain, false);
  if (domain.empty()) return std::nullopt;
  return foldCase(domain);
}

}  // namespace

bool AddressResolver::isLocalDomain(std::string_view domain) {
  const auto d = normalDomain(domain);
  if (!d) return false;
  if (d->front() == '[' && isLocalLiteral(*d)) return true;
  return mydestination_.matches(*d, tables_);
}

bool AddressResolver::isAliasDomain(std::string_view domain) {
  const auto d = normalDomain(domain);
  return d && aliasDomains_.matches(*d, tables_);
}

bool AddressResolver::isVirtualDomain(std::string_view domain) {
  const auto d = normalDomain(domain);
  return d && virtualDomains_.matches(*d, tables_);
}

bool AddressResolver::isRelayDomain(std::string_view domain) {
  const auto d = normalDomain(domain);
  return d && relayDomains_.matches(*d, tables_);
}

AddressClass AddressResolver::classify(const std::string& domain, std::string* matched) {
  if (domain.front() == '[' && isLocalLiteral(domain)) {
    *matched = "inet_interfaces";
    return AddressClass::Local;
  }
  const std::pair<const DomainList*, AddressClass> order[] = {
      {&mydestination_, AddressClass::Local},
      {&aliasDomains_, AddressClass::Alias},
      {&virtualDomains_, AddressClass::Virtual},
      {&relayDomains_, AddressClass::Relay},
  };
  const char* const names[] = {"mydestination", "virtual_alias_domains",
                               "virtual_mailbox_domains", "relay_domains"};
  for (std::size_t i = 0; i < std::size(order); ++i) {
    if (auto entry = order[i].first->findMatch(domain, tables_)) {
      *matched = std::string(names[i]) + " " + *entry;
      return order[i].second;
    }
  }
  *matched = "";
  return AddressClass::Remote;
}

AddressResolver::Route AddressResolver::defaultRoute(AddressClass c,
                                                      const std::string& domain) const {
  const auto withNexthop = [&](const Route& r, const std::string& fallback) {
    return Route{r.transport, r.nexthop.empty() ? fallback : r.nexthop};
  };
  const std::string destination = literalNexthop(domain);
  switch (c) {
    case AddressClass::Local:
      return withNexthop(localTransport_, myhostname_);
    case AddressClass::Virtual:
      return withNexthop(virtualTransport_, domain);
    case AddressClass::Alias:
      return Route{"error", "5.1.1 User unknown in virtual alias table"};
    case AddressClass::Relay:
      return withNexthop(relayTransport_, relayhost_.empty() ? destination : relayhost_);
    case AddressClass::Remote:
      return withNexthop(defaultTransport_, relayhost_.empty() ? destination : relayhost_);
    case AddressClass::Refused:
    case AddressClass::TempFail:
      break;
  }
  return Route{"error", ""};
}

bool AddressResolver::transportLookup(const Address& address, const std::string& domain,
                                      Route* route, std::string* matched) {
  if (transportMaps_.empty()) return false;
  std::vector<std::string> keys;
  const std::string local = foldCase(address.localPart);
  keys.push_back(local + "@" + domain);
  const LocalPartSplit split = splitExtension(local, recipientDelimiter_);
  if (split.extension) keys.push_back(split.user + "@" + domain);
  keys.push_back(domain);
  for (std::string_view parent : parents(domain)) {
    keys.push_back(transportParentMatches_ ? std::string(parent) : "." + std::string(parent));
  }
  keys.push_back("*");

  for (const std::string& key : keys) {
    for (const std::string& table : transportMaps_) {
      const std::optional<std::string> value = tables_.lookup(table, key);
      if (!value) continue;
      // transport(5): "transport:nexthop"; an empty transport or nexthop
      // keeps the one the class would use.
      auto [transport, nexthop] = splitTransport(*value);
      while (!transport.empty() && (transport.back() == ' ' || transport.back() == '\t')) {
        transport.pop_back();
      }
      if (!transport.empty()) route->transport = transport;
      if (!nexthop.empty()) route->nexthop = nexthop;
      *matched = "transport_maps " + table + " key " + key;
      return true;
    }
  }
  return false;
}

Resolution AddressResolver::resolve(const Address& address) {
  Resolution r;
  if (address.isNull()) {
    r.addressClass = AddressClass::Refused;
    r.transport = "error";
    r.reason = "the null address <> has no destination";
    return r;
  }
  if (!address.hasDomain()) {
    if (!address.isPostmaster()) {
      r.addressClass = AddressClass::Refused;
      r.transport = "error";
      r.reason = "address has no domain";
      return r;
    }
    // RFC 5321 4.5.1: a bare postmaster is ours.
    r.addressClass = AddressClass::Local;
    const Route route = defaultRoute(AddressClass::Local, myhostname_);
    r.transport = route.transport;
    r.nexthop = route.nexthop;
    r.matched = "postmaster";
    return r;
  }
  std::string why;
  const std::optional<std::string> domain =
      address.domain.front() == '[' ? canonicalDomain(address.domain, false, &why)
                                    : std::optional<std::string>(foldCase(address.domain));
  if (!domain) {
    r.addressClass = AddressClass::Refused;
    r.transport = "error";
    r.reason = why;
    return r;
  }
  try {
    r.addressClass = classify(*domain, &r.matched);
    Route route = defaultRoute(r.addressClass, *domain);
    if (r.addressClass == AddressClass::Alias) {
      r.reason = route.nexthop;
    } else {
      std::string transportMatched;
      if (transportLookup(address, *domain, &route, &transportMatched)) {
        r.matched += (r.matched.empty() ? "" : "; ") + transportMatched;
      }
      if (route.transport == "error") r.reason = route.nexthop;
    }
    r.transport = std::move(route.transport);
    r.nexthop = std::move(route.nexthop);
  } catch (const TableLookupError& e) {
    r = Resolution{};
    r.addressClass = AddressClass::TempFail;
    r.reason = e.what();
  }
  return r;
}

}  // namespace posthorn::address
