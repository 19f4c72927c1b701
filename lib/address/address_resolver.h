// address_resolver - which class a recipient address is in, and where it goes
//
// Postfix's trivial-rewrite idea: one place decides, for smtpd's RCPT check
// and for qmgr's routing alike, what an address is:
//
//   Local    the domain is in mydestination (or is an address literal
//            listed there or matching an inet_interfaces address)
//   Alias    the domain is in virtual_alias_domains (default
//            $virtual_alias_maps): it exists only through virtual_alias_maps,
//            which cleanup applies; an address that reaches the resolver
//            unrewritten is unknown (transport "error")
//   Virtual  the domain is in virtual_mailbox_domains
//   Relay    the domain is in relay_domains (we are its backup MX or
//            gateway; smtpd accepts it from anyone)
//   Remote   anything else; smtpd accepts it only from a client allowed to
//            relay (mynetworks, later SASL)
//   Refused  unroutable: the null address, no domain (other than a bare
//            postmaster), a malformed domain
//   TempFail a table could not be read; try again later (451 4.3.0 / defer)
//
// and the next hop: transport_maps (transport(5) syntax), else the class's
// transport (local_transport, virtual_transport, relay_transport,
// default_transport), whose nexthop defaults to relayhost for Relay and
// Remote, else $myhostname for Local and the recipient domain otherwise.
// See doc/address-resolution.md for the decision table.
//
// virtual_alias_maps rewriting is not done here (cleanup does it), and
// whether a local or virtual user exists is for the userdb and the aliases.
//
//   address::DirectTableLookup tables;                  // or MapdTableLookup
//   address::AddressResolver resolver(cfg, tables);     // config::ConfigError
//   auto r = resolver.resolve(rcpt);
//   switch (r.addressClass) { case address::AddressClass::Remote: ... }
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "lib/address/address.h"
#include "lib/map/table_lookup.h"

namespace posthorn::config {
class Config;
}

namespace posthorn::address {

enum class AddressClass { Local, Alias, Virtual, Relay, Remote, Refused, TempFail };

// "local", "alias", "virtual", "relay", "remote", "refused", "tempfail".
std::string_view className(AddressClass c);

struct Resolution {
  AddressClass addressClass = AddressClass::Refused;
  std::string transport;  // master.conf service: "local", "smtp", "error", ...
  std::string nexthop;    // "example.com", "[relay.example.com]:587", $myhostname
  // What decided the class or route, for logs: "mydestination",
  // "transport_maps hash:/etc/mail/transport key .example.com".
  std::string matched;
  std::string reason;  // Refused, TempFail and the error transport: why

  // Mail we deliver ourselves (Local, Virtual; Alias once rewritten).
  bool isFinalDestination() const {
    return addressClass == AddressClass::Local || addressClass == AddressClass::Virtual ||
           addressClass == AddressClass::Alias;
  }
  // smtpd must check relay permission (mynetworks, SASL) for this one.
  bool needsRelayPermission() const { return addressClass == AddressClass::Remote; }
  // "smtp:[relay.example.com]:587".
  std::string nextHopText() const { return transport + ":" + nexthop; }
};

// A nexthop as the smtp client reads it: "[host]:port" (no MX lookup),
// "host:port", "host", "[192.0.2.1]", "[2001:db8::1]:25".
struct NextHop {
  std::string host;  // without brackets (and without an "IPv6:" tag)
  std::string port;  // "" for the default; a number or a service name
  bool mxLookup = true;
};
std::optional<NextHop> parseNextHop(std::string_view nexthop);

// A Postfix domain match list: names ("example.com"), ".example.com" for
// subdomains only, "!name" exceptions (the first matching entry decides),
// and "type:name" tables whose keys are domains (any value matches). With
// parentMatchesSubdomains (Postfix's parent_domain_matches_subdomains) a
// name also matches its subdomains, and tables are searched for the parent
// domains themselves instead of ".parent". Address literals match only
// literally ("[127.0.0.1]").
class DomainList {
 public:
  DomainList() = default;
  // Throws config::ConfigError naming `param` for a bad entry.
  DomainList(const std::vector<std::string>& entries, bool parentMatchesSubdomains,
             std::string_view param);

  // domain in canonical form (lower case). Throws TableLookupError.
  bool matches(std::string_view domain, TableLookup& tables) const;
  // The entry that matched, for logs ("" when none).
  std::optional<std::string> findMatch(std::string_view domain, TableLookup& tables) const;
  bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    std::string text;  // as written
    std::string name;  // lower case; without "!" and leading "."
    bool table = false;
    bool negated = false;
    bool subdomainsOnly = false;  // ".example.com"
  };
  bool entryMatches(const Entry& e, std::string_view domain, TableLookup& tables) const;

  std::vector<Entry> entries_;
  bool parentMatches_ = false;
};

class AddressResolver {
 public:
  // Reads the parameters once (see doc/address-resolution.md); throws
  // config::ConfigError for a bad entry. `tables` must outlive this.
  AddressResolver(const config::Config& cfg, TableLookup& tables);

  // Never throws for table failures: those give AddressClass::TempFail.
  Resolution resolve(const Address& address);

  // Domain classes (domain: any case; address literals as "[...]").
  // Throw TableLookupError when a table cannot be read.
  bool isLocalDomain(std::string_view domain);
  bool isAliasDomain(std::string_view domain);
  bool isVirtualDomain(std::string_view domain);
  bool isRelayDomain(std::string_view domain);

  const std::string& myhostname() const { return myhostname_; }
  const std::string& recipientDelimiter() const { return recipientDelimiter_; }

 private:
  struct Route {
    std::string transport;
    std::string nexthop;
  };
  AddressClass classify(const std::string& domain, std::string* matched);
  bool isLocalLiteral(const std::string& literal) const;
  Route defaultRoute(AddressClass c, const std::string& domain) const;
  // transport_maps: fills *route and *matched when an entry applies.
  bool transportLookup(const Address& address, const std::string& domain, Route* route,
                       std::string* matched);

  TableLookup& tables_;
  std::string myhostname_;
  std::string recipientDelimiter_;
  std::string relayhost_;
  DomainList mydestination_;
  DomainList aliasDomains_;
  DomainList virtualDomains_;
  DomainList relayDomains_;
  std::set<std::string> interfaceLiterals_;  // "[192.0.2.1]", "[IPv6:::1]"
  std::vector<std::string> transportMaps_;
  bool transportParentMatches_ = false;
  Route localTransport_, virtualTransport_, relayTransport_, defaultTransport_;
};

}  // namespace posthorn::address
