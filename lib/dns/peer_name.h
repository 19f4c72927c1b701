// peer_name - a client's forward-confirmed reverse name (FCrDNS, RFC 8601
// "iprev"), looked up without blocking
//
// PTR of the address, then the addresses of each name found (A for an
// IPv4 client, AAAA for IPv6), all at once, until one lists the client's
// address: the whole lookup takes at most two resolver deadlines. At most
// kMaxNames PTR names are tried, as RFC 8601 section 3 bounds the work a
// client's DNS can cause, and only names that are host names (a PTR
// target with spaces or brackets is not one).
//
//   dns::lookupPeerName(events, "192.0.2.7", [](dns::PeerName n) {
//     n.name;      // "mail.example.com", or "unknown"
//     n.iprev();   // "pass", "fail", "permerror", "temperror"
//   });
#pragma once

#include <functional>
#include <string>

#include "lib/dns/dns_async.h"

namespace posthorn::dns {

struct PeerName {
  enum class Status {
    Verified,  // a PTR name leads back to the address
    NoName,    // no PTR record (NXDOMAIN or no data), or none that is a host name
    Mismatch,  // PTR names, none of which leads back: forged or broken
    TempFail,  // the DNS did not answer; nothing is known
  };
  static constexpr int kMaxNames = 10;

  Status status = Status::TempFail;
  std::string name = "unknown";  // the verified name, else "unknown" (Postfix's client_name)
  std::string ptrName;           // the first PTR name, verified or not ("" none): reverse_client_name
  std::string error;             // why not Verified, for the log

  // RFC 8601 iprev: pass, fail (Mismatch), permerror (NoName) or temperror.
  const char* iprev() const;
};

// Starts the lookup; `done` runs from the loop when it is over (each step
// bounded by the resolver's deadline), or at once for something that is
// not an IP address (NoName).
void lookupPeerName(EventResolver& events, const std::string& address,
                    std::function<void(PeerName)> done);

// The same, waiting for the answer in a loop of its own: for commands
// (posthorn auth check), not for daemons, whose loop must go on.
PeerName lookupPeerNameNow(Resolver& resolver, const std::string& address);

}  // namespace posthorn::dns
