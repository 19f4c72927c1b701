// smtp_destination - from a request's nexthop to the addresses to try
//
//   "example.com"          MX lookup (implicit MX when there is none)
//   "[mail.example.com]"   no MX lookup: the host's addresses
//   "[192.0.2.1]:2525"     that address and port
//
// Null MX fails with 5.1.10 at once; NXDOMAIN (and no address at all)
// fails with 5.4.4; SERVFAIL and timeouts defer with 4.4.3.
#pragma once

#include <string>
#include <vector>

#include "lib/dns/dns_resolver.h"

namespace posthorn::smtp {

struct Target {
  std::string hostname;  // the MX host (or the address itself for literals)
  std::string address;
  int port = 25;
  std::uint16_t preference = 0;
  bool secure = false;  // the MX and address answers were DNSSEC-secure (DANE needs it)
};

struct Destination {
  bool ok = false;
  bool permanent = false;       // when !ok
  std::string dsnStatus;        // when !ok: "5.1.10", "5.4.4", "4.4.3"
  std::string error;            // when !ok
  std::vector<Target> targets;  // when ok: in the order to try
  // DNS trouble on some MX hosts while others had addresses: the text for
  // when all of those fail, and whether it was temporary.
  std::string partialError;
};

// The port of "smtp", "submission", "25", ...; 0 when unknown.
int servicePort(const std::string& service);

// defaultPort: for a next hop without one (smtp_tcp_port).
Destination resolveDestination(const std::string& nexthop, dns::Resolver& resolver, int defaultPort = 25);

}  // namespace posthorn::smtp
