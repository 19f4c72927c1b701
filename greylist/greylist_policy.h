// greylist_policy - greylist(8)'s decision for one policy request
//
// Postgrey's rules: a triplet (client network, sender, recipient) seen for
// the first time, or again less than greylist_delay after its first
// attempt, is deferred ("defer_if_permit Greylisted, retry in N seconds");
// one that comes back after the delay passes, the first time with
// "PREPEND X-Greylist: delayed N seconds by posthorn-greylist", later with
// DUNNO. A retry more than greylist_retry_window after the first attempt
// starts a new round; entries not seen for greylist_max_age are forgotten.
// A client network whose triplets passed greylist_auto_allowlist_clients
// times is not greylisted any more (0: never), nor are the clients and
// sender domains of greylist_allowlist.
//
//   greylist::Greylist grey(greylist::GreylistSettings::fromConfig(cfg), store);
//   std::string action = grey.decide(requestAttributes, now);   // "DUNNO", ...
#pragma once

#include <map>
#include <string>
#include <vector>

#include "greylist/greylist_store.h"
#include "lib/address/cidr.h"
#include "lib/config/config.h"

namespace posthorn::greylist {

struct GreylistSettings {
  Seconds delay = 300;
  Seconds maxAge = 35 * 86400;
  Seconds retryWindow = 2 * 86400;
  long autoAllowlistClients = 5;
  address::CidrList allowedClients;         // greylist_allowlist's networks
  std::vector<std::string> allowedDomains;  // its domains (".d" also subdomains)

  // Throws config::ConfigError for a bad greylist_allowlist entry.
  static GreylistSettings fromConfig(const config::Config& cfg);
  // Splits a greylist_allowlist into networks and domains.
  void setAllowlist(const std::vector<std::string>& entries);
};

// The client network of an address: /24 for IPv4, /64 for IPv6, as
// postgrey's --lookup-by-subnet; "" when the address does not parse.
std::string clientNetwork(const std::string& address);

class Greylist {
 public:
  Greylist(GreylistSettings settings, GreylistStore& store)
      : settings_(std::move(settings)), store_(store) {}

  // The reply's action for one request's attributes (client_address,
  // sender, recipient).
  std::string decide(const std::map<std::string, std::string>& attrs, Seconds now);

 private:
  bool allowlisted(const std::string& address, const std::string& sender) const;

  GreylistSettings settings_;
  GreylistStore& store_;
};

}  // namespace posthorn::greylist
