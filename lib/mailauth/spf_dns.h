// spf_dns - libspf2's DNS layer, answered by posthorn's resolver
//
// libspf2 asks through a table of function pointers (SPF_dns_server_t);
// this one turns each question into dns::Resolver::query and the answer
// into libspf2's records (A, AAAA, MX and PTR names, TXT strings joined),
// with the h_errno codes libspf2 expects: NXDOMAIN is HOST_NOT_FOUND, no
// data NO_DATA, any failure (SERVFAIL, timeout, bogus) TRY_AGAIN, which
// libspf2 turns into temperror. It also counts void lookups (no records)
// of A, AAAA, MX and PTR questions, for RFC 7208's limit of two.
#pragma once

#include <chrono>

#include "lib/mailauth/libspf2.h"

#include "lib/dns/dns_resolver.h"

namespace posthorn::mailauth {

class SpfDns {
 public:
  explicit SpfDns(dns::Resolver& resolver);
  SPF_dns_server_t* layer() { return &layer_; }

  // One evaluation starts: the void lookups are counted from 0, and its
  // lookups may take `limit` in all (RFC 7208 4.6.4 asks for an overall
  // limit of at least 20 seconds); after that each lookup fails at once
  // (TRY_AGAIN: temperror).
  void startEvaluation(std::chrono::steady_clock::duration limit) {
    voidLookups_ = 0;
    deadline_ = std::chrono::steady_clock::now() + limit;
  }
  int voidLookups() const { return voidLookups_; }

 private:
  static SPF_dns_rr_t* lookup(SPF_dns_server_t* layer, const char* domain, ns_type type, int shouldCache);
  SPF_dns_rr_t* answer(const char* domain, ns_type type);

  dns::Resolver& resolver_;
  SPF_dns_server_t layer_{};
  int voidLookups_ = 0;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
};

}  // namespace posthorn::mailauth
