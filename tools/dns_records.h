// dns_records - the DNS records a mail domain needs, as `posthorn dns`
// prints and checks them
//
// From the configuration: myhostname, the server's public addresses, the
// DKIM keys of dkim_signing_maps and dmarc_report_address. Each record
// knows how to check itself against the DNS (RFC 7208 SPF evaluated by
// libspf2, DKIM keys compared, DMARC, TLS-RPT and MTA-STS parsed, RFC
// 6186 SRV targets and ports).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "lib/config/config.h"
#include "lib/dns/dns_resolver.h"

namespace posthorn::tools {

enum class DnsVerdict { Ok, Missing, Wrong, Unknown };

struct DnsCheck {
  DnsVerdict verdict = DnsVerdict::Unknown;
  std::string found;  // what the DNS has, for Wrong and Unknown
};

struct NeededRecord {
  std::string comment;  // why it is needed, one line
  std::string line;     // the zone-file line to publish
  std::function<DnsCheck(dns::Resolver&)> check;
};

struct DnsPlan {
  std::string domain, host;
  std::vector<std::string> addresses;  // public addresses: A/AAAA, SPF, PTR
  std::vector<NeededRecord> records;
  std::vector<std::string> notes;      // printed as comments: what could not be known
};

// Throws config::ConfigError (a bad signing table) or std::runtime_error.
DnsPlan planDns(const config::Config& cfg, const std::string& domain, std::vector<std::string> addresses);

}  // namespace posthorn::tools
