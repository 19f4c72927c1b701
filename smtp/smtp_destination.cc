// smtp_destination - nexthop syntax, MX and address lookups into targets
#include "smtp/smtp_destination.h"

#include <arpa/inet.h>

#include "lib/address/address_resolver.h"

namespace posthorn::smtp {

namespace {

bool isAddress(const std::string& s) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

Destination failure(bool permanent, std::string dsn, std::string error) {
  Destination d;
  d.permanent = permanent;
  d.dsnStatus = std::move(dsn);
  d.error = std::move(error);
  return d;
}

}  // namespace

int servicePort(const std::string& service) {
  if (service.empty() || service == "smtp") return 25;
  if (service == "submission") return 587;
  if (service == "smtps" || service == "submissions") return 465;
  if (service == "lmtp") return 24;
  if (service.size() > 5 || service.find_first_not_of("0123456789") != std::string::npos) return 0;
  const int p = std::stoi(service);
  return p > 0 && p <= 65535 ? p : 0;
}

Destination resolveDestination(const std::string& nexthop, dns::Resolver& resolver, int defaultPort) {
  const auto hop = address::parseNextHop(nexthop);
  if (!hop || hop->host.empty())
    return failure(true, "5.3.5", "bad next hop \"" + nexthop + "\"");
  const int port = hop->port.empty() ? defaultPort : servicePort(hop->port);
  if (port == 0) return failure(true, "5.3.5", "unknown port \"" + hop->port + "\" in next hop \"" + nexthop + "\"");

  Destination d;
  if (isAddress(hop->host)) {
    d.ok = true;
    d.targets.push_back({hop->host, hop->host, port, 0, false});
    return d;
  }
  std::vector<dns::MxHost> hosts;
  bool mxSecure = true;  // no MX lookup ([host]): only the address answer counts
  if (hop->mxLookup) {
    dns::MxResult mx = resolver.lookupMx(hop->host);
    mxSecure = mx.security == dns::Security::Secure;
    switch (mx.status) {
      case dns::Status::NullMx:
        return failure(true, "5.1.10", "Domain " + hop->host + " does not accept mail (nullMX)");
      case dns::Status::NotFound:
        return failure(true, "5.4.4", "Host or domain name not found. " + mx.error);
      case dns::Status::TempFail:
        return failure(false, "4.4.3", "Host or domain name not found. " + mx.error);
      case dns::Status::Ok:
        hosts = std::move(mx.hosts);
        break;
    }
  } else {
    hosts.push_back({hop->host, 0, true});
  }
  bool anyTemp = false;
  for (const auto& h : hosts) {
    dns::HostResult addrs = resolver.lookupHost(h.name);
    if (addrs.status != dns::Status::Ok) {
      anyTemp = anyTemp || addrs.status == dns::Status::TempFail;
      if (d.partialError.empty()) d.partialError = addrs.error;
      continue;
    }
    const bool secure = mxSecure && addrs.security == dns::Security::Secure;
    for (const auto& a : addrs.addresses) d.targets.push_back({h.name, a, port, h.preference, secure});
  }
  if (d.targets.empty()) {
    if (anyTemp) return failure(false, "4.4.3", "Host or domain name not found. " + d.partialError);
    return failure(true, "5.4.4", "Host or domain name not found. " + d.partialError);
  }
  d.ok = true;
  return d;
}

}  // namespace posthorn::smtp
