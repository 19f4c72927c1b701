// spf_dns - libspf2's questions answered by dns::Resolver
#include "lib/mailauth/spf_dns.h"

#include <arpa/inet.h>

#include <cstring>

namespace posthorn::mailauth {

namespace {

// The types libspf2 asks for; anything else is answered "no data".
bool ourType(ns_type type, dns::RrType* out) {
  switch (type) {
    case ns_t_a: *out = dns::RrType::A; return true;
    case ns_t_aaaa: *out = dns::RrType::AAAA; return true;
    case ns_t_mx: *out = dns::RrType::MX; return true;
    case ns_t_ptr: *out = dns::RrType::PTR; return true;
    case ns_t_txt: *out = dns::RrType::TXT; return true;
    default: return false;
  }
}

// One record's data as libspf2 keeps it: the binary address, or a
// NUL-terminated name or text.
std::string asSpfData(const dns::Record& r) {
  switch (r.type) {
    case dns::RrType::A:
    case dns::RrType::AAAA:
      return r.data;
    case dns::RrType::TXT: {
      std::string joined;
      for (const auto& t : r.texts) joined += t;
      return joined + '\0';
    }
    default:
      return r.target + '\0';
  }
}

}  // namespace

SpfDns::SpfDns(dns::Resolver& resolver) : resolver_(resolver) {
  layer_.destroy = nullptr;  // ours: libspf2 must not free it
  layer_.lookup = &SpfDns::lookup;
  layer_.name = "posthorn";
  layer_.hook = this;
}

SPF_dns_rr_t* SpfDns::lookup(SPF_dns_server_t* layer, const char* domain, ns_type type, int) {
  return static_cast<SpfDns*>(layer->hook)->answer(domain, type);
}

SPF_dns_rr_t* SpfDns::answer(const char* domain, ns_type type) {
  dns::RrType ours{};
  if (!ourType(type, &ours)) return SPF_dns_rr_new_init(&layer_, domain, type, 0, NO_DATA);
  if (std::chrono::steady_clock::now() >= deadline_) return SPF_dns_rr_new_init(&layer_, domain, type, 0, TRY_AGAIN);
  const dns::QueryResult q = resolver_.query(domain, ours);
  SPF_dns_stat_t status = NETDB_SUCCESS;
  if (q.status == dns::Status::TempFail) status = TRY_AGAIN;
  else if (q.status == dns::Status::NotFound) status = q.nxdomain ? HOST_NOT_FOUND : NO_DATA;
  // Void lookups are counted for the mechanisms' A, AAAA, MX and PTR
  // questions. TXT is left out: a void TXT lookup of the record, of an
  // include or a redirect decides the result by itself (none, permerror),
  // and one for exp= must not change it (RFC 7208 6.2).
  if ((status == HOST_NOT_FOUND || status == NO_DATA) && ours != dns::RrType::TXT) ++voidLookups_;
  SPF_dns_rr_t* rr = SPF_dns_rr_new_init(&layer_, domain, type, 0, status);
  if (rr == nullptr || status != NETDB_SUCCESS) return rr;
  int n = 0;
  for (const dns::Record& record : q.records) {
    const std::string data = asSpfData(record);
    if (SPF_dns_rr_buf_realloc(rr, n, data.size()) != SPF_E_SUCCESS) break;
    std::memcpy(rr->rr[n], data.data(), data.size());
    rr->num_rr = ++n;
  }
  return rr;
}

}  // namespace posthorn::mailauth
