// smtpd_policy - the relay and recipient checks
#include "smtpd/smtpd_policy.h"

#include <ctime>

#include "lib/config/config.h"
#include "lib/log/log.h"
#include "lib/util/ascii.h"

namespace posthorn::smtpd {

namespace {

address::CidrList parseNetworks(const std::vector<std::string>& entries, const char* param) {
  try {
    return address::CidrList::parse(entries, param);
  } catch (const address::CidrError& e) {
    throw config::ConfigError(e.what());
  }
}

// smtpd_dmarc_allowlist holds networks and domains: an entry that is an
// address or network goes to the first list, any other to the second.
void splitAllowlist(const std::vector<std::string>& entries, std::vector<std::string>* networks,
                    std::vector<std::string>* domains) {
  for (const std::string& e : entries) {
    try {
      address::CidrList::parseEntry(e);
      networks->push_back(e);
    } catch (const address::CidrError& why) {
      // Something meant as an address or network that is not one must not
      // pass silently as a domain nobody has.
      if (e.find_first_of("/:[]") != std::string::npos ||
          e.find_first_not_of("0123456789.") == std::string::npos)
        throw config::ConfigError(std::string("smtpd_dmarc_allowlist: ") + why.what());
      std::string d = util::lower(e);
      if (!d.empty() && d.front() == '.') d.erase(0, 1);
      domains->push_back(d);
    }
  }
}

}  // namespace

Policy::Policy(const Settings& settings, Lookups& lookups)
    : settings_(settings),
      lookups_(lookups),
      mynetworks_(parseNetworks(settings.mynetworks, "mynetworks")),
      bareNewlineExclusions_(parseNetworks(settings.bareNewlineExclusions,
                                           "smtpd_forbid_bare_newline_exclusions")),
      mailauthIgnoreHosts_(parseNetworks(settings.mailauthIgnoreHosts, "smtpd_mailauth_ignore_hosts")) {
  std::vector<std::string> networks;
  splitAllowlist(settings.dmarcAllowlist, &networks, &dmarcAllowDomains_);
  dmarcAllowNetworks_ = parseNetworks(networks, "smtpd_dmarc_allowlist");
  restrictions_ = std::make_unique<Restrictions>(settings_, *this, lookups_);
}

Policy::~Policy() = default;

bool Policy::mailauthIgnored(std::string_view clientAddress) const {
  return mailauthIgnoreHosts_.matches(clientAddress);
}

bool Policy::dmarcAllowlisted(std::string_view clientAddress, std::string_view fromDomain) const {
  if (dmarcAllowNetworks_.matches(clientAddress)) return true;
  const std::string from = util::lower(fromDomain);
  for (const std::string& d : dmarcAllowDomains_) {
    if (from == d || (from.size() > d.size() && from.compare(from.size() - d.size(), d.size(), d) == 0 &&
                      from[from.size() - d.size() - 1] == '.'))
      return true;
  }
  return false;
}

bool Policy::trustedClient(std::string_view clientAddress) const {
  return mynetworks_.matches(clientAddress);
}

bool Policy::bareNewlineExcluded(std::string_view clientAddress) const {
  return bareNewlineExclusions_.matches(clientAddress);
}

bool Policy::inTables(const std::vector<std::string>& tables,
                      const std::vector<std::string>& keys) {
  for (const auto& table : tables) {
    for (const auto& key : keys) {
      if (lookups_.tableLookup(table, key)) return true;
    }
  }
  return false;
}

bool Policy::aliasKnown(const address::Address& recipient) {
  if (settings_.aliasMaps.empty()) return false;
  const std::string local = address::foldCase(recipient.localPart);
  std::vector<std::string> keys{local};
  auto split = address::splitExtension(local, settings_.recipientDelimiter);
  if (split.extension) keys.push_back(split.user);
  return inTables(settings_.aliasMaps, keys);
}

bool Policy::virtualAliasKnown(const address::Address& recipient, bool localClass) {
  if (settings_.virtualAliasMaps.empty()) return false;
  const std::string local = address::foldCase(recipient.localPart);
  std::vector<std::string> keys{local + "@" + recipient.domain};
  auto split = address::splitExtension(local, settings_.recipientDelimiter);
  if (split.extension) keys.push_back(split.user + "@" + recipient.domain);
  if (localClass || address::foldCase(recipient.domain) == address::foldCase(settings_.myorigin)) {
    keys.push_back(local);
    if (split.extension) keys.push_back(split.user);
  }
  keys.push_back("@" + recipient.domain);
  return inTables(settings_.virtualAliasMaps, keys);
}

std::optional<Reply> Policy::checkRecipient(const address::Address& recipient,
                                            bool trustedClient) {
  const std::string addr = recipient.toString();
  auto unknown = [&](int code, const char* table) {
    return Reply(code, withClass(code, "5.1.1"),
                 quoted(addr) + ": Recipient address rejected: User unknown in " + table);
  };
  const Reply tempFail(451, "4.3.0", quoted(addr) + ": Temporary lookup failure");
  // A bounce to an address we made when forwarding: genuine ones go back
  // to the original sender (cleanup decodes them), forged ones stop here.
  if (settings_.srs && settings_.srs->isSrsAddress(addr)) {
    std::string why;
    if (settings_.srs->reverse(addr, std::time(nullptr), &why)) return std::nullopt;
    return Reply(550, "5.1.1", quoted(addr) + ": Recipient address rejected: " + why);
  }
  try {
    const address::Resolution r = lookups_.resolve(recipient);
    switch (r.addressClass) {
      case address::AddressClass::Relay:
        return std::nullopt;
      case address::AddressClass::Remote:
        if (trustedClient) return std::nullopt;
        return Reply(settings_.relayRejectCode, withClass(settings_.relayRejectCode, "5.7.1"),
                     quoted(addr) + ": Relay access denied");
      case address::AddressClass::Local:
        if (recipient.isPostmaster()) return std::nullopt;
        if (lookups_.userExists(addr) || aliasKnown(recipient) || virtualAliasKnown(recipient, true))
          return std::nullopt;
        return unknown(settings_.unknownLocalRejectCode, "local recipient table");
      case address::AddressClass::Virtual:
        if (lookups_.userExists(addr) || virtualAliasKnown(recipient, false)) return std::nullopt;
        return unknown(settings_.unknownVirtualRejectCode, "virtual mailbox table");
      case address::AddressClass::Alias:
        if (virtualAliasKnown(recipient, false)) return std::nullopt;
        return unknown(550, "virtual alias table");
      case address::AddressClass::Refused:
        return Reply(550, "5.1.2",
                     quoted(addr) + ": Recipient address rejected: " +
                         (r.reason.empty() ? std::string("unroutable address") : r.reason));
      case address::AddressClass::TempFail:
        log::warning("%s: address resolution failed: %s", addr.c_str(), r.reason.c_str());
        return tempFail;
    }
  } catch (const LookupError& e) {
    log::warning("%s: recipient lookup failed: %s", addr.c_str(), e.what());
    return tempFail;
  }
  return tempFail;
}

bool Policy::isLocalDomain(const address::Address& address) {
  const address::Resolution r = lookups_.resolve(address);
  if (r.addressClass == address::AddressClass::TempFail) throw LookupError(r.reason);
  return r.addressClass == address::AddressClass::Local;
}

std::optional<std::string> Policy::senderLogins(const address::Address& sender) {
  const std::string local = address::foldCase(sender.localPart);
  const std::string domain = address::foldCase(sender.domain);
  for (const std::string& key : {local + "@" + domain, "@" + domain}) {
    for (const auto& table : settings_.senderLoginMaps) {
      if (auto value = lookups_.tableLookup(table, key)) return value;
    }
  }
  return std::nullopt;
}

}  // namespace posthorn::smtpd
